/**
 * One `flashbak sim` command's session with a flash file: power the module on from the file
 * (optionally armed to lose power after write operation N, `--cut-after`), run the work, and
 * save the flash file again, also when the power cut struck first (the torn flash is the
 * point). The PowerLoss is then rethrown so the CLI exits with status 3.
 */
import { PowerLoss, UsageError, isPowerLoss } from "../../firmware-sim/errors.js";
import type { PowerCutPlan } from "../../firmware-sim/flash/faults.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import type { BoardProfile } from "../../firmware-sim/module/boards.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { loadFlashFile, saveFlashFile } from "./flash-file.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { RESTORE_MODES } from "../../firmware-sim/module/restore-policy.js";

export interface SimSessionOptions {
  /** Path of the flash file. */
  flash: string;
  /** Board id; default: detected from the flash file. */
  board?: string;
  /** Lose power after this write operation (1-based, >= 1); undefined = no cut. */
  cutAfter?: number;
  /** Restore mode override; default: the firmware's choice. */
  restore?: RestoreMode;
}

/** Validate `--cut-after`: a positive integer, or undefined. */
export function cutPlan(cutAfter: number | undefined): PowerCutPlan | undefined {
  if (cutAfter === undefined) return undefined;
  if (!Number.isInteger(cutAfter) || cutAfter < 1) {
    throw new UsageError(`--cut-after must be a whole number >= 1, got ${cutAfter}`);
  }
  return { at: cutAfter, when: "after" };
}

export class SimSession {
  readonly board: BoardProfile;
  readonly flash: NorFlash;
  readonly module: Module;
  private readonly path: string;

  constructor(opts: SimSessionOptions) {
    requireFlashPath(opts.flash);
    const loaded = loadFlashFile(opts.flash, { board: opts.board, powerCut: cutPlan(opts.cutAfter) });
    this.board = loaded.board;
    this.flash = loaded.flash;
    this.path = opts.flash;
    this.module = new Module({
      board: this.board,
      flash: this.flash,
      fsDriver: new LittleFsDriver(),
      restoreMode: opts.restore,
    });
  }

  /** Read-only work: nothing is saved. */
  inspect<T>(work: (m: Module) => T): T {
    return work(this.module);
  }

  /** Work that may write flash: the flash file is saved afterwards, and after a power cut. */
  mutate<T>(work: (m: Module) => T): T {
    let result: T;
    try {
      result = work(this.module);
    } catch (e) {
      if (isPowerLoss(e)) {
        saveFlashFile(this.path, this.flash);
        throw tornFlashSaved(e, this.path);
      }
      throw e;
    }
    saveFlashFile(this.path, this.flash);
    return result;
  }
}

/** The PowerLoss the CLI reports: which operation, and where the torn flash went. */
export function tornFlashSaved(e: PowerLoss, path: string): PowerLoss {
  return new PowerLoss(
    e.operation,
    `power lost after flash write operation ${e.operation}; the flash as the cut left it was saved to ${path}`,
  );
}

/**
 * The CLI's fail handler records a missing required option and lets the handler run, so the
 * handler must not touch the file system without a path.
 */
export function requireFlashPath(path: string | undefined): asserts path is string {
  if (typeof path !== "string" || path.length === 0) {
    throw new UsageError("Missing required argument: --flash", "name the flash file: --flash dev.bin");
  }
}

// ---- options shared by the `flashbak sim` subcommands, described once so every --help agrees

export const flashOption = {
  type: "string",
  demandOption: true,
  describe: "Flash file: the raw image of the module's whole flash chip (flashbak sim create makes one)",
} as const;

export const boardOption = {
  type: "string",
  choices: Object.keys(boards),
  describe: "Board the flash file belongs to (default: read from the firmware descriptor, or the chip size)",
} as const;

export const cutAfterOption = {
  type: "number",
  describe:
    "Lose power right after the Nth flash write operation (program or erase, counted from 1). The torn " +
    "flash is saved and the command exits with status 3; if the work needs fewer operations it finishes (0)",
} as const;

export const restoreOption = {
  type: "string",
  choices: [...RESTORE_MODES],
  describe:
    "Boot-time restore behaviour: faithful (the 2021 device, flaws included) or hardened (atomic, verified). " +
    "Default: what the firmware package chose",
} as const;
