/**
 * Global state and consistency (lfs.c `lfs_dir_orphaningcommit`, `lfs_dir_commit`, `lfs_fs_pred`,
 * `lfs_fs_parent`, `lfs_fs_prep*`, `lfs_fs_desuperblock`, `lfs_fs_demove`, `lfs_fs_deorphan`,
 * `lfs_fs_forceconsistency`): after a commit relocates a pair, its parent and predecessor are
 * repointed under the orphan flag; after a power loss, the first write repairs half-orphans,
 * orphans and an unfinished rename, and upgrades a 2.0 superblock.
 */
import { ERR, bdRead } from "./bd-cache.js";
import { fileFlush, fileOutline } from "./file.js";
import { dirFetch, dirFetchMatch, dirGet, dirGetGState } from "./mdir-fetch.js";
import { dirRelocatingCommit } from "./mdir-commit.js";
import { superblockBytes } from "./superblock.js";
import {
  type DirState,
  F_INLINE,
  type FileState,
  type Lfs,
  type MAttr,
  type MDir,
  assignMdir,
  cloneMdir,
  newMdir,
} from "./state.js";
import {
  BLOCK_NULL,
  CMP_EQ,
  CMP_LT,
  FROM_NOOP,
  OK_DROPPED,
  OK_ORPHANED,
  OK_RELOCATED,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_DIRSTRUCT,
  TYPE_INLINESTRUCT,
  TYPE_REG,
  TYPE_SOFTTAIL,
  TYPE_TAIL,
  mktag,
  pairBytes,
  pairCmp,
  pairIsNull,
  pairIsSync,
  readLe32,
  tagAddId,
  tagId,
  tagSize,
  tagType1,
  type Pair,
} from "./tag.js";

/** Brent's cycle detector over a tail list: `seen(p)` is true when the list loops. */
export function makeCycleDetector(): (p: Readonly<Pair>) => boolean {
  let tortoise: Pair = [BLOCK_NULL, BLOCK_NULL];
  let i = 1;
  let period = 1;
  return (p) => {
    if (pairIsSync(p, tortoise)) return true;
    if (i === period) {
      tortoise = [p[0], p[1]];
      i = 0;
      period *= 2;
    }
    i += 1;
    return false;
  };
}

export function hasOrphans(lfs: Lfs): boolean {
  return tagSize(lfs.gstate.tag) !== 0;
}

export function hasMove(tag: number): boolean {
  return tagType1(tag) !== 0;
}

function hasMoveHere(tag: number, gpair: Pair, pair: Readonly<Pair>): boolean {
  return tagType1(tag) !== 0 && pairCmp(gpair, pair) === 0;
}

/** lfs_fs_pred: the mdir whose tail is `pair`. */
export function fsPred(lfs: Lfs, pair: Readonly<Pair>, pdir: MDir): number {
  pdir.tail = [0, 1];
  const cycle = makeCycleDetector();
  while (!pairIsNull(pdir.tail)) {
    if (cycle(pdir.tail)) return ERR.CORRUPT;
    if (pairCmp(pdir.tail, pair) === 0) return 0;
    const err = dirFetch(lfs, pdir, [pdir.tail[0], pdir.tail[1]]);
    if (err) return err;
  }
  return ERR.NOENT;
}

/** lfs_fs_parent: the mdir holding a DIRSTRUCT pointing at `pair`; returns that tag. */
export function fsParent(lfs: Lfs, pair: Readonly<Pair>, parent: MDir): number {
  parent.tail = [0, 1];
  const cycle = makeCycleDetector();
  const child = new Uint8Array(8);
  while (!pairIsNull(parent.tail)) {
    if (cycle(parent.tail)) return ERR.CORRUPT;
    const tag = dirFetchMatch(
      lfs,
      parent,
      [parent.tail[0], parent.tail[1]],
      mktag(0x7ff, 0, 0x3ff),
      mktag(TYPE_DIRSTRUCT, 0, 8),
      null,
      (_t, disk) => {
        const err = bdRead(lfs, lfs.pcache, lfs.rcache, lfs.cfg.blockSize, disk.block, disk.off, child, 0, 8);
        if (err) return err;
        return pairCmp([readLe32(child, 0), readLe32(child, 4)], pair) === 0 ? CMP_EQ : CMP_LT;
      },
    );
    if (tag && tag !== ERR.NOENT) return tag;
  }
  return ERR.NOENT;
}

export function prepSuperblock(lfs: Lfs, needs: boolean): void {
  lfs.gstate.tag = ((lfs.gstate.tag & ~mktag(0, 0, 0x200)) | ((needs ? 1 : 0) << 9)) >>> 0;
}

export function prepOrphans(lfs: Lfs, orphans: number): number {
  lfs.gstate.tag = (lfs.gstate.tag + orphans) >>> 0;
  lfs.gstate.tag = ((lfs.gstate.tag & ~mktag(0x800, 0, 0)) | ((hasOrphans(lfs) ? 1 : 0) << 31)) >>> 0;
  return 0;
}

