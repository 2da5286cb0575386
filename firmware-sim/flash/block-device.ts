/**
 * The block-device seam (littlefs's `lfs_config` read/prog/erase/sync callbacks plus geometry).
 *
 * File systems and raw stores (SecureData) talk only to this interface. Implementations:
 * - `PartitionBlockDevice` (partition-block-device.ts): a window onto the NOR flash model, with
 *   its physics, faults and timing;
 * - `MemoryBlockDevice` (below): a plain RAM fake with the same rules, for fast unit tests.
 */
import { FlashbakError } from "../errors.js";

export interface BlockGeometry {
  /** Minimum read unit in bytes (>= 1). Every read offset and length is a multiple of it. */
  readonly readSize: number;
  /** Minimum program unit in bytes (>= 1). Every prog offset and length is a multiple of it. */
  readonly progSize: number;
  /** Erase unit in bytes: a multiple of readSize and progSize (and of the flash sector). */
  readonly blockSize: number;
  /** Number of blocks on the device (> 0). */
  readonly blockCount: number;
  /** Byte value of erased storage: 0xff for NOR, 0x00 for some emulations. */
  readonly eraseValue: number;
}

export interface BlockDevice {
  readonly geometry: BlockGeometry;
  /** True when prog and erase are refused (a read-only partition such as `/bak`). */
  readonly readOnly: boolean;
  /** Fill `into` with the bytes at (block, off). */
  read(block: number, off: number, into: Uint8Array): void;
  /** Program `data` at (block, off). The bytes must be erased (strict NOR rule). */
  prog(block: number, off: number, data: Uint8Array): void;
  /** Erase one whole block to `eraseValue`. */
  erase(block: number): void;
  /** Flush any write buffering. A no-op on NOR, kept for the littlefs contract. */
  sync(): void;
}

/** Raised for a read-only device, a range or an alignment violation. */
export class BlockDeviceError extends FlashbakError {}

export function checkAccess(
  g: BlockGeometry,
  block: number,
  off: number,
  len: number,
  unit: number,
  what: "read" | "prog",
): void {
  if (!Number.isInteger(block) || block < 0 || block >= g.blockCount) {
    throw new BlockDeviceError("BD_RANGE", `${what}: block ${block} outside 0..${g.blockCount - 1}`);
  }
  if (!Number.isInteger(off) || off < 0 || off + len > g.blockSize) {
    throw new BlockDeviceError(
      "BD_RANGE",
      `${what}: bytes ${off}..${off + len} outside block of ${g.blockSize}`,
    );
  }
  if (off % unit !== 0 || len % unit !== 0) {
    throw new BlockDeviceError(
      "BD_ALIGN",
      `${what}: offset ${off} / length ${len} not aligned to the ${what} size ${unit}`,
    );
  }
}

/** RAM-backed block device with strict erased-before-prog checking. A fake for tests. */
export class MemoryBlockDevice implements BlockDevice {
  readonly geometry: BlockGeometry;
  readonly readOnly: boolean;
  readonly data: Uint8Array;
  readonly stats = { reads: 0, progs: 0, erases: 0, readBytes: 0, progBytes: 0, eraseBytes: 0 };

  constructor(geometry: BlockGeometry, opts: { readOnly?: boolean; data?: Uint8Array } = {}) {
    this.geometry = geometry;
    this.readOnly = opts.readOnly ?? false;
    const size = geometry.blockSize * geometry.blockCount;
    if (opts.data !== undefined && opts.data.length !== size) {
      throw new BlockDeviceError("BD_RANGE", `image is ${opts.data.length} bytes, expected ${size}`);
    }
    this.data = opts.data ?? new Uint8Array(size).fill(geometry.eraseValue);
  }

  read(block: number, off: number, into: Uint8Array): void {
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    const base = block * this.geometry.blockSize + off;
    into.set(this.data.subarray(base, base + into.length));
    this.stats.reads++;
    this.stats.readBytes += into.length;
  }

  prog(block: number, off: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockDeviceError("BD_READ_ONLY", "prog: the device is read-only");
    checkAccess(this.geometry, block, off, data.length, this.geometry.progSize, "prog");
    const base = block * this.geometry.blockSize + off;
    for (let i = 0; i < data.length; i++) {
      if (this.data[base + i] !== this.geometry.eraseValue) {
        throw new BlockDeviceError("BD_NOT_ERASED", `prog: byte ${off + i} of block ${block} is not erased`);
      }
    }
    this.data.set(data, base);
    this.stats.progs++;
    this.stats.progBytes += data.length;
  }

  erase(block: number): void {
    if (this.readOnly) throw new BlockDeviceError("BD_READ_ONLY", "erase: the device is read-only");
    checkAccess(this.geometry, block, 0, 0, 1, "read");
    const base = block * this.geometry.blockSize;
    this.data.fill(this.geometry.eraseValue, base, base + this.geometry.blockSize);
    this.stats.erases++;
    this.stats.eraseBytes += this.geometry.blockSize;
  }

  sync(): void {}
}
