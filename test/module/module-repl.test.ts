/** The module behind the MicroPython REPL: boot lines on the port, restore on soft reboot, SecureData. */
import { describe, expect, it } from "vitest";
import type { BootReport } from "../../firmware-sim/module/boot.js";
import { createModuleRepl } from "../../firmware-sim/module/module-repl.js";
import { littlefsRig } from "./helpers.js";

async function start(): Promise<{ send(s: string): Promise<void>; take(): string; reports: BootReport[] }> {
  const m = littlefsRig().module("faithful");
  let out: number[] = [];
  const reports: BootReport[] = [];
  const repl = createModuleRepl(m, {
    tx: { send: (d) => out.push(...d) },
    onBootReport: (r) => reports.push(r),
  });
  await repl.powerOn();
  return {
    reports,
    async send(s) {
      repl.receive(new Uint8Array(Buffer.from(s, "latin1")));
      await repl.idle();
    },
    take() {
      const s = Buffer.from(out).toString("latin1");
      out = [];
      return s;
    },
  };
}

describe("module REPL", () => {
  it("prints the boot log before the banner and runs the factory main.py", async () => {
    const d = await start();
    const boot = d.take();
    expect(boot.startsWith("mount.\r\n")).toBe(true);
    expect(boot).toContain("factory main");
    expect(d.reports).toHaveLength(1);
  });

  it("an edit over the REPL is reverted by the next soft reboot, which prints the restore", async () => {
    const d = await start();
    d.take();
    await d.send("f = open('/usr/main.py', 'w'); f.write('print(1)'); f.close()\r");
    await d.send("\x04");
    const out = d.take();
    expect(out).toContain("MPY: soft reboot\r\n");
    expect(out).toContain("- restoring /usr/main.py\r\n");
    expect(out).toContain("factory main");
    expect(d.reports.map((r) => r.kind)).toEqual(["power-on", "soft-reboot"]);
    expect(d.reports.at(-1)?.restore.restored).toEqual(["/usr/main.py"]);
  });

  it("an edit over the REPL followed by checksum.update survives the soft reboot", async () => {
    const d = await start();
    d.take();
    await d.send("f = open('/usr/main.py', 'w'); f.write('print(\\'edited\\')'); f.close()\r");
    await d.send("import checksum; x = checksum.update('/usr/main.py')\r");
    d.take();
    await d.send("\x04");
    const out = d.take();
    expect(out).not.toContain("- restoring");
    // main.py runs after the reboot: the edited version prints.
    expect(out).toMatch(/MPY: soft reboot\r\nmount\.\r\n[\s\S]*edited/);
    expect(d.reports.at(-1)?.restore.restored).toEqual([]);
  });

  it("SecureData from Python reaches the raw flash store", async () => {
    const d = await start();
    d.take();
    await d.send("import SecureData\r");
    await d.send("b = bytearray(8)\r");
    await d.send(
      "print(SecureData.Read(2, b, 8), SecureData.Store(2, b'\\x00key', 4), SecureData.Read(2, b, 8), bytes(b[:4]))\r",
    );
    expect(d.take()).toContain("-2 0 4 b'\\x00key'");
  });
});
