/**
 * The whole simulated module on its serial line: the NOR flash, the `Module` (littlefs `/usr`
 * and `/bak`, boot-time verify and restore, SecureData), the MicroPython REPL running on the
 * module's file systems, and the mask-ROM download mode sharing the same UART through the
 * `BootSelector`. `flashbak sim serve` puts it behind a pseudo-terminal; tests reach it
 * in-process through the line.
 *
 * Power is modelled as the harness does it: a cut leaves the dead flash behind, and the next
 * power-on builds a new `NorFlash` from its snapshot and a new `Module` on it (RAM is lost,
 * the flash keeps what was committed). A soft reboot (Ctrl-D) keeps the module and re-runs
 * `_boot.py`.
 */
import type { Clock } from "../clock.js";
import { isPowerLoss } from "../errors.js";
import { BootSelector } from "../download/boot-selector.js";
import { DownloadMode } from "../download/download-mode.js";
import type { NorFlash } from "../flash/nor-flash.js";
import type { Logger } from "../logger.js";
import { nullLogger } from "../logger.js";
import type { ReplConfig } from "../runtime/repl.js";
import { ReplPersonality } from "../runtime/repl.js";
import type { DeviceIdentity, QuecServices } from "../runtime/services.js";
import { SimLine } from "../serial/sim-line.js";
import type { BoardProfile } from "./boards.js";
import type { BootReport } from "./boot.js";
import { boardFlash } from "./flash-map.js";
import type { FsDriver } from "./fs-driver.js";
import { Module } from "./module.js";
import type { RestoreMode } from "./restore-policy.js";

export interface ModuleDeviceConfig {
  board: BoardProfile;
  /** The flash as found at power-on (from a flash file, a package, or blank). */
  flash: NorFlash;
  fsDriver: FsDriver;
  /** Time seen by Python (`utime`) and by the UART pacing. */
  clock: Clock;
  /** UART speed in bits/s (8N1); 0 = unpaced. */
  baud: number;
  identity: DeviceIdentity;
  /** Restore-mode override; default the firmware's. */
  restoreMode?: RestoreMode;
  /** eFuse MAC seed of the download mode (one per simulated unit). */
  macSeed?: number;
  /**
   * True when nothing on the host side sets the line's rate, as on a pseudo-terminal, which
   * carries no baud rate: the loader's CHANGE_BAUDRATE then re-paces the line itself, and a
   * reset or the firmware brings it back to `baud`. False (default): the host's port settings
   * set it (the in-process serialport binding), as a USB-serial adapter does.
   */
  moduleSetsBaud?: boolean;
  /** REPL settings (poll source, main.py budget, raw-paste window). */
  repl?: Omit<ReplConfig, "services" | "tx" | "onBoot">;
  logger?: Logger;
  /** Called after every boot with its report (serve prints warnings, tests assert). */
  onBoot?: (report: BootReport) => void;
  /** Called whenever the flash may hold new data worth saving (after boots and commands). */
  onFlashChanged?: (flash: NorFlash) => void;
}

export class ModuleDevice {
  readonly line: SimLine;
  readonly services: QuecServices;
  private flashNow: NorFlash;
  private moduleNow: Module;
  private readonly repl: ReplPersonality;
  private loader: DownloadMode;
  private powerOnPending = true;
  private powerCycles = 0;
  private lastReport: BootReport | undefined;

  constructor(private readonly cfg: ModuleDeviceConfig) {
    this.flashNow = cfg.flash;
    this.moduleNow = this.newModule(cfg.flash);
    this.line = new SimLine({
      clock: cfg.clock,
      baud: cfg.baud,
      onDeviceFault: (e) => {
        if (!isPowerLoss(e)) throw e;
        void this.powerOn();
      },
    });
    const mounts = (): QuecServices["mounts"] => this.moduleNow.runtimeMounts();
    this.services = {
      // Read by the VM at every boot: the mounts of the module as it booted.
      get mounts() {
        return mounts();
      },
      secureData: {
        store: (index, data) => this.moduleNow.secureData.store(index, data),
        read: (index) => this.moduleNow.secureData.read(index),
      },
      identity: cfg.identity,
      clock: cfg.clock,
      // One implementation of the device's calc (it also updates checksum.json).
      fileCrc32: (path) => this.moduleNow.fileCrc32.calc(path),
    };
    this.repl = new ReplPersonality({
      ...cfg.repl,
      services: this.services,
      tx: this.line.deviceTx,
      onBoot: () => this.bootStep(),
    });
    this.loader = this.attachLoader();
  }

