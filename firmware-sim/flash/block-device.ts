/**
 * The block-device seam (littlefs's `lfs_config` read/prog/erase/sync callbacks plus geometry).
 *
 * File systems and raw stores (SecureData) talk only to this interface. Implementations:
 * - `PartitionBlockDevice` (partition-block-device.ts): a window onto the NOR flash model, with
 *   its physics, faults and timing;
 * - `MemoryBlockDevice` (below): a plain RAM fake with the same rules, for fast unit tests;
 * - `WriteBehindBlockDevice` (write-behind-device.ts): a pool of blocks in memory over a backing
 *   store, for building an image file.
 */
import { FlashbakError } from "../errors.js";
import { copyBytes, firstNotEqual } from "./bytes.js";

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
  /**
   * Optional, for devices where it is cheaper than two calls: `prog(block, off, data)`, then
   * `read(block, off, into)` (the read-back littlefs does after every program), counted as one
   * prog and one read. It throws before writing to `into` if either part fails.
   */
  progAndRead?(block: number, off: number, data: Uint8Array, into: Uint8Array): void;
  /**
   * Optional, for devices where a program stores exactly what it is given or throws (memory,
   * not NOR): `count` progAndRead calls at once, for lines of `lineSize` bytes taken from
   * data[dataOff..] and programmed from `off` on, the last line read back into `into` (whose
   * length is `lineSize`); counted as `count` progs and `count` reads. Done only when every
   * line would land as given (within the block, aligned, every target byte erased): otherwise
   * nothing is programmed, `false` comes back, and the caller goes line by line, meeting the
   * error at the line where it would have. littlefs programs a file's data a cache line at a
   * time with a read-back each; this does a run of them with one copy.
   */
  progLines?(
    block: number,
    off: number,
    data: Uint8Array,
    dataOff: number,
    lineSize: number,
    count: number,
    into: Uint8Array,
  ): boolean;
}

/**
 * The checks both devices' `progLines` make before doing anything: `count` lines of `lineSize`
 * bytes from data[dataOff..] fit block `block` from `off` at the units of `g`, and `into` holds
 * one line.
 */
export function linesFit(
  g: BlockGeometry,
  block: number,
  off: number,
  data: Uint8Array,
  dataOff: number,
  lineSize: number,
  count: number,
  into: Uint8Array,
): boolean {
  const unit = Math.max(g.progSize, g.readSize);
  return (
    Number.isInteger(block) &&
    block >= 0 &&
    block < g.blockCount &&
    Number.isInteger(off) &&
    off >= 0 &&
    off + lineSize * count <= g.blockSize &&
    off % unit === 0 &&
    lineSize % unit === 0 &&
    into.length === lineSize &&
    dataOff >= 0 &&
    dataOff + lineSize * count <= data.length
  );
}