export function prepMove(lfs: Lfs, id: number, pair: Readonly<Pair> | null): void {
  lfs.gstate.tag =
    ((lfs.gstate.tag & ~mktag(0x7ff, 0x3ff, 0)) | (id !== 0x3ff ? mktag(TYPE_DELETE, id, 0) : 0)) >>> 0;
  lfs.gstate.pair = id !== 0x3ff && pair !== null ? [pair[0], pair[1]] : [0, 0];
}

const NOOP = mktag(FROM_NOOP, 0, 0);

/** lfs_dir_orphaningcommit: commit, then repair parents/predecessors of relocated pairs. */
export function dirOrphaningCommit(lfs: Lfs, dir: MDir, attrs: readonly MAttr[]): number {
  for (const e of [...lfs.mlist]) {
    if (e.type !== TYPE_REG) continue;
    const f = e as FileState;
    if (
      dir !== f.m &&
      pairCmp(f.m.pair, dir.pair) === 0 &&
      f.flags & F_INLINE &&
      f.ctz.size > lfs.cfg.cacheSize
    ) {
      let err = fileOutline(lfs, f);
      if (err) return err;
      err = fileFlush(lfs, f);
      if (err) return err;
    }
  }
  let lpair: Pair = [dir.pair[0], dir.pair[1]];
  let ldir = cloneMdir(dir);
  const pdir = newMdir();
  let state = dirRelocatingCommit(lfs, ldir, [dir.pair[0], dir.pair[1]], dir, attrs, pdir);
  if (state < 0) return state;
  if (pairCmp(dir.pair, lpair) === 0) assignMdir(dir, ldir);

  if (state === OK_DROPPED) {
    const err = dirGetGState(lfs, dir, lfs.gdelta);
    if (err) return err;
    lpair = [pdir.pair[0], pdir.pair[1]];
    state = dirRelocatingCommit(
      lfs,
      pdir,
      lpair,
      null,
      [{ tag: mktag(TYPE_TAIL + (dir.split ? 1 : 0), 0x3ff, 8), buffer: pairBytes(dir.tail) }],
      null,
    );
    if (state < 0) return state;
    ldir = cloneMdir(pdir);
  }

  let orphans = false;
  while (state === OK_RELOCATED) {
    state = 0;
    if (pairCmp(lpair, lfs.root) === 0) lfs.root = [ldir.pair[0], ldir.pair[1]];
    for (const d of lfs.mlist) {
      if (pairCmp(lpair, d.m.pair) === 0) d.m.pair = [ldir.pair[0], ldir.pair[1]];
      if (d.type === TYPE_DIR) {
        const dd = d as DirState;
        if (pairCmp(lpair, dd.head) === 0) dd.head = [ldir.pair[0], ldir.pair[1]];
      }
    }
    let tag = fsParent(lfs, lpair, pdir);
    if (tag < 0 && tag !== ERR.NOENT) return tag;
    const hasparent = tag !== ERR.NOENT;
    if (hasparent) {
      prepOrphans(lfs, +1);
      let moveid = 0x3ff;
      if (hasMoveHere(lfs.gstate.tag, lfs.gstate.pair, pdir.pair)) {
        moveid = tagId(lfs.gstate.tag);
        prepMove(lfs, 0x3ff, null);
        if (moveid < tagId(tag)) tag = tagAddId(tag, -1);
      }
      const ppair: Pair = [pdir.pair[0], pdir.pair[1]];
      state = dirRelocatingCommit(
        lfs,
        pdir,
        ppair,
        null,
        [
          { tag: moveid !== 0x3ff ? mktag(TYPE_DELETE, moveid, 0) : NOOP, buffer: null },
          { tag, buffer: pairBytes(ldir.pair) },
        ],
        null,
      );
      if (state < 0) return state;
      if (state === OK_RELOCATED) {
        lpair = ppair;
        ldir = cloneMdir(pdir);
        orphans = true;
        continue;
      }
    }
    const err = fsPred(lfs, lpair, pdir);
    if (err && err !== ERR.NOENT) return err;
    if (err !== ERR.NOENT) {
      if (hasOrphans(lfs)) prepOrphans(lfs, hasparent ? -1 : 0);
      let moveid = 0x3ff;
      if (hasMoveHere(lfs.gstate.tag, lfs.gstate.pair, pdir.pair)) {
        moveid = tagId(lfs.gstate.tag);
        prepMove(lfs, 0x3ff, null);
      }
      lpair = [pdir.pair[0], pdir.pair[1]];
      state = dirRelocatingCommit(
        lfs,
        pdir,
        lpair,
        null,
        [
          { tag: moveid !== 0x3ff ? mktag(TYPE_DELETE, moveid, 0) : NOOP, buffer: null },
          { tag: mktag(TYPE_TAIL + (pdir.split ? 1 : 0), 0x3ff, 8), buffer: pairBytes(ldir.pair) },
        ],
        null,
      );
      if (state < 0) return state;
      ldir = cloneMdir(pdir);
    }
  }
  return orphans ? OK_ORPHANED : 0;
}

