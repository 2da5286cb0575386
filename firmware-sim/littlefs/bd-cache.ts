/**
 * The caching block-device layer of lfs.c (`lfs_bd_read/cmp/crc/prog/flush/sync/erase`): one read
 * cache and one program cache (plus each file's own cache), so metadata scans read whole cache
 * lines and commits program whole prog units. The program cache starts filled with 0xff, which
 * is why commit padding reads back as 0xff whatever the erase value.
 *
 * Device failures become littlefs codes here: a bad block (`FLASH_BAD_*`, `BD_*` codes) is
 * CORRUPT, which makes the callers relocate, exactly like a C driver returning LFS_ERR_CORRUPT.
 * A `PowerLoss` is never caught.
 */
import { FlashbakError, LfsErrno, isPowerLoss } from "../errors.js";
import { lfsCrc } from "./crc.js";
import { copyBytes, firstDifference } from "../flash/bytes.js";
import { cachePrefix, type Cache, type Lfs } from "./state.js";
import { touched } from "./traverse-cache.js";
import { BLOCK_INLINE, BLOCK_NULL, CMP_EQ, CMP_GT, CMP_LT, alignDown, alignUp } from "./tag.js";

export const ERR = LfsErrno;

/**
 * Map a block-device exception to a littlefs error code, rethrowing what is not ours to handle:
 * a power cut, and contract violations (programming unerased or misaligned bytes), which are
 * bugs in this library and must surface rather than be "repaired" by relocating.
 */
export function bdErrorCode(e: unknown): number {
  if (isPowerLoss(e)) throw e;
  if (e instanceof FlashbakError) {
    const c = e.code;
    if (/_(NOT_ERASED|ALIGN|BIT_SET|REPROGRAM_LIMIT|CONFIG)$/.test(c)) throw e;
    if (c === "BD_READ_ONLY" || c === "FLASH_READ_ONLY") return ERR.EROFS;
    if (/^(FLASH_BAD|BD_)/.test(c) || c === "FLASH_RANGE") return ERR.CORRUPT;
    if (/^FLASH_/.test(c)) return ERR.IO;
  }
  throw e;
}

export function cacheDrop(c: Cache): void {
  c.block = BLOCK_NULL;
}

export function cacheZero(c: Cache): void {
  c.buffer.fill(0xff);
  c.block = BLOCK_NULL;
}

function devRead(lfs: Lfs, block: number, off: number, into: Uint8Array): number {
  try {
    lfs.bd.read(block, off, into);
    return 0;
  } catch (e) {
    return bdErrorCode(e);
  }
}

/** A contiguous run of cached bytes: buffer[start .. start+len). */
export interface Window {
  buf: Uint8Array;
  start: number;
  len: number;
}

const win: Window = { buf: new Uint8Array(0), start: 0, len: 0 };

/**
 * Make the bytes at (block, off) available from the program or read cache, loading the read cache
 * (aligned to read_size, `hint` bytes ahead) when needed. Returns 0 and fills `win`, or an error.
 * This is lfs_bd_read without the copy and without the cache bypass.
 */
function window(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  hint: number,
  block: number,
  off: number,
  size: number,
): number {
  // a hint below 1 would load an empty cache line and never make progress
  if (hint < 1) hint = 1;
  for (;;) {
    let limit = size;
    if (pcache !== null && block === pcache.block && off < pcache.off + pcache.size) {
      if (off >= pcache.off) {
        win.buf = pcache.buffer;
        win.start = off - pcache.off;
        win.len = Math.min(limit, pcache.size - (off - pcache.off));
        return 0;
      }
      limit = Math.min(limit, pcache.off - off);
    }
    if (block === rcache.block && off < rcache.off + rcache.size) {
      if (off >= rcache.off) {
        win.buf = rcache.buffer;
        win.start = off - rcache.off;
        win.len = Math.min(limit, rcache.size - (off - rcache.off));
        return 0;
      }
      limit = Math.min(limit, rcache.off - off);
    }
    const err = loadLine(lfs, rcache, hint, block, off);
    if (err) return err;
  }
}

/**
 * Load the read cache with the line holding (block, off): aligned to read_size, `hint` bytes
 * ahead (>= 1), at most a cache and at most to the block's end. 0, or an error with the cache
 * dropped.
 */
