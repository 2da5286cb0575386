/**
 * The flat binary `flashbak export` writes: the package's whole flash (package/layout.ts
 * `flashImage`: images at their offsets, gaps and preserved partitions erased) plus what the
 * flasher adds when it flashes a package, the firmware descriptor (module/firmware-info.ts:
 * board, restore mode, firmware name and version in the last sector of the firmware
 * partition). With it, a raw flash of the binary boots exactly as a package flash does,
 * including the restore mode the package chose.
 *
 * This lives on the tools side because it joins two simulator layers: the module's descriptor
 * format depends on the package model, so the package layer cannot depend back on it.
 */
import { chipById } from "../../firmware-sim/flash/chips.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { encodeFirmwareInfo, firmwareInfoOffset } from "../../firmware-sim/module/firmware-info.js";
import type { FirmwarePackage } from "../../firmware-sim/package/format.js";
import { flashImage } from "../../firmware-sim/package/layout.js";

/**
 * Where the firmware descriptor goes, or undefined when the package has no firmware partition,
 * its board is unknown, or the firmware image reaches into the descriptor's sector (the
 * flasher then writes none either).
 */
export function firmwareDescriptorOffset(pkg: FirmwarePackage): number | undefined {
  const board = boards[pkg.header.board];
  const fw = pkg.partitions.find((p) => p.type === "firmware");
  if (board === undefined || fw === undefined) return undefined;
  const at = firmwareInfoOffset(board, chipById(board.flashChip).sectorSize);
  return at !== undefined && fw.offset + fw.image.length <= at ? at : undefined;
}

export interface ExportImage {
  /** The whole flash, `header.flashSize` bytes. */
  readonly bytes: Uint8Array;
  /** Offset of the firmware descriptor, when one was written. */
  readonly descriptorAt: number | undefined;
}

export function exportImage(pkg: FirmwarePackage): ExportImage {
  const bytes = flashImage(pkg);
  const at = firmwareDescriptorOffset(pkg);
  if (at !== undefined) {
    const h = pkg.header;
    // Same fields, same order as the flasher, so the bytes match a package flash exactly.
    bytes.set(
      encodeFirmwareInfo({
        board: h.board,
        restoreMode: h.restoreMode,
        name: h.firmwareName,
        version: h.firmwareVersion,
      }),
      at,
    );
  }
  return { bytes, descriptorAt: at };
}