  /** A mask-ROM loader on the current chip, sharing the UART with the REPL. */
  private attachLoader(): DownloadMode {
    const loader = new DownloadMode({
      flash: this.flashNow,
      tx: this.line.deviceTx,
      macSeed: this.cfg.macSeed ?? 1,
      onBaudChange: this.cfg.moduleSetsBaud
        ? (baud) => this.line.setBaud(baud === 0 ? this.cfg.baud : baud)
        : undefined,
      // Leaving the loader starts the firmware from the flash it wrote: a fresh power-on.
      onLeave: () => void this.powerOn(),
      onPowerLoss: () => void this.powerOn(),
    });
    this.line.attach(new BootSelector({ loader, firmware: () => this.repl }));
    return loader;
  }

  get flash(): NorFlash {
    return this.flashNow;
  }

  get module(): Module {
    return this.moduleNow;
  }

  /** The report of the last boot (power-on or soft reboot). */
  get lastBoot(): BootReport | undefined {
    return this.lastReport;
  }

  get replState(): string {
    return this.loader.active ? `download (${this.loader.state})` : this.repl.state;
  }

  /** Power on (again): fresh RAM, the flash as committed, boot, main.py, REPL. */
  powerOn(): Promise<void> {
    this.powerOnPending = true;
    this.loader.leave("reset");
    return this.repl.powerOn().catch((e: unknown) => {
      if (!isPowerLoss(e)) throw e;
      // Power was cut during the boot itself: the torn flash is what the next power-on finds.
      return this.powerOn();
    });
  }

  /** Reset with the boot strap held: the mask ROM's download mode answers on the UART. */
  enterDownload(): void {
    this.revive();
    this.loader.enter();
  }

  /**
   * Arm a power cut during flash write operation `n` from now (1 = the next one): that program
   * or erase is torn (SPEC.md "Control channel"), then the module powers on again.
   */
  cutPowerAt(n: number): void {
    this.flashNow.armPowerCut({ at: this.flashNow.writeOperations + n, when: "during" });
  }

  status(): Record<string, string | number | boolean> {
    const st = this.flashNow.stats();
    return {
      board: this.cfg.board.id,
      mode: this.replState,
      baud: this.line.baudRate,
      powerCycles: this.powerCycles,
      flashWrites: this.flashNow.writeOperations,
      flashBusyMs: Math.round(st.busyUs / 1000),
      restored: this.lastReport?.restore.restored.length ?? 0,
      rx: this.line.counters.rx,
      tx: this.line.counters.tx,
    };
  }

  /** `ReplConfig.onBoot`: power-on boot or Ctrl-D soft reboot of `_boot.py`. */
  private bootStep(): void {
    if (this.powerOnPending) {
      this.powerOnPending = false;
      this.revive();
      this.powerCycles++;
      this.report(this.moduleNow.boot());
    } else {
      this.report(this.moduleNow.softReboot());
    }
  }

  private report(r: BootReport): void {
    this.lastReport = r;
    for (const line of r.log) this.line.deviceTx.send(new TextEncoder().encode(`${line}\r\n`));
    this.cfg.onBoot?.(r);
    this.cfg.onFlashChanged?.(this.flashNow);
  }

  /** After a cut: save the torn flash, then power on a new chip holding its contents. */
  private revive(): void {
    if (!this.flashNow.dead) return;
    this.cfg.onFlashChanged?.(this.flashNow);
    this.flashNow = boardFlash(this.cfg.board, {
      snapshot: this.flashNow.snapshot(),
      clock: this.flashNow.clock,
    });
    this.moduleNow = this.newModule(this.flashNow);
    this.loader = this.attachLoader();
  }

  private newModule(flash: NorFlash): Module {
    return new Module({
      board: this.cfg.board,
      flash,
      fsDriver: this.cfg.fsDriver,
      restoreMode: this.cfg.restoreMode,
      logger: this.cfg.logger ?? nullLogger,
    });
  }
}
