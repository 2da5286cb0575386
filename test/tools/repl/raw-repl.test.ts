import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "../../../firmware-sim/fs/fs-util.js";
import { memoryServices, startReplDevice } from "../../../firmware-sim/runtime/repl-device.js";
import { SimLineLink } from "../../../tools/serial/memory-link.js";
import { openLink, resetSimDevices } from "../../../tools/serial/open-link.js";
import type { SerialLink } from "../../../tools/serial/link.js";
import { RawRepl, ReplExecError } from "../../../tools/repl/raw-repl.js";

const enc = (s: string) => new TextEncoder().encode(s);
const LOOP = "import utime\nwhile True:\n    utime.sleep_ms(100)\n";

async function simLink(
  opts: { mainPy?: string; window?: number; protectedRepl?: boolean } = {},
): Promise<SerialLink> {
  const services = memoryServices();
  if (opts.mainPy) writeFile(services.mounts[0]!.fs, "/main.py", enc(opts.mainPy));
  const dev = await startReplDevice({
    services,
    repl: { rawPasteWindow: opts.window, replProtected: opts.protectedRepl ? () => true : undefined },
  });
  return new SimLineLink("sim:test", dev.line);
}

afterEach(() => resetSimDevices());

describe("RawRepl against the simulator", () => {
  it.each([
    ["raw-paste (window 128)", 128],
    ["raw-paste (window 32)", 32],
    ["plain raw REPL (raw-paste unsupported)", 0],
  ])("exec via %s returns stdout and reports the window", async (_n, window) => {
    const repl = new RawRepl(await simLink({ window }), { rawChunkDelayMs: 0 });
    const code = `x = ${JSON.stringify("a".repeat(700))}\nprint(len(x))`;
    expect(await repl.eval(code)).toBe("700\r\n");
    expect(repl.window).toBe(window);
    expect(await repl.eval("print(2)")).toBe("2\r\n");
  });

  it("returns a traceback as stderr and throws ReplExecError from execOk", async () => {
    const repl = new RawRepl(await simLink(), { rawChunkDelayMs: 0 });
    const r = await repl.exec("print('before')\n1/0");
    expect(new TextDecoder().decode(r.stdout)).toBe("before\r\n");
    expect(r.stderr).toContain("ZeroDivisionError");
    await expect(repl.execOk("raise ValueError('x')")).rejects.toBeInstanceOf(ReplExecError);
  });

  it("enters the raw REPL past a busy main.py", async () => {
    const repl = new RawRepl(await simLink({ mainPy: LOOP }), { rawChunkDelayMs: 0 });
    expect(await repl.eval("print('in')")).toBe("in\r\n");
  });

  it("gives a clear REPL_BLOCKED error when REPL protection ignores Ctrl-C", async () => {
    const repl = new RawRepl(await simLink({ mainPy: LOOP, protectedRepl: true }), {
      stepTimeoutMs: 100,
      enterAttempts: 2,
    });
    await expect(repl.enter()).rejects.toMatchObject({ code: "REPL_BLOCKED" });
  });

  it("soft reset comes back to the raw prompt with a fresh interpreter", async () => {
    const repl = new RawRepl(await simLink(), { rawChunkDelayMs: 0 });
    await repl.execOk("v = 1");
    await repl.softReset();
    expect((await repl.exec("print(v)")).stderr).toContain("NameError");
  });

  it("a runaway exec times out with SERIAL_TIMEOUT and the next enter() recovers the REPL", async () => {
    const services = memoryServices();
    const dev = await startReplDevice({ services, repl: { execBudgetUs: 5e6 } });
    const repl = new RawRepl(new SimLineLink("sim:runaway", dev.line), {
      rawChunkDelayMs: 0,
      stepTimeoutMs: 300,
    });
    await expect(repl.exec("import utime\nwhile True:\n    utime.sleep(1)", 300)).rejects.toMatchObject({
      code: "SERIAL_TIMEOUT",
    });
    expect(await repl.eval("print('alive')")).toBe("alive\r\n");
  });

  it("a module that restarts during an exec fails fast with DEVICE_RESET, and the next exec works", async () => {
    const repl = new RawRepl(await simLink(), { rawChunkDelayMs: 0 });
    const t0 = Date.now();
    await expect(repl.exec("import machine\nmachine.reset()", 20000)).rejects.toMatchObject({
      code: "DEVICE_RESET",
    });
    expect(Date.now() - t0).toBeLessThan(10000);
    expect(await repl.eval("print('again')")).toBe("again\r\n");
  });

  it("works through node-serialport and the sim binding", async () => {
    const link = await openLink("sim:binding-test");
    try {
      const repl = new RawRepl(link, { rawChunkDelayMs: 0 });
      expect(await repl.eval("import modem\nprint(len(modem.getDevImei()))")).toBe("15\r\n");
      await repl.exit();
    } finally {
      await link.close();
    }
  });
});

const realPort = process.env.TEST_PORT;
describe.skipIf(realPort === undefined)(
  realPort === undefined
    ? "RawRepl against a real device (no TEST_PORT: real device absent)"
    : `RawRepl against ${realPort}`,
  () => {
    it("executes code and reads the IMEI", async () => {
      const link = await openLink(realPort as string);
      try {
        const repl = new RawRepl(link);
        expect(await repl.eval("print(1+1)")).toBe("2\r\n");
        expect((await repl.eval("import modem\nprint(modem.getDevImei())")).trim()).toMatch(/^\d{15}$/);
        await repl.exit();
      } finally {
        await link.close();
      }
    });
  },
);
