/**
 * Reading metadata pairs (lfs.c `lfs_dir_fetchmatch`, `lfs_dir_getslice`, `lfs_dir_getread`,
 * `lfs_dir_getinfo`, `lfs_dir_find`): pick the newer block of a pair, replay its commit log,
 * verify every commit CRC, and look entries up by walking the log backwards.
 */
import { copyBytes } from "../flash/bytes.js";
import { ERR, bdCmp, bdCrc, bdRead, bdReadWord } from "./bd-cache.js";
import { lfsCrcWord } from "./crc.js";
import { memoCapture, memoFor, memoStillValid, type FetchMemo } from "./fetch-memo.js";
import type { DecodedLog } from "./mdir-log.js";
import type { Cache, DiskOff, GState, Lfs, MDir } from "./state.js";
import {
  BLOCK_INLINE,
  BLOCK_NULL,
  CMP_EQ,
  CMP_GT,
  CMP_LT,
  TYPE_CCRC,
  TYPE_CREATE,
  TYPE_CTZSTRUCT,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_FCRC,
  TYPE_INLINESTRUCT,
  TYPE_MOVESTATE,
  TYPE_NAME,
  TYPE_SPLICE,
  TYPE_STRUCT,
  TYPE_TAIL,
  mktag,
  readLe32,
  seqCmp,
  tagAddId,
  tagChunk,
  tagDsize,
  tagId,
  tagIsDelete,
  tagIsValid,
  tagSize,
  tagSplice,
  tagType1,
  tagType2,
  tagType3,
  type Pair,
  alignDown,
  alignUp,
  pairCmp,
} from "./tag.js";

/** A fetch callback: compare the entry at `disk` and return CMP_EQ/LT/GT or an error. */
export type FetchMatch = (tag: number, disk: DiskOff) => number;

const scratch = new Uint8Array(12);
const disk: DiskOff = { kind: "disk", block: 0, off: 0 };

function hasMoveHere(g: GState, pair: Readonly<Pair>): boolean {
  return tagType1(g.tag) !== 0 && pairCmp(g.pair, pair) === 0;
}

/**
 * lfs_dir_fetchmatch. Fills `dir` from `pair`; while scanning, finds the best tag matching
 * (fmask, ftag) for which `cb` says EQ. Returns that tag, 0 or NOENT when absent, or an error.
 * `idOut.id` receives the id a new entry with that name would take (sorted insertion).
 */
