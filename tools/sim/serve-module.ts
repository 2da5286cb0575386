/**
 * `flashbak sim serve`: a full simulated module (`ModuleDevice`) behind a pseudo-terminal, with
 * the control channel, its flash kept in a flash file that is saved (atomically) after every
 * boot, when flash writes have settled (none for a second) or every 10 s while they go on, and
 * once more when the server stops.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../firmware-sim/errors.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import type { BootReport } from "../../firmware-sim/module/boot.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { ModuleDevice } from "../../firmware-sim/module/module-device.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { exampleIdentity, imeiForUnit } from "../../firmware-sim/runtime/services.js";
import { servePty, type ServeHandle } from "../serial/serve.js";
import { createFlash } from "./create-flash.js";
import { flashFileExists, loadFlashFile, saveFlashFile } from "./flash-file.js";

export interface ServeModuleOptions {
  /** Firmware package used when the flash file does not exist yet. */
  packagePath?: string;
  /** Flash file; default a new file in the temp directory (state kept only for this run). */
  flash?: string;
  /** Board for a blank module (no package) or to settle an ambiguous flash file. */
  board?: string;
  /** UART speed, bits/s (8N1). */
  baud: number;
  restore?: RestoreMode;
  /** Start in the ROM download mode instead of booting the firmware. */
  download?: boolean;
  /** Symlink to the pseudo-terminal (a stable name). */
  link?: string;
  /** Control socket path; default a new path in the temp directory. */
  control?: string;
  /** Unit number 1..65535: seeds the eFuse MAC and the default IMEI. Default 1. */
  unit?: number;
  /** IMEI reported by `modem.getDevImei()`. Default: the unit's (imeiForUnit). */
  imei?: string;
  /** Boot reports (serve prints warnings). */
  onBoot?: (r: BootReport) => void;
}

export interface ServedModule {
  handle: ServeHandle;
  device: ModuleDevice;
  flashPath: string;
  flashCreated: boolean;
  temporaryFlash: boolean;
  controlSocket: string;
  board: string;
  /** Save the flash file and stop serving. */
  close(): Promise<void>;
}

export async function serveModule(o: ServeModuleOptions): Promise<ServedModule> {
  const unit = o.unit ?? 1;
  if (!Number.isInteger(unit) || unit < 1 || unit > 65535) {
    throw new UsageError(`--unit must be a whole number 1..65535, got ${unit}`);
  }
  if (!Number.isInteger(o.baud) || o.baud < 300 || o.baud > 12_000_000) {
    throw new UsageError(`--baud must be between 300 and 12000000, got ${o.baud}`);
  }
  if (
    o.packagePath === undefined &&
    o.board === undefined &&
    (o.flash === undefined || !flashFileExists(o.flash))
  ) {
    throw new UsageError(
      "nothing to serve: give a firmware package, an existing --flash file, or --board for a blank module",
      "e.g. flashbak sim serve images/example.fbpkg --flash dev.bin",
    );
  }
  const temporaryFlash = o.flash === undefined;
  const flashPath = o.flash ?? join(tmpdir(), `flashbak-serve-${process.pid}.bin`);
  let flashCreated = false;
  if (!flashFileExists(flashPath)) {
    createFlash({
      flash: flashPath,
      packagePath: o.packagePath,
      board: o.board === undefined ? undefined : boardById(o.board),
      existing: "refuse",
    });
    flashCreated = true;
  }
  const loaded = loadFlashFile(flashPath, { board: o.board });
  const controlSocket = o.control ?? join(tmpdir(), `flashbak-ctl-${process.pid}.sock`);

  let device: ModuleDevice | undefined;
  let savedAtOps = -1;
  let savedFlash: NorFlash | undefined;
  const save = (flash: NorFlash): void => {
    if (flash === savedFlash && flash.writeOperations === savedAtOps) return;
    saveFlashFile(flashPath, flash);
    savedFlash = flash;
    savedAtOps = flash.writeOperations;
  };

  const handle = await servePty(
    async (io) => {
      const dev = new ModuleDevice({
        board: loaded.board,
        flash: loaded.flash,
        fsDriver: new LittleFsDriver(),
        clock: io.clock,
        baud: o.baud,
        identity: exampleIdentity(o.imei ?? imeiForUnit(unit)),
        macSeed: unit,
        // a pseudo-terminal has no baud rate: the module's UART rate paces the line
        moduleSetsBaud: true,
        restoreMode: o.restore,
        repl: { pollInput: io.pollInput, mainBudgetUs: 0 },
        onBoot: o.onBoot,
        onFlashChanged: save,
      });
      device = dev;
      const cycle = (): void => {
        if (io.vmRunning()) io.requestPowerCut();
        else void dev.powerOn();
      };
      return {
        line: dev.line,
        start: async () => {
          if (o.download) dev.enterDownload();
          else await dev.powerOn();
        },
        control: {
          powerCycle: cycle,
          reset: cycle,
          cutPowerAt: (n) => dev.cutPowerAt(n),
          enterDownload: () => dev.enterDownload(),
          faults: dev.line.faults,
          status: () => dev.status(),
        },
      };
    },
    { link: o.link, controlSocket },
  );
  // Flash writes from Python (file writes) and from a flasher happen between boots: save them
  // once they settle (no write for a second), and at least every 10 s while they go on (a
  // main.py that writes every second). Saving the whole 8 MiB file every second while a flasher
  // writes would cost more than the flashing itself, the more so with many modules.
  let opsAtLastTick = -1;
  let savedAt = Date.now();
  const timer = setInterval(() => {
    if (device === undefined || device.flash.dead) return;
    const ops = device.flash.writeOperations;
    if (ops === opsAtLastTick || Date.now() - savedAt >= 10_000) {
      save(device.flash);
      savedAt = Date.now();
    }
    opsAtLastTick = ops;
  }, 1000);
  return {
    handle,
    device: device!,
    flashPath,
    flashCreated,
    temporaryFlash,
    controlSocket,
    board: loaded.board.id,
    async close() {
      clearInterval(timer);
      await handle.close();
      if (device !== undefined) save(device.flash);
    },
  };
}
