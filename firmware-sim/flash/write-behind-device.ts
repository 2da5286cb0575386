/**
 * A block device that keeps a small pool of blocks in memory and writes the others back to a
 * backing store (the image file being built): the device under `flashbak fs mkfs` and `format`.
 *
 * Why not one array for the whole image (`MemoryBlockDevice`): first touching memory is what a
 * pack pays most for after the JIT. On our CI-class machines (virtual machines whose page tables
 * the hypervisor shadows) a page fault costs 11-16 us, so filling the 2,900 blocks a 1000-file
 * pack programs cost 45-57 ms, and the image was then copied into the kernel's page cache when
 * the file was written. Writing a block to a file costs ~1.6 us per 4 KiB page in runs of
 * consecutive blocks, and it is a write the image needed anyway. Here, memory is touched once
 * per pool slot and reused.
 *
 * What the pool has to answer: littlefs appends to the blocks it just allocated (the pool holds
 * them), fetches metadata pairs again and again (they stay hot), and when its allocator looks
 * for free blocks it walks every file's CTZ skip-list, reading a few pointers from the start of
 * each data block. So the first `headBytes` of every block written back stay in memory too:
 * those reads never reach the store. Anything else of a written-back block is read back from
 * the store into the pool.
 *
 * The rules are `MemoryBlockDevice`'s: strict erased-before-prog checking, the same statistics,
 * alignment and range checks. Blocks never programmed are not stored at all until `finish()`
 * writes the erase value over them. Only `finish()` makes the store complete; `sync()` (which
 * littlefs calls after every commit) writes nothing, since the store is a temporary file that
 * only becomes the image when the whole job has succeeded.
 */
import {
  BlockDeviceError,
  checkAccess,
  countLines,
  linesFit,
  type BlockDevice,
  type BlockGeometry,
} from "./block-device.js";
import { copyBytes, firstNotEqual } from "./bytes.js";

/** Where written-back blocks go: positions are byte offsets into the image. */
export interface BackingStore {
  /** Write data[off, off+len) at byte `pos` of the store (whole, or throw). */
  write(data: Uint8Array, off: number, len: number, pos: number): void;
  /** Fill into[off, off+len) from byte `pos` of the store (bytes written before; whole, or throw). */
  read(into: Uint8Array, off: number, len: number, pos: number): void;
}

/** A store in memory: the fake beside the file store, for tests. */
export class MemoryBackingStore implements BackingStore {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  write(data: Uint8Array, off: number, len: number, pos: number): void {
    if (pos < 0 || pos + len > this.bytes.length)
      throw new RangeError(`store write ${pos}+${len} out of range`);
    this.bytes.set(data.subarray(off, off + len), pos);
  }
  read(into: Uint8Array, off: number, len: number, pos: number): void {
    if (pos < 0 || pos + len > this.bytes.length)
      throw new RangeError(`store read ${pos}+${len} out of range`);
    into.set(this.bytes.subarray(pos, pos + len), off);
  }
}

export interface WriteBehindConfig {
  /** Blocks kept in memory (>= 2). More keeps more blocks hot; each costs a block of memory. */
  poolBlocks: number;
  /**
   * Bytes at the start of each written-back block kept in memory (0..blockSize): reads inside
   * them never reach the store. 0 keeps none.
   */
  headBytes: number;
  /** Consecutive blocks gathered into one store write (>= 1). 1 writes each block on its own. */
  batchBlocks: number;
}

/** Where a block's bytes are. */
const UNTOUCHED = 0; // erased, and not in the store: finish() writes the erase value there
const POOLED = 1; // in a pool slot (slotOf[block])
const STORED = 2; // in the store (or the batch about to be written), first headBytes in heads

export class WriteBehindBlockDevice implements BlockDevice {
  readonly geometry: BlockGeometry;
  readonly readOnly = false;
  readonly stats = { reads: 0, progs: 0, erases: 0, readBytes: 0, progBytes: 0, eraseBytes: 0 };
  /** Store writes and reads made (not counted in `stats`, which is littlefs's device work). */
  readonly storeStats = { writes: 0, writeBytes: 0, reads: 0, readBytes: 0 };
  readonly #store: BackingStore;
  readonly #bs: number;
  readonly #headBytes: number;
  readonly #state: Uint8Array;
  /** progEnd[b]: bytes of block b from here on hold the erase value. */
  readonly #progEnd: Uint32Array;
  readonly #heads: Uint8Array;
  readonly #slotOf: Int32Array;
  readonly #slotBlock: Int32Array;
  readonly #slotDirty: Uint8Array;
  /** CLOCK reference bits: a slot used since the hand last passed keeps its block once more. */
  readonly #slotRef: Uint8Array;
  readonly #pool: Uint8Array;
  #hand = 0;
  readonly #batch: Uint8Array;
  readonly #batchBlocks: number;
  #batchFirst = 0;
  #batchCount = 0;
  #finished = false;

