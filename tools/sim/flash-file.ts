/**
 * Flash files: a flash file is the raw image of the whole chip, byte for byte (what a
 * programmer would dump). Wear counts and unstable bits are not in it. Written through a
 * temporary file and a rename, so an interrupted command never leaves half a flash file.
 *
 * A flash file does not say which board it belongs to: the firmware descriptor (written by
 * `sim create`) does; otherwise the chip size picks the board when only one matches, and
 * `--board` settles the rest.
 */
import { existsSync } from "node:fs";
import { UsageError } from "../../firmware-sim/errors.js";
import { chipById } from "../../firmware-sim/flash/chips.js";
import type { PowerCutPlan } from "../../firmware-sim/flash/faults.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import type { BoardProfile } from "../../firmware-sim/module/boards.js";
import { boardById, boards } from "../../firmware-sim/module/boards.js";
import { readFirmwareInfo } from "../../firmware-sim/module/firmware-info.js";
import { boardFlash } from "../../firmware-sim/module/flash-map.js";
import { readInput, writeFileAtomic } from "../merge/files.js";

export interface LoadedFlash {
  board: BoardProfile;
  flash: NorFlash;
}

export function flashFileExists(path: string): boolean {
  return existsSync(path);
}

/** Power on a flash file's image, armed with a power cut when asked. */
export function loadFlashFile(
  path: string,
  opts: { board?: string; powerCut?: PowerCutPlan } = {},
): LoadedFlash {
  const image = readInput(path, "flash file");
  const board = opts.board !== undefined ? boardById(opts.board) : detectBoard(image, path);
  const size = chipById(board.flashChip).size;
  if (image.length !== size) {
    throw new UsageError(
      `flash file ${path} is ${image.length} bytes, but board ${board.id} has a ${size}-byte chip`,
      "pick the board the image was made for (--board), or create a new one with flashbak sim create",
    );
  }
  return { board, flash: boardFlash(board, { image, powerCut: opts.powerCut }) };
}

function detectBoard(image: Uint8Array, path: string): BoardProfile {
  const bySize = Object.values(boards).filter((b) => chipById(b.flashChip).size === image.length);
  for (const b of bySize) {
    const info = readFirmwareInfo(boardFlash(b, { image }), b);
    if (info !== undefined && boards[info.board] !== undefined) return boardById(info.board);
  }
  if (bySize.length === 1) return bySize[0]!;
  throw new UsageError(
    `cannot tell which board flash file ${path} (${image.length} bytes) belongs to`,
    `pass --board (${Object.keys(boards).join(", ")})`,
  );
}

/** Save the chip's contents (also a dead, power-cut chip) atomically. */
export function saveFlashFile(path: string, flash: NorFlash): void {
  writeFileAtomic(path, flash.image());
}