export function dirFetchMatch(
  lfs: Lfs,
  dir: MDir,
  pair: Readonly<Pair>,
  fmask: number,
  ftag: number,
  idOut: { id: number } | null,
  cb: FetchMatch | null,
): number {
  let besttag = 0xffffffff;
  if (lfs.blockCount && (pair[0] >= lfs.blockCount || pair[1] >= lfs.blockCount)) return ERR.CORRUPT;
  const bs = lfs.cfg.blockSize;

  const revs = [0, 0];
  let r = 0;
  for (let i = 0; i < 2; i++) {
    const err = bdRead(lfs, null, lfs.rcache, 4, pair[i]!, 0, scratch, 0, 4);
    revs[i] = readLe32(scratch, 0);
    if (err && err !== ERR.CORRUPT) return err;
    if (err !== ERR.CORRUPT && seqCmp(revs[i]!, revs[(i + 1) % 2]!) > 0) r = i;
  }
  const p0 = pair[r]!;
  const p1 = pair[(r + 1) % 2]!;
  dir.pair = [p0, p1];
  dir.rev = revs[r]!;
  dir.off = 0;

  for (let i = 0; i < 2; i++) {
    let off = 0;
    let ptag = 0xffffffff;
    let tempcount = 0;
    let temptail0 = BLOCK_NULL;
    let temptail1 = BLOCK_NULL;
    let tempsplit = false;
    let tempbesttag = besttag;
    let maybeerased = false;
    let hasfcrc = false;
    let fcrcSize = 0;
    let fcrcCrc = 0;
    let crc = lfsCrcWord(0xffffffff, dir.rev);
    const blk = dir.pair[0];

    // Start after what an earlier fetch verified, if the block still holds exactly those bytes
    // (fetch-memo.ts); the memo is empty until this fetch ends, so an error return leaves none.
    const memo = memoFor(lfs, blk);
    let ntags = 0;
    let known = 0;
    if (memoStillValid(lfs, blk, memo)) {
      const replayed = memoReplay(lfs, blk, memo, besttag, fmask, ftag, cb);
      if (replayed !== REPLAY_FAILED) {
        besttag = replayed;
        tempbesttag = replayed;
        off = memo.off;
        ptag = memo.ptag;
        tempcount = memo.count;
        temptail0 = memo.tail0;
        temptail1 = memo.tail1;
        tempsplit = memo.split;
        hasfcrc = memo.hasfcrc;
        fcrcSize = memo.fcrcSize;
        fcrcCrc = memo.fcrcCrc;
        crc = 0xffffffff;
        dir.off = memo.len;
        dir.etag = memo.ptag;
        dir.count = memo.count;
        dir.tail[0] = memo.tail0;
        dir.tail[1] = memo.tail1;
        dir.split = memo.split;
        ntags = memo.n;
        known = memo.len;
      }
    }
    // a full scan records its commits from the first
    if (known === 0) memo.commits = 0;
    memo.len = 0;

    for (;;) {
      off += tagDsize(ptag);
      const raw = bdReadWord(lfs, lfs.rcache, bs, blk, off, false);
      if (raw < 0) {
        if (raw === ERR.CORRUPT) break;
        return raw;
      }
      let err = 0;
      crc = lfsCrcWord(crc, raw);
      // the stored word is big-endian; raw holds it as read little-endian
      const tag =
        ((((raw & 0xff) << 24) | ((raw & 0xff00) << 8) | ((raw >>> 8) & 0xff00) | (raw >>> 24)) ^ ptag) >>> 0;

      if (!tagIsValid(tag)) {
        maybeerased = tagType2(ptag) === TYPE_CCRC;
        break;
      } else if (off + tagDsize(tag) > bs) {
        break;
      }
      ptag = tag;
      memo.tags[ntags] = tag;
      memo.offs[ntags] = off;
      ntags += 1;

      if (tagType2(tag) === TYPE_CCRC) {
        err = bdRead(lfs, null, lfs.rcache, bs, blk, off + 4, scratch, 0, 4);
        if (err) {
          if (err === ERR.CORRUPT) break;
          return err;
        }
        const dcrc = readLe32(scratch, 0);
        if (crc !== dcrc) break;
        ptag = (ptag ^ ((tagChunk(tag) & 1) << 31)) >>> 0;
        lfs.seed = lfsCrcWord(lfs.seed, crc);
        besttag = tempbesttag;
        dir.off = off + tagDsize(tag);
        dir.etag = ptag;
        dir.count = tempcount;
        // in place: a fetch runs per commit and tail arrays are never shared between mdirs
        dir.tail[0] = temptail0;
        dir.tail[1] = temptail1;
        dir.split = tempsplit;
        memoCommit(memo, ntags, crc, off, ptag, tempcount, temptail0, temptail1, tempsplit);
        // the FCRC seen so far (it precedes its commit's CRC tag)
        memo.hasfcrc = hasfcrc;
        memo.fcrcSize = fcrcSize;
        memo.fcrcCrc = fcrcCrc;
        crc = 0xffffffff;
        continue;
      }

      const res = bdCrc(lfs, null, lfs.rcache, bs, blk, off + 4, tagDsize(tag) - 4, crc);
      if (res < 0) {
        if (res === ERR.CORRUPT) break;
        return res;
      }
      crc = res;

      if (tagType1(tag) === TYPE_NAME) {
        if (tagId(tag) >= tempcount) tempcount = tagId(tag) + 1;
      } else if (tagType1(tag) === TYPE_SPLICE) {
        tempcount = (tempcount + tagSplice(tag)) & 0xffff;
        tempbesttag = bestAfterSplice(tempbesttag, tag);
      } else if (tagType1(tag) === TYPE_TAIL) {
        tempsplit = (tagChunk(tag) & 1) === 1;
        err = bdRead(lfs, null, lfs.rcache, bs, blk, off + 4, scratch, 0, 8);
        if (err) {
          if (err === ERR.CORRUPT) break;
          return err;
        }
        temptail0 = readLe32(scratch, 0);
        temptail1 = readLe32(scratch, 4);
      } else if (tagType3(tag) === TYPE_FCRC) {
        err = bdRead(lfs, null, lfs.rcache, bs, blk, off + 4, scratch, 0, 8);
        if (err && err !== ERR.CORRUPT) return err;
        fcrcSize = readLe32(scratch, 0);
        fcrcCrc = readLe32(scratch, 4);
        hasfcrc = true;
      }

      if (cb !== null && (fmask & tag) >>> 0 === (fmask & ftag) >>> 0) {
        // callbacks use the location immediately, so one object serves every tag
        disk.block = blk;
        disk.off = off + 4;
        const r2 = cb(tag, disk);
        if (r2 < 0) {
          if (r2 === ERR.CORRUPT) break;
          return r2;
        }
        tempbesttag = bestAfterMatch(tempbesttag, tag, r2);
      }
    }

    if (dir.off > 0) memoCapture(lfs, blk, memo, known, dir.off);

    if (dir.off === 0) {
      dir.pair = [dir.pair[1], dir.pair[0]];
      dir.rev = revs[(r + 1) % 2]!;
      continue;
    }

    dir.erased = false;
    if (maybeerased && dir.off % lfs.cfg.progSize === 0) {
      if (lfs.cfg.diskVersion < 0x00020001) {
        // a 2.0 writer has no FCRC: treat the rest as erased, as LFS_MULTIVERSION does
        dir.erased = true;
      } else if (hasfcrc) {
        const fc = bdCrc(lfs, null, lfs.rcache, bs, dir.pair[0], dir.off, fcrcSize, 0xffffffff);
        if (fc < 0 && fc !== ERR.CORRUPT) return fc;
        dir.erased = fc === fcrcCrc;
      }
    }

    if (hasMoveHere(lfs.gdisk, dir.pair)) {
      if (tagId(lfs.gdisk.tag) === tagId(besttag)) {
        besttag = (besttag | 0x80000000) >>> 0;
      } else if (besttag !== 0xffffffff && tagId(lfs.gdisk.tag) < tagId(besttag)) {
        besttag = tagAddId(besttag, -1);
      }
    }

    if (idOut !== null) idOut.id = Math.min(tagId(besttag), dir.count);
    if (tagIsValid(besttag)) return besttag;
    if (tagId(besttag) < dir.count) return ERR.NOENT;
    return 0;
  }
  return ERR.CORRUPT;
}