  constructor(geometry: BlockGeometry, store: BackingStore, config: WriteBehindConfig) {
    const bs = geometry.blockSize;
    if (!Number.isInteger(config.poolBlocks) || config.poolBlocks < 2) {
      throw new RangeError(`poolBlocks ${config.poolBlocks}: at least 2`);
    }
    if (!Number.isInteger(config.headBytes) || config.headBytes < 0 || config.headBytes > bs) {
      throw new RangeError(`headBytes ${config.headBytes}: 0..${bs}`);
    }
    if (!Number.isInteger(config.batchBlocks) || config.batchBlocks < 1) {
      throw new RangeError(`batchBlocks ${config.batchBlocks}: at least 1`);
    }
    this.geometry = geometry;
    this.#store = store;
    this.#bs = bs;
    this.#headBytes = config.headBytes;
    const n = geometry.blockCount;
    const k = Math.min(config.poolBlocks, n);
    this.#state = new Uint8Array(n);
    this.#progEnd = new Uint32Array(n);
    // pages of it are touched only for blocks that get written back
    this.#heads = new Uint8Array(n * config.headBytes);
    this.#slotOf = new Int32Array(n).fill(-1);
    this.#slotBlock = new Int32Array(k).fill(-1);
    this.#slotDirty = new Uint8Array(k);
    this.#slotRef = new Uint8Array(k);
    this.#pool = new Uint8Array(k * bs);
    this.#batchBlocks = config.batchBlocks;
    this.#batch = new Uint8Array(config.batchBlocks * bs);
  }

