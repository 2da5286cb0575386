/**
 * Provisioning over the MicroPython REPL, after the unit was reset into its firmware: the IMEI
 * from `modem.getDevImei()` is the unit's identity, and every SecureData value goes through
 * `SecureData.Store` and is read back with `SecureData.Read` (tools/repl/securedata.ts), so
 * the firmware itself lays the records out on its flash.
 *
 * When the firmware does not answer with an IMEI (no modem module), the chip MAC read in
 * download mode stands in.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";
import { RawRepl } from "../repl/raw-repl.js";
import { secureDataRead, secureDataStore } from "../repl/securedata.js";
import type { Identity, Provisioner, UnitHandle } from "./provisioning.js";

export interface ReplProvisionerOptions {
  /** Baud rate of the REPL port (the firmware's UART). Default 115200. */
  baud?: number;
  /** Pause between raw-REPL chunks, milliseconds (0 for simulated modules). Default 10. */
  chunkDelayMs?: number;
}

export class ReplProvisioner implements Provisioner {
  readonly name = "repl";
  readonly needsFirmware = true;
  private readonly sessions = new WeakMap<UnitHandle["link"], RawRepl>();

  constructor(private readonly opts: ReplProvisionerOptions = {}) {}

  private async repl(unit: UnitHandle): Promise<RawRepl> {
    let r = this.sessions.get(unit.link);
    if (r === undefined) {
      // The loader ran at a fast rate; the firmware's UART is back at its own after the reset.
      await unit.link.setBaudRate(this.opts.baud ?? 115200);
      r = new RawRepl(unit.link, { rawChunkDelayMs: this.opts.chunkDelayMs ?? 10 });
      this.sessions.set(unit.link, r);
    }
    await r.enter();
    return r;
  }

  async identify(unit: UnitHandle): Promise<Identity> {
    const repl = await this.repl(unit);
    const out = (await repl.eval("import modem\nprint(modem.getDevImei())")).trim();
    if (/^\d{15}$/.test(out)) return { kind: "imei", value: out };
    return unit.flash.identity.mac
      ? { kind: "mac", value: unit.flash.identity.mac }
      : { kind: "none", value: "" };
  }

  async provision(unit: UnitHandle, values: ReadonlyMap<number, Uint8Array>): Promise<void> {
    const repl = await this.repl(unit);
    try {
      for (const [index, value] of values) await secureDataStore(repl, index, value);
      for (const [index, value] of values) {
        const got = await secureDataRead(repl, index);
        if (!Buffer.from(got).equals(Buffer.from(value))) {
          throw new FlashbakError(
            "PROVISION_FAILED",
            `${unit.port}: SecureData index ${index} reads back wrong`,
            {
              hint: "the module did not keep the value; provision it again and replace it if it repeats",
            },
          );
        }
      }
    } finally {
      await repl.exit();
    }
  }
}
