import { describe, expect, it } from "vitest";
import { makeRig } from "./harness.js";

const RAW = "raw REPL; CTRL-B to exit\r\n>";

async function rawRig(opts: Parameters<typeof makeRig>[0] = {}) {
  const r = await makeRig(opts);
  await r.send("\r\x01");
  expect(r.take()).toContain("\r\n" + RAW);
  return r;
}

describe("raw REPL", () => {
  it("executes with OK, output, \\x04, error, \\x04, >", async () => {
    const r = await rawRig();
    await r.send("print(1+1)\x04");
    expect(r.take()).toBe("OK2\r\n\x04\x04>");
    await r.send("print('a')\nraise ValueError('bad')\x04");
    expect(r.take()).toBe(
      'OKa\r\n\x04Traceback (most recent call last):\r\n  File "<stdin>", line 2, in <module>\r\nValueError: bad\r\n\x04>',
    );
  });

  it("does not echo, Ctrl-C clears the buffer, Ctrl-A reprints the banner", async () => {
    const r = await rawRig();
    await r.send("garbage\x03print(3)\x04");
    expect(r.take()).toBe("OK3\r\n\x04\x04>");
    await r.send("\x01");
    expect(r.take()).toBe(RAW);
  });

  it("Ctrl-D on an empty buffer soft-reboots, skips main.py and comes back raw", async () => {
    let boots = 0;
    const r = await rawRig({ mainPy: "print('main')\n", config: { onBoot: () => boots++ } });
    await r.send("\x04");
    expect(r.take()).toBe("OK\r\nMPY: soft reboot\r\n" + RAW);
    expect(boots).toBe(2);
  });

  it("Ctrl-B returns to the friendly REPL", async () => {
    const r = await rawRig();
    await r.send("\x02");
    expect(r.take()).toMatch(/^\r\nMicroPython .*\r\n>>> $/s);
  });

  it("soft reboot clears Python state", async () => {
    const r = await rawRig();
    await r.send("x = 5\x04");
    r.take();
    await r.send("\x04");
    r.take();
    await r.send("print(x)\x04");
    expect(r.take()).toContain("NameError");
  });
});

describe("raw-paste", () => {
  it("reproduces the documented exchange byte for byte", async () => {
    const r = await makeRig();
    r.take();
    await r.send("\x01\x05A\x01print(123)\x04");
    expect(r.take()).toBe("\r\nraw REPL; CTRL-B to exit\r\n>R\x01\x80\x00\x01\x04123\r\n\x04\x04>");
  });

  it.each([
    [16, 100],
    [128, 1000],
    [300, 5000],
  ])("window %i: sends one \\x01 per window consumed (%i bytes)", async (window, size) => {
    const r = await rawRig({ config: { rawPasteWindow: window } });
    const frame = 's = ""\nprint(len(s))';
    const code = `s = "${"x".repeat(size - frame.length)}"\nprint(len(s))`;
    expect(code.length).toBe(size);
    await r.send("\x05A\x01");
    const head = r.take();
    expect(head).toBe("R\x01" + String.fromCharCode(window & 0xff, window >> 8) + "\x01");
    await r.send(code);
    const flow = r.take();
    expect(flow).toBe("\x01".repeat(Math.floor(code.length / window)));
    await r.send("\x04");
    // eslint-disable-next-line no-control-regex -- \x04 is the raw REPL's framing byte
    expect(r.take()).toMatch(/^\x04\d+\r\n\x04\x04>$/);
  });

  it("answers R\\x00 when raw-paste is disabled", async () => {
    const r = await rawRig({ config: { rawPasteWindow: 0 } });
    await r.send("\x05A\x01");
    expect(r.take()).toBe("R\x00>");
  });

  it("reports an exception after the end handshake", async () => {
    const r = await rawRig();
    await r.send("\x05A\x01");
    r.take();
    await r.send("1/0\x04");
    // eslint-disable-next-line no-control-regex -- \x04 is the raw REPL's framing byte
    expect(r.take()).toMatch(/^\x04\x04Traceback .*ZeroDivisionError: divide by zero\r\n\x04>$/s);
  });
});

describe("a runaway program sent to the REPL (execBudgetUs)", () => {
  it("raw REPL: parks after OK, drops input, Ctrl-C ends it with the traceback and \\x04>", async () => {
    const r = await rawRig({ config: { execBudgetUs: 10e6 } });
    await r.send("import utime\nwhile True:\n    utime.sleep(1)\x04");
    expect(r.take()).toBe("OK");
    expect(r.repl.state).toBe("main");
    await r.send("print(1)\x04");
    expect(r.take()).toBe("");
    await r.send("\x03");
    expect(r.take()).toBe(
      '\x04Traceback (most recent call last):\r\n  File "<stdin>", line 3, in <module>\r\nKeyboardInterrupt: \r\n\x04>',
    );
    await r.send("print(2)\x04");
    expect(r.take()).toBe("OK2\r\n\x04\x04>");
  });

  it("friendly REPL: Ctrl-C returns to >>>", async () => {
    const r = await makeRig({ config: { execBudgetUs: 10e6 } });
    r.take();
    await r.send("while True: __import__('utime').sleep(1)\r\r");
    r.take();
    await r.send("\x03");
    expect(r.take()).toMatch(/KeyboardInterrupt: \r\n>>> $/);
  });
});
