/**
 * The partition table of a package as a flash layout: consistency rules, the board check, and
 * the flat image of the whole flash (`flashImage`, what `flashbak export` writes and what a
 * raw flasher programs).
 */
import type { BoardProfile } from "../module/boards.js";
import { boards } from "../module/boards.js";
import type { FirmwarePackage, PackagePartition } from "./format.js";
import { MAX_FLASH_SIZE, PARTITION_TYPES, PackageError, RESTORE_MODES, corrupt } from "./format.js";

const hex = (n: number): string => "0x" + n.toString(16);

/**
 * Throw PKG_CORRUPT unless the table is usable: unique non-empty names, known types, partitions
 * in ascending offset order without overlap and inside the flash, images no larger than their
 * partitions, preserved partitions without an image.
 */
export function validateLayout(pkg: FirmwarePackage): void {
  const h = pkg.header;
  if (h.board.length === 0) throw corrupt("board id is empty");
  if (!Number.isInteger(h.flashSize) || h.flashSize <= 0 || h.flashSize > MAX_FLASH_SIZE) {
    throw corrupt(`flash size ${h.flashSize} outside 1..${MAX_FLASH_SIZE}`);
  }
  if (!RESTORE_MODES.includes(h.restoreMode))
    throw corrupt(`restore mode "${String(h.restoreMode)}" is unknown`);
  const names = new Set<string>();
  let end = 0;
  for (const p of pkg.partitions) {
    const what = `partition "${p.name}"`;
    if (p.name.length === 0) throw corrupt("a partition has an empty name");
    if (names.has(p.name)) throw corrupt(`${what} appears twice`);
    names.add(p.name);
    if (!PARTITION_TYPES.includes(p.type)) throw corrupt(`${what} has unknown type "${p.type}"`);
    if (p.size <= 0) throw corrupt(`${what} has size ${p.size}`);
    if (p.offset < end)
      throw corrupt(`${what} at ${hex(p.offset)} overlaps or precedes the partition before it`);
    end = p.offset + p.size;
    if (end > h.flashSize)
      throw corrupt(`${what} ends at ${hex(end)}, past the ${hex(h.flashSize)}-byte flash`);
    if (p.image.length > p.size)
      throw corrupt(`${what} image is ${p.image.length} bytes, larger than the partition`);
    if (p.flags.preserveOnFlash && p.image.length > 0) {
      throw corrupt(`${what} is preserved on flash but carries an image that would never be written`);
    }
  }
}

/**
 * Throw PKG_BOARD unless `pkg` was built for `board` (when given) and its table agrees with
 * that board profile: same flash size and every profile partition at the same place.
 * Returns the package's board profile.
 */
export function checkBoard(pkg: FirmwarePackage, expected?: string): BoardProfile {
  const id = pkg.header.board;
  if (expected !== undefined && id !== expected) {
    throw new PackageError(
      "PKG_BOARD",
      `package is for board "${id}", not "${expected}"`,
      `use a base package built for ${expected} (images/${expected}.fbpkg)`,
      { board: id, expected },
    );
  }
  const board = boards[id];
  if (board === undefined) {
    throw new PackageError(
      "PKG_BOARD",
      `package is for board "${id}", which this flashbak does not know`,
      `known boards: ${Object.keys(boards).join(", ")}`,
      { board: id },
    );
  }
  for (const spec of board.partitions) {
    const p = pkg.partitions.find((x) => x.name === spec.name);
    if (p === undefined || p.offset !== spec.offset || p.size !== spec.size || p.type !== spec.type) {
      const got = p === undefined ? "missing" : `${p.type} at ${hex(p.offset)}+${hex(p.size)}`;
      throw new PackageError(
        "PKG_BOARD",
        `package partition "${spec.name}" is ${got}; board ${id} has ${spec.type} at ${hex(spec.offset)}+${hex(spec.size)}`,
        "the package was built for a different revision of this board profile; rebuild it from a current base",
        { board: id, partition: spec.name },
      );
    }
  }
  return board;
}

/** Partitions a package flash writes (every one except those preserved on flash). */
export function partitionsToFlash(pkg: FirmwarePackage): PackagePartition[] {
  return pkg.partitions.filter((p) => !p.flags.preserveOnFlash);
}

/**
 * The whole flash as a flat binary, like `esptool merge-bin --pad-to-size`: every image at its
 * offset, everything else erased (0xFF). Partitions preserved on flash (SecureData) stay erased:
 * their content lives only on a device, never in a package. (`flashbak export` adds the
 * flasher's firmware descriptor on top: tools/merge/export-image.ts.)
 */
export function flashImage(pkg: FirmwarePackage): Uint8Array {
  const out = new Uint8Array(pkg.header.flashSize).fill(0xff);
  for (const p of partitionsToFlash(pkg)) out.set(p.image, p.offset);
  return out;
}
