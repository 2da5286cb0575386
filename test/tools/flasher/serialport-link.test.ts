/**
 * The flasher over the real host stack: node-serialport, the serial layer's StreamLink and its
 * in-process binding, wall-clock deadlines, DTR/RTS through the binding. The module's UART is a
 * BootSelector: the MicroPython REPL runs until the reset lines pick the download mode.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BootSelector } from "../../../firmware-sim/download/boot-selector.js";
import { DownloadMode } from "../../../firmware-sim/download/download-mode.js";
import { chips, withSize } from "../../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../../firmware-sim/flash/nor-flash.js";
import { startReplDevice } from "../../../firmware-sim/runtime/repl-device.js";
import { flashModule } from "../../../tools/flasher/flash-job.js";
import { planFlash } from "../../../tools/flasher/flash-plan.js";
import { openLink, resetSimDevices, setSimModuleFactory } from "../../../tools/serial/open-link.js";
import { noise } from "../../download/harness.js";

afterEach(() => resetSimDevices());

describe("flash over node-serialport (sim binding, real time)", () => {
  it("resets a module running its REPL into download mode, flashes, verifies and boots it again", async () => {
    const dev = await startReplDevice({ baud: 0 });
    const flash = new NorFlash({ chip: withSize(chips.w25q32!, 1 << 20) });
    const loader = new DownloadMode({ flash, tx: dev.line.deviceTx });
    dev.line.attach(new BootSelector({ loader, firmware: () => dev.repl }));
    setSimModuleFactory(async () => dev);
    const data = Uint8Array.from([...noise(40_000, 1), ...new Uint8Array(60_000).fill(0xff)]);
    const plan = planFlash([{ name: "app", offset: 0x10000, data }], { flashSize: 1 << 20 });
    const link = await openLink("sim:download", 115200);
    try {
      const r = await flashModule(link, plan, { baud: 921600, timeoutMs: 2000 });
      expect(r).toMatchObject({ reset: true, baud: 921600, identity: { chip: "ESP32", simulated: true } });
      expect(
        Buffer.from(flash.image().subarray(0x10000, 0x10000 + data.length)).equals(Buffer.from(data)),
      ).toBe(true);
      expect(loader.active).toBe(false);
    } finally {
      await link.close();
    }
  });
});
