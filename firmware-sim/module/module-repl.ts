/**
 * The module as the MicroPython runtime sees it: the runtime's `QuecServices` seam
 * (firmware-sim/runtime/services.ts) filled from a `Module`, and a REPL personality whose boot
 * step is the module's `_boot.py` (mounts, backup verify/restore, app FOTA), printed on the REPL
 * port as the device prints it, before the banner, at power-on and after every soft reboot.
 *
 * Mounts and SecureData are re-read at every VM boot (getters): each module boot mounts fresh
 * file-system instances.
 */
import type { UartTx } from "../serial/uart.js";
import type { ReplConfig } from "../runtime/repl.js";
import { ReplPersonality } from "../runtime/repl.js";
import type { DeviceIdentity, QuecServices } from "../runtime/services.js";
import { exampleIdentity } from "../runtime/services.js";
import type { BootReport } from "./boot.js";
import type { Module } from "./module.js";

/** The runtime's services backed by a booted module. */
export function moduleServices(m: Module, identity: DeviceIdentity = exampleIdentity()): QuecServices {
  return {
    get mounts() {
      return m.runtimeMounts();
    },
    get secureData() {
      return m.secureData;
    },
    identity,
    clock: m.clock,
  };
}

export interface ModuleReplOptions {
  /** Where the REPL port's bytes go (a SimLine's deviceTx, or a test sink). */
  tx: UartTx;
  /** IMEI, model, firmware, serial as `modem` reports them. Default: the runtime's example. */
  identity?: DeviceIdentity;
  /** Other REPL settings (banner, raw-paste window, budgets). */
  config?: Omit<ReplConfig, "services" | "tx" | "onBoot">;
  /** Called with every boot's report (power-on and soft reboots). */
  onBootReport?: (report: BootReport) => void;
}

const enc = new TextEncoder();

/** A REPL personality on the module; call `powerOn()` to boot it. */
export function createModuleRepl(m: Module, opts: ModuleReplOptions): ReplPersonality {
  let poweredOn = false;
  return new ReplPersonality({
    ...opts.config,
    services: moduleServices(m, opts.identity),
    tx: opts.tx,
    onBoot: () => {
      // The first boot is the power-on; every later one is a soft reboot (Ctrl-D, or a reset).
      const report = poweredOn ? m.softReboot() : m.boot();
      poweredOn = true;
      for (const line of report.log) opts.tx.send(enc.encode(line + "\r\n"));
      opts.onBootReport?.(report);
    },
  });
}