function loadLine(lfs: Lfs, rcache: Cache, hint: number, block: number, off: number): number {
  const cfg = lfs.cfg;
  rcache.block = block;
  rcache.off = alignDown(off, cfg.readSize);
  rcache.size = Math.min(
    Math.min(alignUp(off + hint, cfg.readSize), cfg.blockSize) - rcache.off,
    cfg.cacheSize,
  );
  const err = devRead(lfs, block, rcache.off, cachePrefix(rcache, rcache.size));
  if (err) cacheDrop(rcache);
  return err;
}

function checkRange(lfs: Lfs, block: number, off: number, size: number): boolean {
  return (
    off + size <= lfs.cfg.blockSize && !(lfs.blockCount && block >= lfs.blockCount) && block !== BLOCK_INLINE
  );
}

/** lfs_bd_read: copy `size` bytes at (block, off) into out[outOff..]. */
export function bdRead(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  hint: number,
  block: number,
  off: number,
  out: Uint8Array,
  outOff: number,
  size: number,
): number {
  if (!checkRange(lfs, block, off, size)) return ERR.CORRUPT;
  // fast path: the whole range is in the read cache and not shadowed by the program cache
  if (
    block === rcache.block &&
    off >= rcache.off &&
    off + size <= rcache.off + rcache.size &&
    (pcache === null || block !== pcache.block)
  ) {
    const src = rcache.buffer;
    const base = off - rcache.off;
    for (let i = 0; i < size; i++) out[outOff + i] = src[base + i]!;
    return 0;
  }
  const rs = lfs.cfg.readSize;
  while (size > 0) {
    const inP =
      pcache !== null && block === pcache.block && off >= pcache.off && off < pcache.off + pcache.size;
    const inR = block === rcache.block && off >= rcache.off && off < rcache.off + rcache.size;
    if (!inP && !inR && size >= hint && off % rs === 0 && size >= rs) {
      // bypass the cache for big aligned reads, stopping below any cached region
      let diff = size;
      if (pcache !== null && block === pcache.block && off < pcache.off)
        diff = Math.min(diff, pcache.off - off);
      if (block === rcache.block && off < rcache.off) diff = Math.min(diff, rcache.off - off);
      diff = alignDown(diff, rs);
      if (diff > 0) {
        const err = devRead(lfs, block, off, out.subarray(outOff, outOff + diff));
        if (err) return err;
        outOff += diff;
        off += diff;
        size -= diff;
        continue;
      }
    }
    const err = window(lfs, pcache, rcache, hint, block, off, size);
    if (err) return err;
    copyBytes(out, outOff, win.buf, win.start, win.len);
    outOff += win.len;
    off += win.len;
    size -= win.len;
  }
  return 0;
}

const word4 = new Uint8Array(4);

/**
 * Read a big-endian (tags) or little-endian u32 through the read cache without allocating.
 * Returns the word (>= 0) or a negative error code.
 */