/** The best tag so far after a create or delete (`tag`, a SPLICE) shifts or removes ids. */
function bestAfterSplice(best: number, tag: number): number {
  if (tag === (mktag(TYPE_DELETE, 0, 0) | (mktag(0, 0x3ff, 0) & best)) >>> 0)
    return (best | 0x80000000) >>> 0;
  if (best !== 0xffffffff && tagId(tag) <= tagId(best)) return tagAddId(best, tagSplice(tag));
  return best;
}

/** The best tag so far after the callback compared `tag` (CMP_EQ/LT/GT in `r`). */
function bestAfterMatch(best: number, tag: number, r: number): number {
  if (r === CMP_EQ) return tag;
  if ((mktag(0x7ff, 0x3ff, 0) & tag) >>> 0 === (mktag(0x7ff, 0x3ff, 0) & best) >>> 0) return 0xffffffff;
  if (r === CMP_GT && tagId(tag) <= tagId(best)) return (tag | 0x80000000) >>> 0;
  return best;
}

/** Record a verified commit in the memo: its tags so far, its CRC and the scan state after it. */
function memoCommit(
  m: FetchMemo,
  ntags: number,
  crc: number,
  off: number,
  ptag: number,
  count: number,
  tail0: number,
  tail1: number,
  split: boolean,
): void {
  m.n = ntags;
  m.crcs[m.commits] = crc;
  m.commits += 1;
  m.off = off;
  m.ptag = ptag;
  m.count = count;
  m.tail0 = tail0;
  m.tail1 = tail1;
  m.split = split;
}

