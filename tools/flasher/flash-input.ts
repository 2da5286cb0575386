/**
 * What `flashbak flash` and `flashbak station` write, from the command line's inputs: a
 * firmware package (every partition except those preserved on flash, each padded with 0xFF to
 * its partition size so the module ends up holding exactly the package), or a flat binary at
 * an offset (optionally with a board, whose preserved partitions it must then not touch).
 */
import { createHash } from "node:crypto";
import { UsageError } from "../../firmware-sim/errors.js";
import { chipById } from "../../firmware-sim/flash/chips.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { readInput } from "../merge/files.js";
import type { FlashRegion } from "./flash-plan.js";

export interface FlashInput {
  /** For messages: the package file name and firmware version, or "FILE @ 0xOFFSET". */
  label: string;
  regions: FlashRegion[];
  /** Flash size the input needs (the package's; for a binary its end, or the board's chip). */
  flashSize: number;
  /** Board the input is for (package header, or --board). */
  board: string | undefined;
  /** SHA-256 of the input file, hex. */
  sha256: string;
}

export function packageInput(path: string, expectBoard?: string): FlashInput {
  const bytes = readInput(path, "package");
  const pkg = readPackage(bytes, expectBoard === undefined ? {} : { board: expectBoard });
  const regions: FlashRegion[] = pkg.partitions.map((p) => {
    if (p.flags.preserveOnFlash)
      return { name: p.name, offset: p.offset, data: new Uint8Array(0), preserve: true, size: p.size };
    const data = new Uint8Array(p.size).fill(0xff);
    data.set(p.image, 0);
    return { name: p.name, offset: p.offset, data };
  });
  const v = pkg.header.firmwareVersion ? ` ${pkg.header.firmwareVersion}` : "";
  return {
    label: `${path} (${pkg.header.board}${v})`,
    regions,
    flashSize: pkg.header.flashSize,
    board: pkg.header.board,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

export function binaryInput(path: string, offset: number, board?: string): FlashInput {
  if (!Number.isInteger(offset) || offset < 0)
    throw new UsageError(`--offset ${offset} is not a byte offset`);
  const data = readInput(path, "binary");
  if (data.length === 0) throw new UsageError(`${path} is empty`);
  const regions: FlashRegion[] = [{ name: path, offset, data }];
  let flashSize = offset + data.length;
  if (board !== undefined) {
    const b = boardById(board);
    flashSize = chipById(b.flashChip).size;
    for (const p of b.partitions) {
      if (p.preserveOnFlash)
        regions.push({
          name: p.name,
          offset: p.offset,
          data: new Uint8Array(0),
          preserve: true,
          size: p.size,
        });
    }
  }
  return {
    label: `${path} @ 0x${offset.toString(16)}`,
    regions,
    flashSize,
    board,
    sha256: createHash("sha256").update(data).digest("hex"),
  };
}

/** Parse "0x10000", "65536", "64K", "1M". */
export function parseSize(text: string, what: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([km])?$/i.exec(text.trim());
  if (m === null) throw new UsageError(`${what} "${text}" is not a number (e.g. 0x10000, 65536, 64K)`);
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  return n * (unit === "k" ? 1024 : unit === "m" ? 1 << 20 : 1);
}
