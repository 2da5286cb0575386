/**
 * Superblock, format and mount (lfs.c `lfs_format_`, `lfs_mount_`, `lfs_fs_stat_`, `lfs_fs_grow_`,
 * `lfs_fs_gc_`, `lfs_fs_mkconsistent_`). Mount walks the whole tail list from {0,1} (hard and soft
 * tails, Brent cycle detection): the last mdir with a live "littlefs" superblock entry is the
 * root, and every mdir's MOVESTATE is XORed into the global state.
 */
import { FsError } from "../errors.js";
import { ERR } from "./bd-cache.js";
import { allocCkpoint, allocDrop, allocScan } from "./alloc.js";
import { dirFetch, dirFetchMatch, dirGet, dirGetGState, nameMatcher } from "./mdir-fetch.js";
import { dirAlloc } from "./mdir-commit.js";
import { dirCommit, fsForceConsistency, makeCycleDetector, prepSuperblock } from "./orphans.js";
import { type Lfs, copyGState, gstateIsZero, gstateXor, newMdir, zeroGState } from "./state.js";
import {
  TYPE_CREATE,
  TYPE_INLINESTRUCT,
  TYPE_SUPERBLOCK,
  mktag,
  pairIsNull,
  readLe32,
  tagIsDelete,
  tagSize,
  writeLe32,
} from "./tag.js";

const MAGIC = new TextEncoder().encode("littlefs");

export interface Superblock {
  version: number;
  blockSize: number;
  blockCount: number;
  nameMax: number;
  fileMax: number;
  attrMax: number;
}

/** The 24-byte superblock struct this mount would write (used by format and the 2.0 upgrade). */
export function superblockBytes(lfs: Lfs): Uint8Array {
  const b = new Uint8Array(24);
  writeLe32(b, 0, lfs.cfg.diskVersion);
  writeLe32(b, 4, lfs.cfg.blockSize);
  writeLe32(b, 8, lfs.blockCount);
  writeLe32(b, 12, lfs.nameMax);
  writeLe32(b, 16, lfs.fileMax);
  writeLe32(b, 20, lfs.attrMax);
  return b;
}

export function parseSuperblock(b: Uint8Array): Superblock {
  return {
    version: readLe32(b, 0),
    blockSize: readLe32(b, 4),
    blockCount: readLe32(b, 8),
    nameMax: readLe32(b, 12),
    fileMax: readLe32(b, 16),
    attrMax: readLe32(b, 20),
  };
}

/** lfs_format_ on an initialised state; returns an error code. */
export function lfsFormat(lfs: Lfs): number {
  if (lfs.blockCount === 0) return ERR.INVAL;
  const la = lfs.lookahead;
  la.buffer.fill(0);
  la.start = 0;
  la.size = Math.min(8 * lfs.cfg.lookaheadSize, lfs.blockCount);
  la.next = 0;
  allocCkpoint(lfs);
  const root = newMdir();
  let err = dirAlloc(lfs, root);
  if (err) return err;
  err = dirCommit(lfs, root, [
    { tag: mktag(TYPE_CREATE, 0, 0), buffer: null },
    { tag: mktag(TYPE_SUPERBLOCK, 0, 8), buffer: MAGIC },
    { tag: mktag(TYPE_INLINESTRUCT, 0, 24), buffer: superblockBytes(lfs) },
  ]);
  if (err) return err;
  // force a compaction so no older file system that may live on the disk can be mounted
  root.erased = false;
  err = dirCommit(lfs, root, []);
  if (err) return err;
  return dirFetch(lfs, root, [0, 1]);
}

function mountError(name: "INVAL" | "CORRUPT", message: string): FsError {
  return new FsError(name, `mount: ${message}`, {
    hint:
      name === "INVAL"
        ? "the image was made for a different configuration (see `flashbak fs info`)"
        : "the image is damaged or is not littlefs",
  });
}