const REPLAY_FAILED = -0x7fffffff;

/**
 * The part of a fetch that depends on what it looks for, over a memo's verified tags: the same
 * best-tag bookkeeping and the same callback calls, in the same order, as the scan in
 * dirFetchMatch; then lfs.seed takes in each commit's CRC, as the scan would. Returns the best
 * tag at the end of the prefix, or REPLAY_FAILED when a callback failed (the caller then scans
 * the block from the start, which meets the same failure where lfs.c would).
 */
function memoReplay(
  lfs: Lfs,
  blk: number,
  m: FetchMemo,
  besttag: number,
  fmask: number,
  ftag: number,
  cb: FetchMatch | null,
): number {
  let tempbesttag = besttag;
  const want = (fmask & ftag) >>> 0;
  for (let k = 0; k < m.n; k++) {
    const tag = m.tags[k]!;
    if (tagType2(tag) === TYPE_CCRC) {
      besttag = tempbesttag;
      continue;
    }
    if (tagType1(tag) === TYPE_SPLICE) {
      tempbesttag = bestAfterSplice(tempbesttag, tag);
    }
    if (cb !== null && (fmask & tag) >>> 0 === want) {
      disk.block = blk;
      disk.off = m.offs[k]! + 4;
      const r2 = cb(tag, disk);
      if (r2 < 0) return REPLAY_FAILED;
      tempbesttag = bestAfterMatch(tempbesttag, tag, r2);
    }
  }
  for (let k = 0; k < m.commits; k++) lfs.seed = lfsCrcWord(lfs.seed, m.crcs[k]!);
  return besttag;
}

export function dirFetch(lfs: Lfs, dir: MDir, pair: Readonly<Pair>): number {
  const res = dirFetchMatch(lfs, dir, pair, 0xffffffff, 0xffffffff, null, null);
  return res < 0 ? res : 0;
}

/**
 * lfs_dir_getslice: newest (gmask, gtag) entry of the fetched mdir; copies gsize bytes of its
 * payload from goff into out (zero-filling the rest). Returns the tag (id adjusted) or an error.
 * With `log` (the mdir's tags decoded from offset 0, see mdir-log.ts) the backward scan runs
 * over that array instead of re-reading each tag from the device.
 */
export function dirGetSlice(
  lfs: Lfs,
  dir: MDir,
  gmask: number,
  gtag: number,
  goff: number,
  out: Uint8Array | null,
  outOff: number,
  gsize: number,
  log: DecodedLog | null = null,
): number {
  let off = dir.off;
  let ntag = dir.etag;
  let gdiff = 0;
  if (hasMoveHere(lfs.gdisk, dir.pair) && tagId(gmask) !== 0) {
    // the stale source of an interrupted rename reads as deleted
    if (tagId(lfs.gdisk.tag) === tagId(gtag)) return ERR.NOENT;
    if (tagId(lfs.gdisk.tag) < tagId(gtag)) gdiff -= 1;
  }
  let i = log === null ? 0 : log.count;
  while (log === null ? off >= 4 + tagDsize(ntag) : i > 0) {
    let tag: number;
    if (log === null) {
      off -= tagDsize(ntag);
      tag = ntag;
      const w = bdReadWord(lfs, lfs.rcache, 4, dir.pair[0], off, true);
      if (w < 0) return w;
      ntag = ((w ^ tag) & 0x7fffffff) >>> 0;
    } else {
      i -= 1;
      // the valid bit is not part of a tag read backwards
      tag = (log.tags[i]! & 0x7fffffff) >>> 0;
      off = log.offs[i]!;
    }

    const want = tagAddId(gtag, -gdiff);
    if (tagId(gmask) !== 0 && tagType1(tag) === TYPE_SPLICE && tagId(tag) <= tagId(want)) {
      if (tag === (mktag(TYPE_CREATE, 0, 0) | (mktag(0, 0x3ff, 0) & want)) >>> 0) return ERR.NOENT;
      gdiff += tagSplice(tag);
    }
    if ((gmask & tag) >>> 0 === (gmask & tagAddId(gtag, -gdiff)) >>> 0) {
      if (tagIsDelete(tag)) return ERR.NOENT;
      const diff = Math.min(tagSize(tag), gsize);
      if (out !== null) {
        const e2 = bdRead(lfs, null, lfs.rcache, diff, dir.pair[0], off + 4 + goff, out, outOff, diff);
        if (e2) return e2;
        out.fill(0, outOff + diff, outOff + gsize);
      }
      return tagAddId(tag, gdiff);
    }
  }
  return ERR.NOENT;
}

