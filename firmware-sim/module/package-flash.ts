/**
 * Flashing a firmware package onto a module's flash, as the flasher does: every partition the
 * package writes is erased and programmed with its image; partitions preserved on flash
 * (SecureData) are never touched, so their content survives the reflash. The restore mode the
 * package chose is recorded in the firmware descriptor (firmware-info.ts).
 */
import { FlashbakError } from "../errors.js";
import type { NorFlash } from "../flash/nor-flash.js";
import type { FirmwarePackage } from "../package/format.js";
import { checkBoard, partitionsToFlash } from "../package/layout.js";
import type { BoardProfile } from "./boards.js";
import { firmwareInfoOffset, writeFirmwareInfo } from "./firmware-info.js";

export interface PackageFlashResult {
  board: BoardProfile;
  /** Partitions written, in flash order. */
  written: Array<{ name: string; offset: number; size: number; imageBytes: number }>;
  /** Partitions left alone (preserved on flash). */
  preserved: string[];
  /** The firmware descriptor was written (false when the firmware image fills its partition). */
  descriptor: boolean;
}

/** Write `pkg` onto `flash` (which must be the package board's chip). */
export function flashPackage(flash: NorFlash, pkg: FirmwarePackage): PackageFlashResult {
  const board = checkBoard(pkg);
  if (flash.size !== pkg.header.flashSize) {
    throw new FlashbakError(
      "PKG_BOARD",
      `package is for a ${pkg.header.flashSize}-byte flash, this module has ${flash.size} bytes`,
    );
  }
  const written: PackageFlashResult["written"] = [];
  for (const p of partitionsToFlash(pkg)) {
    flash.erase(p.offset, p.size);
    if (p.image.length > 0) flash.program(p.offset, p.image);
    written.push({ name: p.name, offset: p.offset, size: p.size, imageBytes: p.image.length });
  }
  const preserved = pkg.partitions.filter((p) => p.flags.preserveOnFlash).map((p) => p.name);
  const fw = pkg.partitions.find((p) => p.type === "firmware");
  const at = firmwareInfoOffset(board, flash.sectorSize);
  const fits = fw !== undefined && at !== undefined && fw.offset + fw.image.length <= at;
  if (fits) {
    writeFirmwareInfo(flash, board, {
      board: board.id,
      restoreMode: pkg.header.restoreMode,
      name: pkg.header.firmwareName,
      version: pkg.header.firmwareVersion,
    });
  }
  return { board, written, preserved, descriptor: fits };
}
