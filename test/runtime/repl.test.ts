import { describe, expect, it } from "vitest";
import { makeRig } from "./harness.js";

const BANNER =
  'MicroPython v1.13 on 2021-12-01; EC600N with QUECTEL\r\nType "help()" for more information.\r\n';

describe("friendly REPL", () => {
  it("boots to the banner and prompt", async () => {
    const r = await makeRig();
    expect(r.take()).toBe(BANNER + ">>> ");
  });

  it("answers FactoryTool's idle probe with exactly 1\\r\\n1\\r\\n>>> ", async () => {
    const r = await makeRig();
    r.take();
    await r.send("1\r\n");
    expect(r.take()).toBe("1\r\n1\r\n>>> ");
  });

  it("continues a compound statement until an empty line", async () => {
    const r = await makeRig();
    r.take();
    await r.send("for i in range(2):\rprint(i)\r\r");
    // Auto-indent pre-types four spaces after the colon and keeps them on the next line.
    expect(r.take()).toBe("for i in range(2):\r\n...     print(i)\r\n...     \r\n0\r\n1\r\n>>> ");
  });

  it.each([
    ["Ctrl-C clears the line", "abc\x03", "abc\r\n>>> "],
    ["Ctrl-B reprints the banner", "\x02", "\r\n" + BANNER + ">>> "],
    ["Ctrl-A enters the raw REPL", "\x01", "\r\nraw REPL; CTRL-B to exit\r\n>"],
    ["Ctrl-E enters paste mode", "\x05", "\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "],
    ["backspace erases", "ab\x7f", "ab\b \b"],
    ["Ctrl-A on a non-empty line is ignored", "x\x01", "x"],
  ])("%s", async (_name, input, expected) => {
    const r = await makeRig();
    r.take();
    await r.send(input);
    expect(r.take()).toBe(expected);
  });

  it("prints a traceback with \\r\\n line ends", async () => {
    const r = await makeRig();
    r.take();
    await r.send("1/0\r");
    expect(r.take()).toBe(
      '1/0\r\nTraceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\nZeroDivisionError: divide by zero\r\n>>> ',
    );
  });

  it("runs paste mode on Ctrl-D", async () => {
    const r = await makeRig();
    r.take();
    await r.send("\x05x = 6\rprint(x * 7)\r\x04");
    expect(r.take()).toContain("\r\n=== print(x * 7)\r\n=== \r\n42\r\n>>> ");
  });

  it("Ctrl-D soft-reboots, re-running the boot hook and main.py", async () => {
    let boots = 0;
    const r = await makeRig({ mainPy: "print('main ran')\n", config: { onBoot: () => boots++ } });
    expect(r.take()).toBe("main ran\r\n" + BANNER + ">>> ");
    await r.send("\x04");
    expect(r.take()).toBe("\r\nMPY: soft reboot\r\nmain ran\r\n" + BANNER + ">>> ");
    expect(boots).toBe(2);
  });
});

describe("main.py", () => {
  it("a looping main.py drops input and answers only Ctrl-C, with a KeyboardInterrupt traceback", async () => {
    const r = await makeRig({ mainPy: "import utime\nwhile True:\n    utime.sleep(1)\n" });
    expect(r.repl.state).toBe("main");
    expect(r.take()).toBe("");
    await r.send("print(1)\r\n\x01");
    expect(r.take()).toBe("");
    await r.send("\x03");
    expect(r.take()).toBe(
      'Traceback (most recent call last):\r\n  File "/usr/main.py", line 3, in <module>\r\nKeyboardInterrupt: \r\n' +
        BANNER +
        ">>> ",
    );
  });

  it("REPL protection ignores Ctrl-C while main.py runs", async () => {
    const r = await makeRig({
      mainPy: "import utime\nwhile True:\n    utime.sleep(1)\n",
      config: { replProtected: () => true },
    });
    await r.send("\x03\x03");
    expect(r.take()).toBe("");
    expect(r.repl.state).toBe("main");
  });

  it("a Ctrl-C polled while main.py runs interrupts it for real", async () => {
    let polls = 0;
    const r = await makeRig({
      mainPy: "import utime\nn = 0\nwhile True:\n    n += 1\n    utime.sleep_ms(10)\n",
      config: { mainBudgetUs: 0, pollInput: () => (++polls === 50 ? new Uint8Array([0x03]) : undefined) },
    });
    const out = r.take();
    expect(out).toContain("KeyboardInterrupt");
    expect(out.endsWith(">>> ")).toBe(true);
    await r.send("print(n > 5)\r");
    expect(r.take()).toContain("True\r\n>>> ");
  });
});