export function dirGet(
  lfs: Lfs,
  dir: MDir,
  gmask: number,
  gtag: number,
  out: Uint8Array | null,
  log: DecodedLog | null = null,
): number {
  return dirGetSlice(lfs, dir, gmask, gtag, 0, out, 0, tagSize(gtag), log);
}

/** lfs_dir_getread: cached reads of an inline file's payload (cache block = BLOCK_INLINE). */
export function dirGetRead(
  lfs: Lfs,
  dir: MDir,
  pcache: Cache | null,
  rcache: Cache,
  hint: number,
  gmask: number,
  gtag: number,
  off: number,
  out: Uint8Array,
  outOff: number,
  size: number,
): number {
  if (off + size > lfs.cfg.blockSize) return ERR.CORRUPT;
  while (size > 0) {
    let diff = size;
    if (pcache !== null && pcache.block === BLOCK_INLINE && off < pcache.off + pcache.size) {
      if (off >= pcache.off) {
        diff = Math.min(diff, pcache.size - (off - pcache.off));
        copyBytes(out, outOff, pcache.buffer, off - pcache.off, diff);
        outOff += diff;
        off += diff;
        size -= diff;
        continue;
      }
      diff = Math.min(diff, pcache.off - off);
    }
    if (rcache.block === BLOCK_INLINE && off < rcache.off + rcache.size) {
      if (off >= rcache.off) {
        diff = Math.min(diff, rcache.size - (off - rcache.off));
        copyBytes(out, outOff, rcache.buffer, off - rcache.off, diff);
        outOff += diff;
        off += diff;
        size -= diff;
        continue;
      }
    }
    rcache.block = BLOCK_INLINE;
    rcache.off = alignDown(off, lfs.cfg.readSize);
    rcache.size = Math.min(alignUp(off + hint, lfs.cfg.readSize), lfs.cfg.cacheSize);
    const err = dirGetSlice(lfs, dir, gmask, gtag, rcache.off, rcache.buffer, 0, rcache.size);
    if (err < 0) {
      rcache.block = BLOCK_NULL;
      return err;
    }
  }
  return 0;
}

/** XOR this mdir's MOVESTATE delta into `g`. */
export function dirGetGState(lfs: Lfs, dir: MDir, g: GState): number {
  const buf = new Uint8Array(12);
  const res = dirGet(lfs, dir, mktag(0x7ff, 0, 0), mktag(TYPE_MOVESTATE, 0, 12), buf);
  if (res < 0 && res !== ERR.NOENT) return res;
  if (res !== ERR.NOENT) {
    g.tag = (g.tag ^ readLe32(buf, 0)) >>> 0;
    g.pair = [(g.pair[0] ^ readLe32(buf, 4)) >>> 0, (g.pair[1] ^ readLe32(buf, 8)) >>> 0];
  }
  return 0;
}

let nameScratch = new Uint8Array(256);

export interface EntryInfo {
  type: number;
  size: number;
  name: Uint8Array;
}