/** lfs_dir_commit: commit and, if that created orphans, remove them now. */
export function dirCommit(lfs: Lfs, dir: MDir, attrs: readonly MAttr[]): number {
  const orphans = dirOrphaningCommit(lfs, dir, attrs);
  if (orphans < 0) return orphans;
  if (orphans) {
    const err = fsDeorphan(lfs, false);
    if (err) return err;
  }
  return 0;
}

/** lfs_dir_drop: unlink `tail` from the list by giving its tail (and gstate) to `dir`. */
export function dirDrop(lfs: Lfs, dir: MDir, tail: MDir): number {
  let err = dirGetGState(lfs, tail, lfs.gdelta);
  if (err) return err;
  err = dirCommit(lfs, dir, [
    { tag: mktag(TYPE_TAIL + (tail.split ? 1 : 0), 0x3ff, 8), buffer: pairBytes(tail.tail) },
  ]);
  return err;
}

/** Rewrite the superblock entry with this library's version after mounting an older minor. */
export function fsDesuperblock(lfs: Lfs): number {
  if (!(tagSize(lfs.gstate.tag) >> 9)) return 0;
  const root = newMdir();
  let err = dirFetch(lfs, root, lfs.root);
  if (err) return err;
  err = dirCommit(lfs, root, [{ tag: mktag(TYPE_INLINESTRUCT, 0, 24), buffer: superblockBytes(lfs) }]);
  if (err) return err;
  prepSuperblock(lfs, false);
  return 0;
}

/** Finish a rename interrupted between its two commits: delete the stale source entry. */
export function fsDemove(lfs: Lfs): number {
  if (!hasMove(lfs.gdisk.tag)) return 0;
  const movedir = newMdir();
  let err = dirFetch(lfs, movedir, lfs.gdisk.pair);
  if (err) return err;
  const moveid = tagId(lfs.gdisk.tag);
  prepMove(lfs, 0x3ff, null);
  err = dirCommit(lfs, movedir, [{ tag: mktag(TYPE_DELETE, moveid, 0), buffer: null }]);
  return err;
}

/** lfs_fs_deorphan: pass 0 fixes half-orphans (stale tails), pass 1 unlinks full orphans. */
export function fsDeorphan(lfs: Lfs, powerloss: boolean): number {
  if (!hasOrphans(lfs)) return 0;
  let pass = 0;
  while (pass < 2) {
    const pdir = newMdir();
    pdir.split = true;
    pdir.tail = [0, 1];
    const dir = newMdir();
    let moreorphans = false;
    // no cycle check here: mount walked this list with one, and the repairs below refetch
    while (!pairIsNull(pdir.tail)) {
      let err = dirFetch(lfs, dir, [pdir.tail[0], pdir.tail[1]]);
      if (err) return err;
      if (!pdir.split) {
        const parent = newMdir();
        const tag = fsParent(lfs, pdir.tail, parent);
        if (tag < 0 && tag !== ERR.NOENT) return tag;
        if (pass === 0 && tag !== ERR.NOENT) {
          const pb = new Uint8Array(8);
          const st = dirGet(lfs, parent, mktag(0x7ff, 0x3ff, 0), tag, pb);
          if (st < 0) return st;
          const pair: Pair = [readLe32(pb, 0), readLe32(pb, 4)];
          if (!pairIsSync(pair, pdir.tail)) {
            let moveid = 0x3ff;
            if (hasMoveHere(lfs.gstate.tag, lfs.gstate.pair, pdir.pair)) {
              moveid = tagId(lfs.gstate.tag);
              prepMove(lfs, 0x3ff, null);
            }
            const state = dirOrphaningCommit(lfs, pdir, [
              { tag: moveid !== 0x3ff ? mktag(TYPE_DELETE, moveid, 0) : NOOP, buffer: null },
              { tag: mktag(TYPE_SOFTTAIL, 0x3ff, 8), buffer: pairBytes(pair) },
            ]);
            if (state < 0) return state;
            if (state === OK_ORPHANED) moreorphans = true;
            continue;
          }
        }
        if (pass === 1 && tag === ERR.NOENT && powerloss) {
          err = dirGetGState(lfs, dir, lfs.gdelta);
          if (err) return err;
          const state = dirOrphaningCommit(lfs, pdir, [
            { tag: mktag(TYPE_TAIL + (dir.split ? 1 : 0), 0x3ff, 8), buffer: pairBytes(dir.tail) },
          ]);
          if (state < 0) return state;
          if (state === OK_ORPHANED) moreorphans = true;
          continue;
        }
      }
      assignMdir(pdir, dir);
    }
    pass = moreorphans ? 0 : pass + 1;
  }
  return prepOrphans(lfs, -(tagSize(lfs.gstate.tag) & 0x1ff));
}

/** Repair whatever a power loss left behind; done before the first write after mount. */
export function fsForceConsistency(lfs: Lfs): number {
  let err = fsDesuperblock(lfs);
  if (err) return err;
  err = fsDemove(lfs);
  if (err) return err;
  err = fsDeorphan(lfs, true);
  return err;
}
