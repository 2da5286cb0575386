import { describe, expect, it } from "vitest";
import { BootSelector } from "../../firmware-sim/download/boot-selector.js";
import { DownloadMode, type LeaveReason } from "../../firmware-sim/download/download-mode.js";
import { encodeCommand, Op, SYNC_PAYLOAD } from "../../firmware-sim/download/protocol.js";
import { slipEncode } from "../../firmware-sim/download/slip.js";
import { chips, withSize } from "../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import type { UartPeer } from "../../firmware-sim/serial/uart.js";

function setup() {
  const toFirmware: string[] = [];
  const left: LeaveReason[] = [];
  let running = true;
  const sent: Uint8Array[] = [];
  const repl: UartPeer = { receive: (d) => toFirmware.push(Buffer.from(d).toString()) };
  const loader = new DownloadMode({
    flash: new NorFlash({ chip: withSize(chips.w25q32!, 1 << 20) }),
    tx: { send: (d) => sent.push(d) },
    onLeave: (r) => {
      left.push(r);
      running = true;
    },
  });
  const sel = new BootSelector({ loader, firmware: () => (running && !loader.active ? repl : undefined) });
  return { sel, loader, toFirmware, left, sent, stop: () => (running = false) };
}

describe("BootSelector", () => {
  it("routes bytes to the firmware, to the loader after a download reset, and back after a hard reset", () => {
    const s = setup();
    s.sel.receive(new TextEncoder().encode("print(1)\r"));
    expect(s.toFirmware).toEqual(["print(1)\r"]);
    s.sel.signalsChanged({ dtr: false, rts: true });
    expect(s.sel.target).toBe("none");
    s.sel.signalsChanged({ dtr: true, rts: false });
    s.sel.signalsChanged({ dtr: false, rts: false });
    expect(s.sel.target).toBe("loader");
    const before = s.sent.length;
    s.sel.receive(slipEncode(encodeCommand(Op.SYNC, SYNC_PAYLOAD)));
    expect(s.sent.length - before).toBe(8);
    expect(s.toFirmware).toHaveLength(1);
    s.sel.signalsChanged({ dtr: false, rts: true });
    s.sel.signalsChanged({ dtr: false, rts: false });
    expect(s.left).toContain("reset");
    expect(s.sel.target).toBe("firmware");
  });
});