/** Count a run of `count` lines of `len` bytes in all as `count` progs and `count` read-backs. */
export function countLines(stats: MemoryBlockDevice["stats"], count: number, len: number): void {
  stats.progs += count;
  stats.progBytes += len;
  stats.reads += count;
  stats.readBytes += len;
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

/**
 * RAM-backed block device with strict erased-before-prog checking: the fake for tests, and the
 * device under `flashbak fs` commands that change an existing image (new images are built on a
 * `WriteBehindBlockDevice`, write-behind-device.ts).
 *
 * A new device starts erased without writing a byte: a block stays "untouched" (its memory
 * still the zeros the allocation came with) until its first prog, when it is filled with the
 * erase value. Filling 16 MiB up front cost more than packing a thousand files into it (the
 * page faults alone take ~45 ms on our CI-class machine), and most of an image is usually
 * never programmed. `pieces()` hands the image out without filling the untouched blocks;
 * `data` fills them first.
 *
 * While the device owns its memory (made fresh, and neither `data` nor `pieces()` handed out),
 * it also knows where each block's programmed bytes end: everything after that mark is still
 * erased, so a prog there (littlefs appends to a block front to back) needs no erased check.
 * Anything else is checked byte by byte, and once the memory is out, every prog is.
 */
export class MemoryBlockDevice implements BlockDevice {
  readonly geometry: BlockGeometry;
  readonly readOnly: boolean;
  readonly stats = { reads: 0, progs: 0, erases: 0, readBytes: 0, progBytes: 0, eraseBytes: 0 };
  readonly #mem: Uint8Array;
  /** untouched[b] = 1: block b reads as erased but its memory was never filled. Null: none. */
  #untouched: Uint8Array | null;
  /**
   * progEnd[b]: bytes of block b from here on hold the erase value (nothing was programmed there
   * since the block was last erased). Null when the memory is not ours alone (given, or handed
   * out by `data` or `pieces()`): then every prog checks.
   */
  #progEnd: Uint32Array | null;

  constructor(geometry: BlockGeometry, opts: { readOnly?: boolean; data?: Uint8Array } = {}) {
    this.geometry = geometry;
    this.readOnly = opts.readOnly ?? false;
    const size = geometry.blockSize * geometry.blockCount;
    if (opts.data !== undefined && opts.data.length !== size) {
      throw new BlockDeviceError("BD_RANGE", `image is ${opts.data.length} bytes, expected ${size}`);
    }
    if (opts.data !== undefined) {
      this.#mem = opts.data;
      this.#untouched = null;
      this.#progEnd = null;
    } else {
      this.#progEnd = new Uint32Array(geometry.blockCount);
      this.#mem = new Uint8Array(size);
      // zeroed memory already is erased when the erase value is 0x00
      this.#untouched = geometry.eraseValue === 0 ? null : new Uint8Array(geometry.blockCount).fill(1);
    }
  }

  /** The whole image as one array (every untouched block is filled with the erase value first). */
  get data(): Uint8Array {
    // the caller may write into it: stop trusting the programmed-bytes marks
    this.#progEnd = null;
    if (this.#untouched !== null) {
      for (let b = 0; b < this.geometry.blockCount; b++) this.#fill(b);
      this.#untouched = null;
    }
    return this.#mem;
  }

  /**
   * The image as consecutive pieces whose concatenation is `data`: programmed blocks as views of
   * the device's memory, runs of untouched blocks as views of one shared erased buffer. For
   * writing an image out without filling what was never programmed.
   */
  pieces(): Uint8Array[] {
    // the pieces are views of the memory, so the caller could write into it
    this.#progEnd = null;
    const u = this.#untouched;
    if (u === null) return [this.#mem];
    const bs = this.geometry.blockSize;
    const erased = new Uint8Array(Math.min(this.#mem.length, 64 * 1024)).fill(this.geometry.eraseValue);
    const out: Uint8Array[] = [];
    let b = 0;
    while (b < u.length) {
      let e = b;
      while (e < u.length && u[e] === u[b]) e++;
      if (u[b] === 0) out.push(this.#mem.subarray(b * bs, e * bs));
      else {
        for (let left = (e - b) * bs; left > 0; left -= erased.length) {
          out.push(left >= erased.length ? erased : erased.subarray(0, left));
        }
      }
      b = e;
    }
    return out;
  }

  #fill(block: number): void {
    if (this.#untouched === null || this.#untouched[block] === 0) return;
    const bs = this.geometry.blockSize;
    this.#mem.fill(this.geometry.eraseValue, block * bs, (block + 1) * bs);
    this.#untouched[block] = 0;
  }

  read(block: number, off: number, into: Uint8Array): void {
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    if (this.#untouched !== null && this.#untouched[block] === 1) into.fill(this.geometry.eraseValue);
    else copyBytes(into, 0, this.#mem, block * this.geometry.blockSize + off, into.length);
    this.stats.reads++;
    this.stats.readBytes += into.length;
  }

  prog(block: number, off: number, data: Uint8Array): void {
    if (this.readOnly) throw new BlockDeviceError("BD_READ_ONLY", "prog: the device is read-only");
    checkAccess(this.geometry, block, off, data.length, this.geometry.progSize, "prog");
    this.#fill(block);
    const mem = this.#mem;
    const ev = this.geometry.eraseValue;
    const base = block * this.geometry.blockSize + off;
    const progEnd = this.#progEnd;
    if (progEnd === null || off < progEnd[block]!) {
      const i = firstNotEqual(mem, base, data.length, ev);
      if (i >= 0) {
        throw new BlockDeviceError("BD_NOT_ERASED", `prog: byte ${off + i} of block ${block} is not erased`);
      }
    }
    if (progEnd !== null && off + data.length > progEnd[block]!) progEnd[block] = off + data.length;
    mem.set(data, base);
    this.stats.progs++;
    this.stats.progBytes += data.length;
  }

  progLines(
    block: number,
    off: number,
    data: Uint8Array,
    dataOff: number,
    lineSize: number,
    count: number,
    into: Uint8Array,
  ): boolean {
    const len = lineSize * count;
    if (this.readOnly || !linesFit(this.geometry, block, off, data, dataOff, lineSize, count, into))
      return false;
    this.#fill(block);
    const mem = this.#mem;
    const base = block * this.geometry.blockSize + off;
    const progEnd = this.#progEnd;
    if (
      (progEnd === null || off < progEnd[block]!) &&
      firstNotEqual(mem, base, len, this.geometry.eraseValue) >= 0
    ) {
      return false;
    }
    if (progEnd !== null && off + len > progEnd[block]!) progEnd[block] = off + len;
    mem.set(data.subarray(dataOff, dataOff + len), base);
    copyBytes(into, 0, mem, base + len - lineSize, lineSize);
    countLines(this.stats, count, len);
    return true;
  }

  progAndRead(block: number, off: number, data: Uint8Array, into: Uint8Array): void {
    this.prog(block, off, data);
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    // prog filled the block: no untouched case here
    copyBytes(into, 0, this.#mem, block * this.geometry.blockSize + off, into.length);
    this.stats.reads++;
    this.stats.readBytes += into.length;
  }

  erase(block: number): void {
    if (this.readOnly) throw new BlockDeviceError("BD_READ_ONLY", "erase: the device is read-only");
    checkAccess(this.geometry, block, 0, 0, 1, "read");
    // an untouched block already reads as erased
    if (this.#untouched === null || this.#untouched[block] === 0) {
      const base = block * this.geometry.blockSize;
      this.#mem.fill(this.geometry.eraseValue, base, base + this.geometry.blockSize);
    }
    if (this.#progEnd !== null) this.#progEnd[block] = 0;
    this.stats.erases++;
    this.stats.eraseBytes += this.geometry.blockSize;
  }

  sync(): void {}
}
