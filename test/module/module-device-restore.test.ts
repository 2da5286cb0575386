/**
 * Backup and SecureData behaviour seen from the REPL of the whole module (`ModuleDevice`):
 * the boot log on the port before the banner, a REPL edit reverted by Ctrl-D unless
 * `checksum.update` recorded it, and SecureData from Python landing in the raw flash store.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import { provision } from "../../firmware-sim/module/factory.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { ModuleDevice } from "../../firmware-sim/module/module-device.js";
import { SecureData } from "../../firmware-sim/module/securedata.js";
import { exampleIdentity } from "../../firmware-sim/runtime/services.js";
import { board, enc, sampleFiles } from "./helpers.js";

interface Rig {
  dev: ModuleDevice;
  flash: NorFlash;
  /** Everything the module sent since the last call. */
  take(): string;
  /** Type a line (or control bytes) and wait for `until` to appear in the output. */
  type(s: string, until: RegExp): Promise<string>;
}

async function start(): Promise<Rig> {
  const clock = new VirtualClock();
  const flash = boardFlash(board, { clock });
  provision(flash, board, new LittleFsDriver(), { files: sampleFiles() });
  const dev = new ModuleDevice({
    board,
    flash,
    fsDriver: new LittleFsDriver(),
    clock,
    baud: 0,
    identity: exampleIdentity(),
    restoreMode: "faithful",
  });
  let text = "";
  dev.line.onHostData((d) => (text += Buffer.from(d).toString("latin1")));
  const take = (): string => {
    const t = text;
    text = "";
    return t;
  };
  const waitFor = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 20_000;
    while (!re.test(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return take();
  };
  await dev.powerOn();
  return {
    dev,
    flash,
    take,
    async type(s, until) {
      dev.line.hostWrite(enc(s));
      return waitFor(until);
    },
  };
}

describe("module REPL: backup and SecureData", () => {
  it("prints the boot log before the banner, and an unrecorded REPL edit is reverted by Ctrl-D", async () => {
    const r = await start();
    const boot = await r.type("", />>> $/);
    expect(boot.startsWith("mount.\r\n")).toBe(true);
    expect(boot).toContain("factory main");
    await r.type("f = open('/usr/main.py', 'w'); f.write('print(1)'); f.close()\r", />>> $/);
    const reboot = await r.type("\x04", />>> $/);
    expect(reboot).toMatch(/MPY: soft reboot\r\nmount\.\r\n- restoring \/usr\/main\.py\r\n/);
    expect(reboot).toContain("factory main");
    expect(r.dev.lastBoot?.kind).toBe("soft-reboot");
  });

  it("an edit followed by checksum.update survives the soft reboot", async () => {
    const r = await start();
    await r.type("", />>> $/);
    await r.type("f = open('/usr/main.py', 'w'); f.write('print(\\'edited\\')'); f.close()\r", />>> $/);
    await r.type("import checksum; x = checksum.update('/usr/main.py')\r", />>> $/);
    const reboot = await r.type("\x04", />>> $/);
    expect(reboot).not.toContain("- restoring");
    expect(reboot).toMatch(/MPY: soft reboot\r\nmount\.\r\n[\s\S]*edited/);
    expect(r.dev.lastBoot?.restore.restored).toEqual([]);
  });

  it("SecureData from Python lands in the raw flash store", async () => {
    const r = await start();
    await r.type("", />>> $/);
    await r.type("import SecureData; b = bytearray(8)\r", />>> $/);
    const out = await r.type(
      "print(SecureData.Read(2, b, 8), SecureData.Store(2, b'\\x00key', 4), SecureData.Read(2, b, 8), bytes(b[:4]))\r",
      />>> $/,
    );
    expect(out).toContain("-2 0 4 b'\\x00key'");
    // A fresh store on the raw partition (as after a power cycle) reads the same bytes.
    const raw = new SecureData(partitionDevice(r.flash, board, "securedata"));
    expect(raw.read(2)).toEqual(Uint8Array.of(0, 0x6b, 0x65, 0x79));
    await r.type("\x04", />>> $/);
    expect(r.dev.lastBoot?.secureData).toEqual({ state: "ok", records: 1 });
  });
});
