/**
 * The module's UART as the chip wires it: one serial port shared by the mask-ROM download mode
 * and the firmware (the MicroPython REPL). The reset lines decide who answers: a reset with
 * IO0 low brings up the loader, any other reset (or the loader's own exit) boots the firmware.
 *
 * This is the one `UartPeer` a serial line attaches; the module supplies the firmware side and
 * boots it from `onBootFirmware` (the loader calls it when it leaves download mode).
 */
import type { UartPeer } from "../serial/uart.js";
import type { DownloadMode } from "./download-mode.js";

export interface BootSelectorConfig {
  loader: DownloadMode;
  /** The firmware's UART personality while it runs (undefined while it is not running). */
  firmware: () => UartPeer | undefined;
}

export class BootSelector implements UartPeer {
  constructor(private readonly cfg: BootSelectorConfig) {}

  /** Who receives the host's bytes right now. */
  get target(): "loader" | "firmware" | "none" {
    if (this.cfg.loader.active) return "loader";
    if (this.cfg.loader.state === "reset") return "none";
    return this.cfg.firmware() !== undefined ? "firmware" : "none";
  }

  receive(data: Uint8Array): void {
    const t = this.target;
    if (t === "loader") this.cfg.loader.receive(data);
    else if (t === "firmware") this.cfg.firmware()?.receive(data);
    // Held in reset: the UART is not running, the bytes are lost.
  }

  baudChanged(baud: number): void {
    this.cfg.loader.baudChanged(baud);
    this.cfg.firmware()?.baudChanged?.(baud);
  }

  /** The reset lines act on the chip, whoever is running: the loader's strap logic decides. */
  signalsChanged(signals: { dtr: boolean; rts: boolean }): void {
    this.cfg.loader.signalsChanged(signals);
  }
}
