/**
 * The work of `flashbak sim create`: flash a package (or a bare board's empty file systems)
 * onto a blank chip or over an existing flash file, honouring `--cut-after`.
 */
import { isPowerLoss, UsageError } from "../../firmware-sim/errors.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import type { BoardProfile } from "../../firmware-sim/module/boards.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { provision } from "../../firmware-sim/module/factory.js";
import { boardFlash } from "../../firmware-sim/module/flash-map.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { flashPackage } from "../../firmware-sim/module/firmware-info.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { readInput } from "../merge/files.js";
import { flashFileExists, loadFlashFile, saveFlashFile } from "./flash-file.js";
import { cutPlan, requireFlashPath, tornFlashSaved } from "./sim-session.js";

export interface CreateFlashOptions {
  /** Flash file path. */
  flash: string;
  /** Firmware package to flash (wins over `board`). */
  packagePath?: string;
  /** Bare board (empty file systems) when there is no package. */
  board?: BoardProfile;
  /** Restore mode recorded for a bare board; default the board's. */
  restoreMode?: RestoreMode;
  /** What to do when the flash file exists: reflash over it, start blank, or refuse. */
  existing: "reflash" | "erase" | "refuse";
  /** Lose power after this write operation (`--cut-after`). */
  cutAfter?: number;
}

export interface CreateFlashResult {
  flash: string;
  board: string;
  mode: "create" | "reflash";
  restoreMode: RestoreMode;
  written: Array<{ name: string; imageBytes: number }>;
  preserved: string[];
  flashOps: number;
}

export function createFlash(o: CreateFlashOptions): CreateFlashResult {
  requireFlashPath(o.flash);
  const exists = flashFileExists(o.flash);
  if (exists && o.existing === "refuse") {
    throw new UsageError(
      `flash file ${o.flash} already exists`,
      "add --reflash to flash over it (SecureData survives) or --erase to start from a blank chip",
    );
  }
  const pkg = o.packagePath === undefined ? undefined : readPackage(readInput(o.packagePath, "package"));
  const boardId = pkg?.header.board ?? o.board?.id;
  if (boardId === undefined) throw new UsageError("give --package PKG or --board B");
  const plan = cutPlan(o.cutAfter);
  let flash: NorFlash;
  const reflash = exists && o.existing === "reflash";
  if (reflash) {
    flash = loadFlashFile(o.flash, { board: boardId, powerCut: plan }).flash;
  } else {
    const board = o.board ?? boardById(boardId);
    flash = boardFlash(board, { powerCut: plan });
  }
  try {
    let result: CreateFlashResult;
    if (pkg !== undefined) {
      const r = flashPackage(flash, pkg);
      result = {
        flash: o.flash,
        board: r.board.id,
        mode: reflash ? "reflash" : "create",
        restoreMode: pkg.header.restoreMode,
        written: r.written.map((p) => ({ name: p.name, imageBytes: p.imageBytes })),
        preserved: r.preserved,
        flashOps: 0,
      };
    } else {
      const board = boardById(boardId);
      const restoreMode = o.restoreMode ?? board.defaultRestoreMode;
      provision(flash, board, new LittleFsDriver(), {
        files: [],
        firmware: { board: board.id, restoreMode },
      });
      result = {
        flash: o.flash,
        board: board.id,
        mode: reflash ? "reflash" : "create",
        restoreMode,
        written: board.partitions
          .filter((p) => p.type === "littlefs")
          .map((p) => ({ name: p.name, imageBytes: 0 })),
        preserved: board.partitions.filter((p) => p.preserveOnFlash).map((p) => p.name),
        flashOps: 0,
      };
    }
    result.flashOps = flash.writeOperations;
    saveFlashFile(o.flash, flash);
    return result;
  } catch (e) {
    if (isPowerLoss(e)) {
      saveFlashFile(o.flash, flash);
      throw tornFlashSaved(e, o.flash);
    }
    throw e;
  }
}