/** lfs_dir_getinfo for entry `id` (0x3ff = the root). */
export function dirGetInfo(lfs: Lfs, dir: MDir, id: number, info: EntryInfo): number {
  if (id === 0x3ff) {
    info.type = TYPE_DIR;
    info.size = 0;
    info.name = new TextEncoder().encode("/");
    return 0;
  }
  if (nameScratch.length < lfs.nameMax + 1) nameScratch = new Uint8Array(lfs.nameMax + 1);
  const nameBuf = nameScratch;
  let tag = dirGet(lfs, dir, mktag(0x780, 0x3ff, 0), mktag(TYPE_NAME, id, lfs.nameMax + 1), nameBuf);
  if (tag < 0) return tag;
  info.type = tagType3(tag);
  info.name = nameBuf.slice(0, Math.min(tagSize(tag), lfs.nameMax + 1));
  const ctz = scratch;
  tag = dirGet(lfs, dir, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, id, 8), ctz);
  if (tag < 0) return tag;
  info.size = 0;
  if (tagType3(tag) === TYPE_CTZSTRUCT) info.size = readLe32(ctz, 4);
  else if (tagType3(tag) === TYPE_INLINESTRUCT) info.size = tagSize(tag);
  return 0;
}

/** lfs_dir_find_match: compare a NAME entry on disk with `name`. */
export function nameMatcher(lfs: Lfs, name: Uint8Array): FetchMatch {
  return (tag, disk) => {
    const diff = Math.min(name.length, tagSize(tag));
    const res = bdCmp(lfs, null, lfs.rcache, diff, disk.block, disk.off, name, 0, diff);
    if (res !== CMP_EQ) return res;
    if (name.length !== tagSize(tag)) return name.length < tagSize(tag) ? CMP_LT : CMP_GT;
    return CMP_EQ;
  };
}

const utf8 = new TextEncoder();
const nameCache = new Map<string, Uint8Array>();

/** UTF-8 bytes of a path component, memoised (lookups repeat the same few names). */
function encodeName(name: string): Uint8Array {
  let b = nameCache.get(name);
  if (b === undefined) {
    b = utf8.encode(name);
    if (nameCache.size > 4096) nameCache.clear();
    nameCache.set(name, b);
  }
  return b;
}

export interface FindOut {
  /** Id of the entry, or where the last name would be inserted (0x3ff: parent missing). */
  id: number;
  /** The last name looked at (what a create would use). */
  name: Uint8Array;
}

/**
 * lfs_dir_find over already-split path components. Leaves `dir` at the mdir holding the entry
 * (or where it would go). Returns the entry's tag, or NOENT/NOTDIR/an error.
 */
export function dirFind(lfs: Lfs, dir: MDir, parts: readonly string[], out: FindOut | null): number {
  if (out !== null) out.id = 0x3ff;
  let tag = mktag(TYPE_DIR, 0x3ff, 0);
  dir.tail = [lfs.root[0], lfs.root[1]];
  for (let k = 0; k < parts.length; k++) {
    const name = encodeName(parts[k]!);
    if (out !== null) out.name = name;
    if (tagType3(tag) !== TYPE_DIR) return ERR.NOTDIR;
    if (tagId(tag) !== 0x3ff) {
      const buf = new Uint8Array(8);
      const res = dirGet(lfs, dir, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, tagId(tag), 8), buf);
      if (res < 0) return res;
      dir.tail = [readLe32(buf, 0), readLe32(buf, 4)];
    }
    const last = k === parts.length - 1;
    // a directory chain longer than the device has blocks can only be a corrupt tail loop
    for (let hops = 0; ; hops++) {
      if (hops > lfs.bd.geometry.blockCount) return ERR.CORRUPT;
      const idBox = last && out !== null ? out : null;
      tag = dirFetchMatch(
        lfs,
        dir,
        [dir.tail[0], dir.tail[1]],
        mktag(0x780, 0, 0),
        mktag(TYPE_NAME, 0, Math.min(name.length, 0x3ff)),
        idBox,
        nameMatcher(lfs, name),
      );
      if (tag < 0) return tag;
      if (tag) break;
      if (!dir.split) return ERR.NOENT;
    }
  }
  return tag;
}
