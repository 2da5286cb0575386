/**
 * The flash map of a board: a `NorFlash` of the board's chip and a `PartitionBlockDevice` per
 * partition. The module gets the read-only view of `/bak`; the flasher and the merger (and the
 * host-side `sim` tools acting as them) ask for `writable: true`.
 */
import type { Clock } from "../clock.js";
import { chipById } from "../flash/chips.js";
import type { PowerCutPlan } from "../flash/faults.js";
import type { FlashSnapshot } from "../flash/nor-flash.js";
import { NorFlash } from "../flash/nor-flash.js";
import { PartitionBlockDevice } from "../flash/partition-block-device.js";
import type { BoardProfile, PartitionSpec } from "./boards.js";
import { partitionByName } from "./boards.js";

export interface FlashOptions {
  /** Virtual clock the flash advances. Default: a private one. */
  clock?: Clock;
  /** Arm a power cut (write operations counted from this power-on). */
  powerCut?: PowerCutPlan;
  /** A raw chip image to power on from (a flash file); must be the chip's exact size. */
  image?: Uint8Array;
  /** A snapshot to power on from (the power-cut harness). Wins over `image`. */
  snapshot?: FlashSnapshot;
}

/** Power on the board's flash chip: blank, from an image, or from a snapshot. */
export function boardFlash(board: BoardProfile, opts: FlashOptions = {}): NorFlash {
  const chip = chipById(board.flashChip);
  const config = { chip, clock: opts.clock, powerCut: opts.powerCut };
  if (opts.snapshot !== undefined) return NorFlash.fromSnapshot(opts.snapshot, config);
  if (opts.image !== undefined) return NorFlash.fromImage(opts.image, config);
  return new NorFlash(config);
}

/**
 * The block device of one partition. littlefs partitions use the board's littlefs read/prog
 * units and block size; the SecureData region is byte-addressed (NOR) with sector blocks.
 * `writable` ignores the partition's read-only flag (flasher/merger access only).
 */
export function partitionDevice(
  flash: NorFlash,
  board: BoardProfile,
  name: string,
  opts: { writable?: boolean } = {},
): PartitionBlockDevice {
  const p = partitionByName(board, name);
  const lfs = p.type === "littlefs";
  return new PartitionBlockDevice(flash, {
    name: p.name,
    offset: p.offset,
    size: p.size,
    blockSize: lfs ? board.littlefs.blockSize : flash.sectorSize,
    readSize: lfs ? board.littlefs.readSize : 1,
    progSize: lfs ? board.littlefs.progSize : 1,
    readOnly: opts.writable === true ? false : (p.readOnly ?? false),
  });
}

/** The partition mounted at `mount` ("/usr", "/bak"). */
export function partitionAt(board: BoardProfile, mount: string): PartitionSpec {
  const p = board.partitions.find((x) => x.mount === mount);
  if (p === undefined) return partitionByName(board, mount === "/usr" ? "customer_fs" : "customer_backup_fs");
  return p;
}

/** The partition of the given type (e.g. "securedata"), or undefined when the board has none. */
export function partitionOfType(board: BoardProfile, type: PartitionSpec["type"]): PartitionSpec | undefined {
  return board.partitions.find((x) => x.type === type);
}
