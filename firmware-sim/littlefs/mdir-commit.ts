/**
 * Writing metadata pairs (lfs.c `lfs_dir_commitattr/commitcrc`, `lfs_dir_alloc`, `lfs_dir_compact`,
 * `lfs_dir_splittingcompact`, `lfs_dir_relocatingcommit`): append a commit when the block is
 * known to be erased, otherwise compact into the other block (splitting when the entries no
 * longer fit, relocating on wear or bad blocks, expanding the superblock pair when it is worn).
 */
import { ERR, bdErase, bdRead, cacheDrop } from "./bd-cache.js";
import { lfsAlloc } from "./alloc.js";
import { fsSize } from "./fs-traverse.js";
import { dirFetch, dirGetGState } from "./mdir-fetch.js";
import { dirTraverse, type TraverseCb } from "./mdir-traverse.js";
import { type Commit, commitAttr, commitCrc, commitProg } from "./commit-encode.js";
import { fsPred } from "./orphans.js";
import {
  type DirState,
  type Lfs,
  type MAttr,
  type MDir,
  assignMdir,
  copyGState,
  gstateIsZero,
  gstateXor,
  zeroGState,
} from "./state.js";
import {
  BLOCK_NULL,
  OK_DROPPED,
  OK_RELOCATED,
  TYPE_CREATE,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_MOVESTATE,
  TYPE_NAME,
  TYPE_TAIL,
  alignUp,
  alignUpU32,
  mktag,
  pairCmp,
  pairIsNull,
  readLe32,
  tagChunk,
  tagDsize,
  tagId,
  tagType1,
  tagType3,
  writeLe32,
  type Pair,
} from "./tag.js";

/** lfs_dir_alloc: a fresh pair (not yet written), revision aligned to the wear modulus. */
export function dirAlloc(lfs: Lfs, dir: MDir): number {
  for (let i = 0; i < 2; i++) {
    const box = { block: 0 };
    const err = lfsAlloc(lfs, box);
    if (err) return err;
    dir.pair[(i + 1) % 2] = box.block;
  }
  dir.rev = 0;
  const buf = new Uint8Array(4);
  const err = bdRead(lfs, null, lfs.rcache, 4, dir.pair[0], 0, buf, 0, 4);
  if (err && err !== ERR.CORRUPT) return err;
  if (!err) dir.rev = readLe32(buf, 0);
  if (lfs.cfg.blockCycles > 0) dir.rev = alignUpU32(dir.rev, (lfs.cfg.blockCycles + 1) | 1);
  dir.off = 4;
  dir.etag = 0xffffffff;
  dir.count = 0;
  dir.tail = [BLOCK_NULL, BLOCK_NULL];
  dir.erased = false;
  dir.split = false;
  return 0;
}

function needsRelocation(lfs: Lfs, dir: MDir): boolean {
  return lfs.cfg.blockCycles > 0 && ((dir.rev + 1) >>> 0) % ((lfs.cfg.blockCycles + 1) | 1) === 0;
}

const SUPER_PAIR: Pair = [0, 1];

function gstateBytes(g: { tag: number; pair: Pair }): Uint8Array {
  const b = new Uint8Array(12);
  writeLe32(b, 0, g.tag);
  writeLe32(b, 4, g.pair[0]);
  writeLe32(b, 8, g.pair[1]);
  return b;
}