export function bdReadWord(
  lfs: Lfs,
  rcache: Cache,
  hint: number,
  block: number,
  off: number,
  bigEndian: boolean,
): number {
  let b: Uint8Array = word4;
  let i = 0;
  if (
    block === rcache.block &&
    off >= rcache.off &&
    off + 4 <= rcache.off + rcache.size &&
    off + 4 <= lfs.cfg.blockSize
  ) {
    b = rcache.buffer;
    i = off - rcache.off;
  } else if (
    lfs.cfg.readSize > 4 &&
    (block !== rcache.block || off < rcache.off || off >= rcache.off + rcache.size)
  ) {
    // A miss (walking a log backwards, every tag is one): load the line as window() would and
    // take the word from it, without bdRead's and window()'s general loops. With read_size > 4
    // bdRead would not bypass the cache for 4 bytes, so the device reads are the same.
    if (!checkRange(lfs, block, off, 4)) return ERR.CORRUPT;
    const err = loadLine(lfs, rcache, Math.max(hint, 1), block, off);
    if (err) return err;
    if (off + 4 <= rcache.off + rcache.size) {
      b = rcache.buffer;
      i = off - rcache.off;
    } else {
      // the word runs past the line: the rest as bdRead would fetch it
      const err2 = bdRead(lfs, null, rcache, hint, block, off, word4, 0, 4);
      if (err2) return err2;
    }
  } else {
    const err = bdRead(lfs, null, rcache, hint, block, off, word4, 0, 4);
    if (err) return err;
  }
  return bigEndian
    ? ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0
    : (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** lfs_bd_cmp: compare disk bytes with data; CMP_EQ/LT/GT or an error. */
export function bdCmp(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  hint: number,
  block: number,
  off: number,
  data: Uint8Array,
  dataOff: number,
  size: number,
): number {
  if (!checkRange(lfs, block, off, size)) return ERR.CORRUPT;
  let i = 0;
  while (i < size) {
    const err = window(lfs, pcache, rcache, hint - i, block, off + i, size - i);
    if (err) return err;
    const { buf, start, len } = win;
    const k = firstDifference(buf, start, data, dataOff + i, len);
    if (k >= 0) return buf[start + k]! < data[dataOff + i + k]! ? CMP_LT : CMP_GT;
    i += len;
  }
  return CMP_EQ;
}

/** lfs_bd_crc: continue crc over disk bytes. Returns the CRC (>= 0) or a negative error code. */
export function bdCrc(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  hint: number,
  block: number,
  off: number,
  size: number,
  crc: number,
): number {
  if (!checkRange(lfs, block, off, size)) return ERR.CORRUPT;
  let i = 0;
  while (i < size) {
    const err = window(lfs, pcache, rcache, hint - i, block, off + i, size - i);
    if (err) return err;
    crc = lfsCrc(crc, win.buf, win.start, win.len);
    i += win.len;
  }
  return crc;
}

/** lfs_bd_flush: program the dirty program cache (prog-aligned), optionally reading it back. */
export function bdFlush(lfs: Lfs, pcache: Cache, rcache: Cache, validate: boolean): number {
  if (pcache.block !== BLOCK_NULL && pcache.block !== BLOCK_INLINE) {
    const diff = alignUp(pcache.size, lfs.cfg.progSize);
    if (lfs.traverseCache !== null) touched(lfs.traverseCache, pcache.block);
    try {
      lfs.bd.prog(pcache.block, pcache.off, cachePrefix(pcache, diff));
    } catch (e) {
      return bdErrorCode(e);
    }
    if (validate) {
      const err = readBack(lfs, rcache, pcache.block, pcache.off, pcache.buffer, 0, diff);
      if (err) return err;
    }
    cacheZero(pcache);
  }
  return 0;
}

export function bdSync(lfs: Lfs, pcache: Cache, rcache: Cache, validate: boolean): number {
  cacheDrop(rcache);
  const err = bdFlush(lfs, pcache, rcache, validate);
  if (err) return err;
  try {
    lfs.bd.sync();
    return 0;
  } catch (e) {
    return bdErrorCode(e);
  }
}

/** lfs_bd_prog: buffer data into the program cache, flushing whenever it fills. */
export function bdProg(
  lfs: Lfs,
  pcache: Cache,
  rcache: Cache,
  validate: boolean,
  block: number,
  off: number,
  data: Uint8Array,
  dataOff: number,
  size: number,
): number {
  const cs = lfs.cfg.cacheSize;
  // once per call, for the whole lines it programs directly (progLine); what goes through the
  // program cache is stamped again when bdFlush programs it
  if (lfs.traverseCache !== null) touched(lfs.traverseCache, block);
  while (size > 0) {
    if (block === pcache.block && off >= pcache.off && off < pcache.off + cs) {
      if (off === pcache.off && pcache.size === 0 && size >= cs && block < BLOCK_INLINE) {
        // whole cache lines straight from `data` (see progLine); a run of them in one device
        // call where the device can (BlockDevice.progLines): the same progs and read-backs,
        // the read cache left holding the last line, as the loop below would leave it
        const run = Math.floor(size / cs);
        const bd = lfs.bd;
        if (
          run > 1 &&
          validate &&
          bd.progLines !== undefined &&
          off % lfs.cfg.readSize === 0 &&
          checkRange(lfs, block, off, run * cs) &&
          bd.progLines(block, off, data, dataOff, cs, run, cachePrefix(rcache, cs))
        ) {
          rcache.block = block;
          rcache.off = off + (run - 1) * cs;
          rcache.size = cs;
          pcache.off = rcache.off;
          pcache.size = cs;
          dataOff += run * cs;
          off += run * cs;
          size -= run * cs;
          cacheZero(pcache);
          continue;
        }
        do {
          const err = progLine(lfs, pcache, rcache, validate, block, off, data, dataOff, cs);
          if (err) return err;
          // where flushing this line through the cache would have left it
          pcache.off = off;
          pcache.size = cs;
          dataOff += cs;
          off += cs;
          size -= cs;
        } while (size >= cs);
        cacheZero(pcache);
        continue;
      }
      const diff = Math.min(size, cs - (off - pcache.off));
      copyBytes(pcache.buffer, off - pcache.off, data, dataOff, diff);
      dataOff += diff;
      off += diff;
      size -= diff;
      pcache.size = Math.max(pcache.size, off - pcache.off);
      if (pcache.size === cs) {
        const err = bdFlush(lfs, pcache, rcache, validate);
        if (err) return err;
      }
      continue;
    }
    pcache.block = block;
    pcache.off = alignDown(off, lfs.cfg.progSize);
    pcache.size = 0;
  }
  return 0;
}

/**
 * What copying a whole cache line into the program cache and flushing it does (bdFlush), done
 * from the caller's data: the same prog, the same read-back, and on failure the same state (the
 * line left in the cache for the caller to relocate). Skips two copies and a fill per line.
 * The caller zeroes the cache after the last line, as the flush would have.
 */
function progLine(
  lfs: Lfs,
  pcache: Cache,
  rcache: Cache,
  validate: boolean,
  block: number,
  off: number,
  data: Uint8Array,
  dataOff: number,
  cs: number,
): number {
  let err = 0;
  let done = false;
  try {
    const bd = lfs.bd;
    if (
      validate &&
      bd.progAndRead !== undefined &&
      off % lfs.cfg.readSize === 0 &&
      checkRange(lfs, block, off, cs)
    ) {
      // the prog and readBack's one cache load as a single device call: the same prog, the same
      // read into the read cache; a failed prog leaves the cache as the separate calls would
      try {
        bd.progAndRead(block, off, data.subarray(dataOff, dataOff + cs), cachePrefix(rcache, cs));
        rcache.block = block;
        rcache.off = off;
        rcache.size = cs;
        if (firstDifference(rcache.buffer, 0, data, dataOff, cs) >= 0) err = ERR.CORRUPT;
      } catch (e) {
        err = bdErrorCode(e);
      }
    } else {
      try {
        bd.prog(block, off, data.subarray(dataOff, dataOff + cs));
      } catch (e) {
        err = bdErrorCode(e);
      }
      if (!err && validate) err = readBack(lfs, rcache, block, off, data, dataOff, cs);
    }
    done = err === 0;
  } finally {
    // failed, by an error code or by an exception passing through (a contract violation, a
    // power cut): the line stays in the cache, as it would have been when the flush failed
    if (!done) {
      copyBytes(pcache.buffer, 0, data, dataOff, cs);
      pcache.block = block;
      pcache.off = off;
      pcache.size = cs;
    }
  }
  return err;
}

/**
 * The read-back after a flush: drop the read cache and compare `len` just-programmed bytes (at
 * most a cache line) with what the device holds now; 0, an error, or CORRUPT. From a
 * read_size-aligned offset that is exactly one cache load, done here directly (the same device
 * read, the cache left as bdCmp's window would leave it) instead of through bdCmp's and window's
 * general loops: this runs for every line a pack programs.
 */
function readBack(
  lfs: Lfs,
  rcache: Cache,
  block: number,
  off: number,
  data: Uint8Array,
  dataOff: number,
  len: number,
): number {
  cacheDrop(rcache);
  const rs = lfs.cfg.readSize;
  if (off % rs !== 0 || !checkRange(lfs, block, off, len)) {
    const res = bdCmp(lfs, null, rcache, len, block, off, data, dataOff, len);
    return res < 0 ? res : res !== CMP_EQ ? ERR.CORRUPT : 0;
  }
  // loadLine with hint len: from off (aligned) to the next read unit after off + len, within the
  // block; len is at most a cache line, which is a whole number of read units
  const size = Math.min(alignUp(off + len, rs), lfs.cfg.blockSize) - off;
  rcache.block = block;
  rcache.off = off;
  rcache.size = size;
  const err = devRead(lfs, block, off, cachePrefix(rcache, size));
  if (err) {
    cacheDrop(rcache);
    return err;
  }
  return firstDifference(rcache.buffer, 0, data, dataOff, len) < 0 ? 0 : ERR.CORRUPT;
}

export function bdErase(lfs: Lfs, block: number): number {
  if (lfs.traverseCache !== null) touched(lfs.traverseCache, block);
  try {
    lfs.bd.erase(block);
    return 0;
  } catch (e) {
    return bdErrorCode(e);
  }
}