  read(block: number, off: number, into: Uint8Array): void {
    this.#open();
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    const state = this.#state[block]!;
    if (state === UNTOUCHED) into.fill(this.geometry.eraseValue);
    else if (state === STORED && off + into.length <= this.#headBytes) {
      copyBytes(into, 0, this.#heads, block * this.#headBytes + off, into.length);
    } else {
      const slot = state === POOLED ? this.#slotOf[block]! : this.#load(block);
      this.#slotRef[slot] = 1;
      copyBytes(into, 0, this.#pool, slot * this.#bs + off, into.length);
    }
    this.stats.reads++;
    this.stats.readBytes += into.length;
  }

  prog(block: number, off: number, data: Uint8Array): void {
    this.#open();
    checkAccess(this.geometry, block, off, data.length, this.geometry.progSize, "prog");
    const slot = this.#slotFor(block);
    const base = slot * this.#bs + off;
    // littlefs appends front to back: past progEnd the block is known erased, no check needed
    if (off < this.#progEnd[block]!) {
      const i = firstNotEqual(this.#pool, base, data.length, this.geometry.eraseValue);
      if (i >= 0) {
        throw new BlockDeviceError("BD_NOT_ERASED", `prog: byte ${off + i} of block ${block} is not erased`);
      }
    }
    if (off + data.length > this.#progEnd[block]!) this.#progEnd[block] = off + data.length;
    // `data` is often a fresh view (a line of a caller's buffer): `set` copies it natively,
    // where copyBytes would first build a word view of its buffer
    this.#pool.set(data, base);
    this.#slotDirty[slot] = 1;
    this.#slotRef[slot] = 1;
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
    if (this.#finished || !linesFit(this.geometry, block, off, data, dataOff, lineSize, count, into)) {
      return false;
    }
    // the block comes into the pool as a prog of its first line would bring it
    const slot = this.#slotFor(block);
    const base = slot * this.#bs + off;
    if (off < this.#progEnd[block]! && firstNotEqual(this.#pool, base, len, this.geometry.eraseValue) >= 0) {
      return false;
    }
    if (off + len > this.#progEnd[block]!) this.#progEnd[block] = off + len;
    this.#pool.set(data.subarray(dataOff, dataOff + len), base);
    copyBytes(into, 0, this.#pool, base + len - lineSize, lineSize);
    this.#slotDirty[slot] = 1;
    this.#slotRef[slot] = 1;
    countLines(this.stats, count, len);
    return true;
  }

  progAndRead(block: number, off: number, data: Uint8Array, into: Uint8Array): void {
    this.prog(block, off, data);
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    // prog left the block in the pool
    const slot = this.#slotOf[block]!;
    this.#slotRef[slot] = 1;
    copyBytes(into, 0, this.#pool, slot * this.#bs + off, into.length);
    this.stats.reads++;
    this.stats.readBytes += into.length;
  }

  erase(block: number): void {
    this.#open();
    checkAccess(this.geometry, block, 0, 0, 1, "read");
    // an erased block needs no memory: it is untouched again, and finish() writes it erased
    if (this.#state[block] === POOLED) {
      const slot = this.#slotOf[block]!;
      this.#slotBlock[slot] = -1;
      this.#slotDirty[slot] = 0;
      this.#slotRef[slot] = 0;
      this.#slotOf[block] = -1;
    }
    this.#state[block] = UNTOUCHED;
    this.#progEnd[block] = 0;
    this.stats.erases++;
    this.stats.eraseBytes += this.#bs;
  }

  sync(): void {
    this.#open();
  }

  /**
   * Write every block to the store: the pool's changed blocks, and the erase value over every
   * block never programmed (or erased since). After this the device refuses all access.
   */
  finish(): void {
    this.#open();
    const dirty: number[] = [];
    for (let s = 0; s < this.#slotBlock.length; s++) {
      if (this.#slotBlock[s]! >= 0 && this.#slotDirty[s] === 1) dirty.push(this.#slotBlock[s]!);
    }
    dirty.sort((a, b) => a - b);
    for (const b of dirty) this.#writeBack(this.#slotOf[b]!);
    this.#flushBatch();
    this.#finished = true;
    // runs of untouched blocks, from one erased buffer
    const erased = this.#batch.fill(this.geometry.eraseValue);
    const perWrite = erased.length / this.#bs;
    const n = this.geometry.blockCount;
    for (let b = 0; b < n;) {
      if (this.#state[b] !== UNTOUCHED) {
        b++;
        continue;
      }
      let e = b + 1;
      while (e < n && e - b < perWrite && this.#state[e] === UNTOUCHED) e++;
      this.#storeWrite(erased, (e - b) * this.#bs, b * this.#bs);
      b = e;
    }
  }

  #open(): void {
    if (this.#finished)
      throw new BlockDeviceError("BD_CLOSED", "the device was finished; nothing more can be done on it");
  }

  /** The pool slot of `block` for a program: found, loaded back from the store, or taken erased. */
  #slotFor(block: number): number {
    const state = this.#state[block]!;
    if (state === POOLED) return this.#slotOf[block]!;
    if (state === STORED) return this.#load(block);
    const slot = this.#take(block);
    this.#pool.fill(this.geometry.eraseValue, slot * this.#bs, (slot + 1) * this.#bs);
    return slot;
  }

  /** Bring a written-back block into the pool (clean). */
  #load(block: number): number {
    // the store may not have it yet: whatever is gathered for writing goes first
    this.#flushBatch();
    const slot = this.#take(block);
    this.#store.read(this.#pool, slot * this.#bs, this.#bs, block * this.#bs);
    this.storeStats.reads++;
    this.storeStats.readBytes += this.#bs;
    this.#slotDirty[slot] = 0;
    return slot;
  }

  /** A free slot for `block` (evicting the first unreferenced one); the block becomes POOLED. */
  #take(block: number): number {
    const k = this.#slotBlock.length;
    let slot = -1;
    for (;;) {
      const s = this.#hand;
      this.#hand = s + 1 === k ? 0 : s + 1;
      if (this.#slotBlock[s] === -1) {
        slot = s;
        break;
      }
      if (this.#slotRef[s] === 1) this.#slotRef[s] = 0;
      else {
        this.#evict(s);
        slot = s;
        break;
      }
    }
    this.#slotBlock[slot] = block;
    this.#slotOf[block] = slot;
    this.#slotRef[slot] = 1;
    this.#state[block] = POOLED;
    return slot;
  }

  #evict(slot: number): void {
    const block = this.#slotBlock[slot]!;
    if (this.#slotDirty[slot] === 1) this.#writeBack(slot);
    this.#slotOf[block] = -1;
    this.#slotBlock[slot] = -1;
    this.#state[block] = STORED;
  }

  /** Queue a pooled block's bytes for the store, and keep its head. */
  #writeBack(slot: number): void {
    const block = this.#slotBlock[slot]!;
    const bs = this.#bs;
    const h = this.#headBytes;
    if (h > 0) copyBytes(this.#heads, block * h, this.#pool, slot * bs, h);
    if (this.#batchCount > 0 && block !== this.#batchFirst + this.#batchCount) this.#flushBatch();
    if (this.#batchCount === 0) this.#batchFirst = block;
    copyBytes(this.#batch, this.#batchCount * bs, this.#pool, slot * bs, bs);
    this.#batchCount++;
    this.#slotDirty[slot] = 0;
    if (this.#batchCount === this.#batchBlocks) this.#flushBatch();
  }

  #flushBatch(): void {
    if (this.#batchCount === 0) return;
    this.#storeWrite(this.#batch, this.#batchCount * this.#bs, this.#batchFirst * this.#bs);
    this.#batchCount = 0;
  }

  #storeWrite(data: Uint8Array, len: number, pos: number): void {
    this.#store.write(data, 0, len, pos);
    this.storeStats.writes++;
    this.storeStats.writeBytes += len;
  }
}