/** lfs_dir_compact: rewrite ids [begin, end) of `source` (plus attrs) into the other block. */
export function dirCompact(
  lfs: Lfs,
  dir: MDir,
  attrs: readonly MAttr[],
  source: MDir,
  begin: number,
  end: number,
): number {
  let relocated = false;
  let tired = needsRelocation(lfs, dir);
  dir.rev = (dir.rev + 1) >>> 0;
  let skipToRelocate = tired && pairCmp(dir.pair, SUPER_PAIR) !== 0;
  const mdMax = lfs.cfg.metadataMax || lfs.cfg.blockSize;
  for (;;) {
    relocate: {
      if (skipToRelocate) break relocate;
      const c: Commit = {
        block: dir.pair[1],
        off: 0,
        ptag: 0xffffffff,
        crc: 0xffffffff,
        begin: 0,
        end: mdMax - 8,
      };
      let err = bdErase(lfs, dir.pair[1]);
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      const rev = new Uint8Array(4);
      writeLe32(rev, 0, dir.rev);
      err = commitProg(lfs, c, rev, 0, 4);
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      const cb: TraverseCb = (tag, buffer) => commitAttr(lfs, c, tag, buffer);
      err = dirTraverse(
        lfs,
        source,
        0,
        0xffffffff,
        attrs,
        0,
        mktag(0x400, 0x3ff, 0),
        mktag(TYPE_NAME, 0, 0),
        begin,
        end,
        -begin,
        cb,
      );
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      if (!pairIsNull(dir.tail)) {
        const tb = new Uint8Array(8);
        writeLe32(tb, 0, dir.tail[0]);
        writeLe32(tb, 4, dir.tail[1]);
        err = commitAttr(lfs, c, mktag(TYPE_TAIL + (dir.split ? 1 : 0), 0x3ff, 8), tb);
        if (err) {
          if (err === ERR.CORRUPT) break relocate;
          return err;
        }
      }
      const delta = zeroGState();
      if (!relocated) {
        gstateXor(delta, lfs.gdisk);
        gstateXor(delta, lfs.gstate);
      }
      gstateXor(delta, lfs.gdelta);
      delta.tag = (delta.tag & ~0x3ff) >>> 0;
      err = dirGetGState(lfs, dir, delta);
      if (err) return err;
      if (!gstateIsZero(delta)) {
        err = commitAttr(lfs, c, mktag(TYPE_MOVESTATE, 0x3ff, 12), gstateBytes(delta));
        if (err) {
          if (err === ERR.CORRUPT) break relocate;
          return err;
        }
      }
      err = commitCrc(lfs, c);
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      dir.pair = [dir.pair[1], dir.pair[0]];
      dir.count = end - begin;
      dir.off = c.off;
      dir.etag = c.ptag;
      lfs.gdelta = zeroGState();
      if (!relocated) lfs.gdisk = copyGState(lfs.gstate);
      return relocated ? OK_RELOCATED : 0;
    }
    // the block is worn or bad: drop what we buffered and move this half of the pair
    relocated = true;
    cacheDrop(lfs.pcache);
    if (pairCmp(dir.pair, SUPER_PAIR) === 0) return ERR.NOSPC;
    const box = { block: 0 };
    const err = lfsAlloc(lfs, box);
    if (err && (err !== ERR.NOSPC || !tired)) return err;
    if (!err) dir.pair[1] = box.block;
    tired = false;
    skipToRelocate = false;
  }
}

/** lfs_dir_split: move ids [split, end) into a new pair linked by a HARDTAIL. */
function dirSplit(
  lfs: Lfs,
  dir: MDir,
  attrs: readonly MAttr[],
  source: MDir,
  split: number,
  end: number,
): number {
  const tail: MDir = {
    pair: [BLOCK_NULL, BLOCK_NULL],
    rev: 0,
    off: 0,
    etag: 0,
    count: 0,
    erased: false,
    split: false,
    tail: [BLOCK_NULL, BLOCK_NULL],
  };
  let err = dirAlloc(lfs, tail);
  if (err) return err;
  tail.split = dir.split;
  tail.tail = [dir.tail[0], dir.tail[1]];
  err = dirCompact(lfs, tail, attrs, source, split, end);
  if (err < 0) return err;
  dir.tail = [tail.pair[0], tail.pair[1]];
  dir.split = true;
  if (pairCmp(dir.pair, lfs.root) === 0 && split === 0) lfs.root = [tail.pair[0], tail.pair[1]];
  return 0;
}

export function dirSplittingCompact(
  lfs: Lfs,
  dir: MDir,
  attrs: readonly MAttr[],
  source: MDir,
  begin: number,
  end: number,
): number {
  const mdMax = lfs.cfg.metadataMax || lfs.cfg.blockSize;
  for (;;) {
    let split = begin;
    while (end - split > 1) {
      let size = 0;
      const err = dirTraverse(
        lfs,
        source,
        0,
        0xffffffff,
        attrs,
        0,
        mktag(0x400, 0x3ff, 0),
        mktag(TYPE_NAME, 0, 0),
        split,
        end,
        -split,
        (tag) => {
          size += tagDsize(tag);
          return 0;
        },
      );
      if (err) return err;
      if (
        end - split < 0xff &&
        size <= Math.min(lfs.cfg.blockSize - 40, alignUp(Math.floor(mdMax / 2), lfs.cfg.progSize))
      )
        break;
      split = split + Math.floor((end - split) / 2);
    }
    if (split === begin) break;
    const err = dirSplit(lfs, dir, attrs, source, split, end);
    if (err && err !== ERR.NOSPC) return err;
    if (err) break;
    end = split;
  }
  if (needsRelocation(lfs, dir) && pairCmp(dir.pair, SUPER_PAIR) === 0) {
    const size = fsSize(lfs);
    if (size < 0) return size;
    if (lfs.blockCount - size > Math.floor(lfs.blockCount / 8)) {
      const err = dirSplit(lfs, dir, attrs, source, begin, end);
      if (err && err !== ERR.NOSPC) return err;
      // v2.11: keep (duplicate) the superblock entry, id 0, in {0,1}
      if (!err) end = 1;
    }
  }
  return dirCompact(lfs, dir, attrs, source, begin, end);
}