/**
 * lfs_mount_ on an initialised state. Throws an FsError with a clear message for what a device
 * would reject (wrong block size or count, newer minor version, limits above ours); returns other
 * failures as codes.
 */
export function lfsMount(lfs: Lfs): number {
  const dir = newMdir();
  dir.tail = [0, 1];
  const cycle = makeCycleDetector();
  const sb = new Uint8Array(24);
  const major = lfs.cfg.diskVersion >>> 16;
  const minor = lfs.cfg.diskVersion & 0xffff;
  while (!pairIsNull(dir.tail)) {
    if (cycle(dir.tail)) throw mountError("CORRUPT", "cycle detected in the metadata tail list");
    let tag = dirFetchMatch(
      lfs,
      dir,
      [dir.tail[0], dir.tail[1]],
      mktag(0x7ff, 0x3ff, 0),
      mktag(TYPE_SUPERBLOCK, 0, 8),
      null,
      nameMatcher(lfs, MAGIC),
    );
    if (tag < 0) {
      if (tag === ERR.CORRUPT) {
        throw mountError("CORRUPT", `no valid metadata in blocks {${dir.tail[0]}, ${dir.tail[1]}}`);
      }
      return tag;
    }
    if (tag && !tagIsDelete(tag)) {
      lfs.root = [dir.pair[0], dir.pair[1]];
      tag = dirGet(lfs, dir, mktag(0x7ff, 0x3ff, 0), mktag(TYPE_INLINESTRUCT, 0, 24), sb);
      if (tag < 0) return tag;
      const s = parseSuperblock(sb);
      const smaj = s.version >>> 16;
      const smin = s.version & 0xffff;
      if (smaj !== major || smin > minor) {
        throw mountError(
          "INVAL",
          `unsupported on-disk version v${smaj}.${smin} (this mount supports v${major}.0..v${major}.${minor})`,
        );
      }
      prepSuperblock(lfs, smin < minor);
      if (s.nameMax) {
        if (s.nameMax > lfs.nameMax)
          throw mountError("INVAL", `name_max ${s.nameMax} on disk exceeds the configured ${lfs.nameMax}`);
        lfs.nameMax = s.nameMax;
      }
      if (s.fileMax) {
        if (s.fileMax > lfs.fileMax)
          throw mountError("INVAL", `file_max ${s.fileMax} on disk exceeds the configured ${lfs.fileMax}`);
        lfs.fileMax = s.fileMax;
      }
      if (s.attrMax) {
        if (s.attrMax > lfs.attrMax)
          throw mountError("INVAL", `attr_max ${s.attrMax} on disk exceeds the configured ${lfs.attrMax}`);
        lfs.attrMax = s.attrMax;
        lfs.inlineMax = Math.min(lfs.inlineMax, lfs.attrMax);
      }
      if (lfs.cfg.blockCount && s.blockCount !== lfs.cfg.blockCount) {
        throw mountError(
          "INVAL",
          `block count ${s.blockCount} on disk differs from the configured ${lfs.cfg.blockCount}`,
        );
      }
      if (s.blockCount === 0 || s.blockCount > lfs.bd.geometry.blockCount) {
        throw mountError(
          "CORRUPT",
          `block count ${s.blockCount} on disk does not fit the ${lfs.bd.geometry.blockCount}-block device`,
        );
      }
      lfs.blockCount = s.blockCount;
      if (s.blockSize !== lfs.cfg.blockSize) {
        throw mountError(
          "INVAL",
          `block size ${s.blockSize} on disk differs from the configured ${lfs.cfg.blockSize}`,
        );
      }
    }
    const err = dirGetGState(lfs, dir, lfs.gstate);
    if (err) return err;
  }
  if (pairIsNull(lfs.root) || lfs.blockCount === 0) throw mountError("CORRUPT", "no superblock found");
  // the on-disk orphan flag (bit 31) becomes an in-RAM orphan count of 1
  if (lfs.gstate.tag & 0x80000000) lfs.gstate.tag = (lfs.gstate.tag + 1) >>> 0;
  lfs.gdisk = copyGState(lfs.gstate);
  lfs.lookahead.start = lfs.seed % lfs.blockCount;
  allocDrop(lfs);
  return 0;
}

