/**
 * A small descriptor the flasher writes in the LAST block of the `firmware` partition, so that a
 * flash image says which firmware it runs: the board it was built for, the package name and
 * version, and the boot-time restore mode the firmware package chose (DESIGN.md "Module and
 * boot": `faithful` unless the package says `hardened`).
 *
 * The last block keeps it clear of the firmware image itself, which starts at the partition's
 * offset and is far smaller than the partition.
 *
 * Layout (little-endian): "FBFW" | u8 version 1 | u8[3] 0xff | u32 JSON length | JSON (UTF-8)
 * | u32 CRC-32 of everything before it. Anything else there (a blank partition, a real firmware
 * image) means "no descriptor": the module falls back to the board's default mode.
 */
import { FlashbakError } from "../errors.js";
import type { NorFlash } from "../flash/nor-flash.js";
import type { FirmwarePackage } from "../package/format.js";
import { checkBoard, partitionsToFlash } from "../package/layout.js";
import type { BoardProfile } from "./boards.js";
import { crc32 } from "./file-crc32.js";
import { partitionDevice, partitionOfType } from "./flash-map.js";
import type { RestoreMode } from "./restore-policy.js";

export interface FirmwareInfo {
  /** Board id the package targets. */
  board: string;
  /** Restore mode the package chose for the boot-time backup check. */
  restoreMode: RestoreMode;
  /** Package name and version, when flashed from a package. */
  name?: string;
  version?: string;
}

const MAGIC = [0x46, 0x42, 0x46, 0x57];
const HEAD = 12;

export function encodeFirmwareInfo(info: FirmwareInfo): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(info));
  const out = new Uint8Array(HEAD + json.length + 4).fill(0xff);
  out.set(MAGIC, 0);
  out[4] = 1;
  const v = new DataView(out.buffer);
  v.setUint32(8, json.length, true);
  out.set(json, HEAD);
  v.setUint32(HEAD + json.length, crc32(out.subarray(0, HEAD + json.length)), true);
  return out;
}

/** The descriptor on the flash, or undefined when there is none (or it is damaged). */
export function readFirmwareInfo(flash: NorFlash, board: BoardProfile): FirmwareInfo | undefined {
  const part = partitionOfType(board, "firmware");
  if (part === undefined) return undefined;
  const bd = partitionDevice(flash, board, part.name);
  const last = bd.geometry.blockCount - 1;
  const head = new Uint8Array(HEAD);
  bd.read(last, 0, head);
  if (!MAGIC.every((b, i) => head[i] === b) || head[4] !== 1) return undefined;
  const len = new DataView(head.buffer).getUint32(8, true);
  if (len > bd.geometry.blockSize - HEAD - 4) return undefined;
  const all = new Uint8Array(HEAD + len + 4);
  bd.read(last, 0, all);
  const v = new DataView(all.buffer);
  if (v.getUint32(HEAD + len, true) !== crc32(all.subarray(0, HEAD + len))) return undefined;
  try {
    const info = JSON.parse(
      new TextDecoder().decode(all.subarray(HEAD, HEAD + len)),
    ) as Partial<FirmwareInfo>;
    if (
      typeof info.board !== "string" ||
      (info.restoreMode !== "faithful" && info.restoreMode !== "hardened")
    ) {
      return undefined;
    }
    return info as FirmwareInfo;
  } catch {
    return undefined;
  }
}

/** The flasher's write of the descriptor: erase the partition's last block, program it. */
export function writeFirmwareInfo(flash: NorFlash, board: BoardProfile, info: FirmwareInfo): void {
  const part = partitionOfType(board, "firmware");
  if (part === undefined) return;
  const bd = partitionDevice(flash, board, part.name, { writable: true });
  const last = bd.geometry.blockCount - 1;
  bd.erase(last);
  bd.prog(last, 0, encodeFirmwareInfo(info));
}

/** Byte range of the descriptor block on the chip (a package image must not reach into it). */
export function firmwareInfoOffset(board: BoardProfile, sectorSize: number): number | undefined {
  const part = partitionOfType(board, "firmware");
  return part === undefined ? undefined : part.offset + part.size - sectorSize;
}

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