/**
 * lfs_dir_relocatingcommit: commit attrs to `dir` (append or compact), then bring every open
 * handle on that pair up to date. `self` is the caller's own mdir object, whose id must not be
 * shifted. Returns 0, OK_RELOCATED, OK_DROPPED (pdir then holds the predecessor), or an error.
 */
export function dirRelocatingCommit(
  lfs: Lfs,
  dir: MDir,
  pair: Readonly<Pair>,
  self: MDir | null,
  attrs: readonly MAttr[],
  pdir: MDir | null,
): number {
  let state = 0;
  let hasdelete = false;
  for (const a of attrs) {
    if (tagType3(a.tag) === TYPE_CREATE) {
      dir.count += 1;
    } else if (tagType3(a.tag) === TYPE_DELETE) {
      dir.count -= 1;
      hasdelete = true;
    } else if (tagType1(a.tag) === TYPE_TAIL) {
      const b = a.buffer as Uint8Array;
      dir.tail = [readLe32(b, 0), readLe32(b, 4)];
      dir.split = (tagChunk(a.tag) & 1) === 1;
    }
  }

  work: {
    if (hasdelete && dir.count === 0 && pdir !== null) {
      const err = fsPred(lfs, dir.pair, pdir);
      if (err && err !== ERR.NOENT) return err;
      if (err !== ERR.NOENT && pdir.split) {
        state = OK_DROPPED;
        break work;
      }
    }
    if (dir.erased) {
      const mdMax = lfs.cfg.metadataMax || lfs.cfg.blockSize;
      const c: Commit = {
        block: dir.pair[0],
        off: dir.off,
        ptag: dir.etag,
        crc: 0xffffffff,
        begin: dir.off,
        end: mdMax - 8,
      };
      let err = dirTraverse(lfs, dir, dir.off, dir.etag, attrs, 0, 0, 0, 0, 0, 0, (tag, buffer) =>
        commitAttr(lfs, c, tag, buffer),
      );
      append: {
        if (err) {
          if (err === ERR.NOSPC || err === ERR.CORRUPT) break append;
          return err;
        }
        const delta = zeroGState();
        gstateXor(delta, lfs.gstate);
        gstateXor(delta, lfs.gdisk);
        gstateXor(delta, lfs.gdelta);
        delta.tag = (delta.tag & ~0x3ff) >>> 0;
        if (!gstateIsZero(delta)) {
          err = dirGetGState(lfs, dir, delta);
          if (err) return err;
          err = commitAttr(lfs, c, mktag(TYPE_MOVESTATE, 0x3ff, 12), gstateBytes(delta));
          if (err) {
            if (err === ERR.NOSPC || err === ERR.CORRUPT) break append;
            return err;
          }
        }
        err = commitCrc(lfs, c);
        if (err) {
          if (err === ERR.NOSPC || err === ERR.CORRUPT) break append;
          return err;
        }
        dir.off = c.off;
        dir.etag = c.ptag;
        lfs.gdisk = copyGState(lfs.gstate);
        lfs.gdelta = zeroGState();
        break work;
      }
    }
    cacheDrop(lfs.pcache);
    state = dirSplittingCompact(lfs, dir, attrs, dir, 0, dir.count);
    if (state < 0) return state;
  }

  // fix up every open handle on the pair we just changed
  const oldpair: Pair = [pair[0], pair[1]];
  for (const d of lfs.mlist) {
    if (pairCmp(d.m.pair, oldpair) !== 0) continue;
    const isSelf = d.m === self;
    assignMdir(d.m, dir);
    if (!isSelf) {
      for (const a of attrs) {
        if (tagType3(a.tag) === TYPE_DELETE && d.id === tagId(a.tag) && d.type !== TYPE_DIR) {
          d.m.pair = [BLOCK_NULL, BLOCK_NULL];
        } else if (tagType3(a.tag) === TYPE_DELETE && d.id > tagId(a.tag)) {
          d.id -= 1;
          if (d.type === TYPE_DIR) (d as DirState).pos -= 1;
        } else if (tagType3(a.tag) === TYPE_CREATE && d.id >= tagId(a.tag)) {
          d.id += 1;
          if (d.type === TYPE_DIR) (d as DirState).pos += 1;
        }
      }
    }
    while (d.id >= d.m.count && d.m.split) {
      // v2.11: a superblock expansion duplicates id 0 into the new root, ids keep their value
      if (pairCmp(d.m.tail, lfs.root) !== 0) d.id -= d.m.count;
      const err = dirFetchTail(lfs, d.m);
      if (err) return err;
    }
  }
  return state;
}

function dirFetchTail(lfs: Lfs, m: MDir): number {
  return dirFetch(lfs, m, [m.tail[0], m.tail[1]]);
}