export interface FsInfo {
  diskVersion: number;
  blockSize: number;
  blockCount: number;
  nameMax: number;
  fileMax: number;
  attrMax: number;
}

/** lfs_fs_stat. */
export function lfsFsStat(lfs: Lfs, out: { info?: FsInfo }): number {
  let diskVersion = lfs.cfg.diskVersion;
  if (tagSize(lfs.gstate.tag) >> 9) {
    const dir = newMdir();
    let err = dirFetch(lfs, dir, lfs.root);
    if (err) return err;
    const sb = new Uint8Array(24);
    err = dirGet(lfs, dir, mktag(0x7ff, 0x3ff, 0), mktag(TYPE_INLINESTRUCT, 0, 24), sb);
    if (err < 0) return err;
    diskVersion = readLe32(sb, 0);
  }
  out.info = {
    diskVersion,
    blockSize: lfs.cfg.blockSize,
    blockCount: lfs.blockCount,
    nameMax: lfs.nameMax,
    fileMax: lfs.fileMax,
    attrMax: lfs.attrMax,
  };
  return 0;
}

/** lfs_fs_grow: record a bigger block count in the superblock (shrinking is refused). */
export function lfsFsGrow(lfs: Lfs, blockCount: number): number {
  if (blockCount < lfs.blockCount) return ERR.INVAL;
  if (blockCount > lfs.bd.geometry.blockCount) return ERR.INVAL;
  if (blockCount === lfs.blockCount) return 0;
  lfs.blockCount = blockCount;
  const root = newMdir();
  let err = dirFetch(lfs, root, lfs.root);
  if (err) return err;
  const sb = new Uint8Array(24);
  const tag = dirGet(lfs, root, mktag(0x7ff, 0x3ff, 0), mktag(TYPE_INLINESTRUCT, 0, 24), sb);
  if (tag < 0) return tag;
  writeLe32(sb, 8, lfs.blockCount);
  err = dirCommit(lfs, root, [{ tag, buffer: sb }]);
  return err;
}

/** lfs_fs_gc: repair, compact metadata above the threshold, refill the lookahead. */
export function lfsFsGc(lfs: Lfs): number {
  let err = fsForceConsistency(lfs);
  if (err) return err;
  const bs = lfs.cfg.blockSize;
  const thresh = lfs.cfg.compactThresh;
  if (thresh !== -1 && thresh < bs - lfs.cfg.progSize) {
    const mdir = newMdir();
    mdir.tail = [0, 1];
    while (!pairIsNull(mdir.tail)) {
      err = dirFetch(lfs, mdir, [mdir.tail[0], mdir.tail[1]]);
      if (err) return err;
      if (!mdir.erased || (thresh === 0 ? mdir.off > bs - Math.floor(bs / 8) : mdir.off > thresh)) {
        mdir.erased = false;
        err = dirCommit(lfs, mdir, []);
        if (err) return err;
      }
    }
  }
  if (lfs.lookahead.size < 8 * lfs.cfg.lookaheadSize) {
    err = allocScan(lfs);
    if (err) return err;
  }
  return 0;
}

/** lfs_fs_mkconsistent: repair and write out any pending global state. */
export function lfsFsMkconsistent(lfs: Lfs): number {
  let err = fsForceConsistency(lfs);
  if (err) return err;
  const delta = zeroGState();
  gstateXor(delta, lfs.gdisk);
  gstateXor(delta, lfs.gstate);
  if (!gstateIsZero(delta)) {
    const root = newMdir();
    err = dirFetch(lfs, root, lfs.root);
    if (err) return err;
    err = dirCommit(lfs, root, []);
    if (err) return err;
  }
  return 0;
}
