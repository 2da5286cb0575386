/**
 * The whole module on one serial line, in-process: the merged example package boots with its
 * backup verified, main.py runs on littlefs, the REPL answers, Ctrl-D re-runs the boot, a power
 * cut at a flash write leaves a module that boots again, and the same line reaches download mode.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { flashPackage } from "../../firmware-sim/module/firmware-info.js";
import { boardFlash } from "../../firmware-sim/module/flash-map.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { ModuleDevice } from "../../firmware-sim/module/module-device.js";
import { encodeCommand, Op, SYNC_PAYLOAD, words } from "../../firmware-sim/download/protocol.js";
import { slipEncode } from "../../firmware-sim/download/slip.js";
import { exampleIdentity, imeiForUnit } from "../../firmware-sim/runtime/services.js";
import { readPackage } from "../../firmware-sim/package/reader.js";

function exampleDevice(extra: { baud?: number; moduleSetsBaud?: boolean } = {}): {
  dev: ModuleDevice;
  out: () => string;
  send: (s: string) => void;
} {
  const pkg = readPackage(new Uint8Array(readFileSync("images/example.fbpkg")));
  const board = boardById(pkg.header.board);
  const clock = new VirtualClock();
  const flash = boardFlash(board, { clock });
  flashPackage(flash, pkg);
  const dev = new ModuleDevice({
    board,
    flash,
    fsDriver: new LittleFsDriver(),
    clock,
    baud: 0,
    identity: exampleIdentity(),
    ...extra,
  });
  let text = "";
  dev.line.onHostData((d) => {
    text += Buffer.from(d).toString("latin1");
  });
  return {
    dev,
    out: () => text,
    send: (s) => dev.line.hostWrite(new TextEncoder().encode(s)),
  };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("ModuleDevice: the full module on its serial line", () => {
  it("boots the example package with nothing restored, runs main.py, answers the REPL", async () => {
    const { dev, out, send } = exampleDevice();
    await dev.powerOn();
    expect(dev.lastBoot?.restore.restored).toEqual([]);
    expect(dev.lastBoot?.formatted).toEqual([]);
    expect(out()).toMatch(/mount\.\r\n/);
    await until(() => out().includes(">>> "), "the friendly prompt");
    send("import uos\r");
    send("print(sorted(uos.listdir('/usr')))\r");
    await until(() => /\['checksum\.json'/.test(out()), "a listing of /usr");
    expect(out()).toMatch(/'main\.py'/);
  });

  it("Ctrl-D re-runs the boot and restores a protected file damaged from Python", async () => {
    const { dev, out, send } = exampleDevice();
    await dev.powerOn();
    await until(() => out().includes(">>> "), "the prompt");
    send("f = open('/usr/main.py', 'w'); f.write('print(\"tampered\")'); f.close()\r");
    await until(() => out().split(">>> ").length >= 3, "the write");
    send("\x04");
    await until(() => out().includes("MPY: soft reboot"), "the soft reboot");
    await until(() => dev.lastBoot?.kind === "soft-reboot", "the boot report");
    expect(dev.lastBoot?.restore.restored).toContain("/usr/main.py");
  });

  it("an edit followed by file_crc32.calc from Python survives the soft reboot (one calc, the module's)", async () => {
    const { dev, out, send } = exampleDevice();
    await dev.powerOn();
    await until(() => out().includes(">>> "), "the prompt");
    send("f = open('/usr/main.py', 'w'); f.write('print(\"v2\")'); f.close()\r");
    send("import file_crc32; print('crc', file_crc32.calc('/usr/main.py'), file_crc32.calc('/usr/nope'))\r");
    await until(() => /crc 0x[0-9a-f]+ None\r\n/.test(out()), "the CRC");
    send("\x04");
    await until(() => dev.lastBoot?.kind === "soft-reboot", "the soft reboot");
    expect(dev.lastBoot?.restore.restored).toEqual([]);
  });

  it("a power cut at the next flash write: the module powers on again and boots", async () => {
    const { dev, out, send } = exampleDevice();
    await dev.powerOn();
    await until(() => out().includes(">>> "), "the prompt");
    const cycles = dev.status().powerCycles;
    dev.cutPowerAt(1);
    send("f = open('/usr/new.txt', 'w'); f.write('x' * 5000); f.close()\r");
    await until(() => dev.status().powerCycles === Number(cycles) + 1, "the power-on after the cut");
    expect(dev.flash.dead).toBe(false);
    await until(() => out().lastIndexOf(">>> ") > out().lastIndexOf("mount."), "the prompt after the reboot");
  });

  it("on a line without a host rate (a pseudo-terminal), CHANGE_BAUDRATE re-paces it until the next reset", async () => {
    const { dev } = exampleDevice({ baud: 115200, moduleSetsBaud: true });
    await dev.powerOn();
    dev.enterDownload();
    const command = (op: number, data: Uint8Array): void =>
      dev.line.hostWrite(slipEncode(encodeCommand(op, data)));
    command(Op.SYNC, SYNC_PAYLOAD);
    command(Op.CHANGE_BAUDRATE, words(921600, 0));
    await until(() => dev.line.baudRate === 921600, "the new rate");
    await dev.powerOn();
    expect(dev.line.baudRate).toBe(115200);
  });

  it("unit numbers give Luhn-valid IMEIs, unit 1 being the default", () => {
    expect(exampleIdentity().imei).toBe(imeiForUnit(1));
    for (const unit of [1, 2, 9, 10, 4321, 999_999]) {
      const imei = imeiForUnit(unit);
      expect(imei).toMatch(/^86119005\d{7}$/);
      let sum = 0;
      [...imei].reverse().forEach((c, i) => {
        const d = Number(c) * (i % 2 === 1 ? 2 : 1);
        sum += d > 9 ? d - 9 : d;
      });
      expect(sum % 10, imei).toBe(0);
    }
    expect(new Set([1, 2, 3].map(imeiForUnit)).size).toBe(3);
    expect(() => imeiForUnit(0)).toThrow(RangeError);
  });

  it("the same line reaches the ROM download mode and back to the firmware", async () => {
    const { dev, out } = exampleDevice();
    await dev.powerOn();
    dev.enterDownload();
    expect(dev.replState).toMatch(/^download/);
    expect(out()).toMatch(/waiting for download/);
    await dev.powerOn();
    expect(dev.replState).not.toMatch(/^download/);
  });
});
