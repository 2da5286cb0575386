/**
 * lfs_fs_traverse: every block in use (both blocks of every mdir on the tail list, every CTZ
 * list, directory pairs when orphans count, and the blocks of open files), with Brent cycle
 * detection on the tail list. The allocator and lfs_fs_size are built on it.
 */
import { ERR } from "./bd-cache.js";
import { ctzTraverse } from "./ctz.js";
import { dirFetch, dirGet } from "./mdir-fetch.js";
import { decodeLog } from "./mdir-log.js";
import { type TraverseCache, type TraverseEntry, hasMoveAt, validWalk } from "./traverse-cache.js";
import { makeCycleDetector } from "./orphans.js";
import { F_DIRTY, F_INLINE, F_WRITING, type FileState, type Lfs, type MDir, newMdir } from "./state.js";
import {
  TYPE_CTZSTRUCT,
  TYPE_DIRSTRUCT,
  MAX_MDIR_COUNT,
  TYPE_REG,
  TYPE_STRUCT,
  mktag,
  pairIsNull,
  readLe32,
  tagType3,
} from "./tag.js";

/**
 * `cache`: the mount's remembered walks (traverse-cache.ts), for the allocator's scans only:
 * pairs unchanged since their last walk are replayed from it, the others walked and remembered.
 */
export function fsTraverse(
  lfs: Lfs,
  cb: (block: number) => number,
  includeOrphans: boolean,
  cache: TraverseCache | null = null,
): number {
  const dir = newMdir();
  dir.tail = [0, 1];
  const cycle = makeCycleDetector();
  const ctz = new Uint8Array(8);
  while (!pairIsNull(dir.tail)) {
    if (cycle(dir.tail)) return ERR.CORRUPT;
    const t0 = dir.tail[0];
    const t1 = dir.tail[1];
    let walkCb = cb;
    let entry: TraverseEntry | null = null;
    if (cache !== null) {
      const known = validWalk(cache, t0, t1, lfs.gdisk);
      if (known !== null) {
        const blocks = known.blocks;
        for (let i = 0; i < blocks.length; i++) {
          const err = cb(blocks[i]!);
          if (err) return err;
        }
        dir.tail = [known.tail0, known.tail1];
        continue;
      }
      if (!hasMoveAt(lfs.gdisk, t0, t1)) {
        const e: TraverseEntry = { pair1: t1, at: cache.gen, blocks: [], deps: [t0, t1], tail0: 0, tail1: 0 };
        entry = e;
        walkCb = (block) => {
          e.blocks.push(block);
          return cb(block);
        };
      }
    }
    for (let i = 0; i < 2; i++) {
      const err = walkCb(dir.tail[i]!);
      if (err) return err;
    }
    let err = dirFetch(lfs, dir, [t0, t1]);
    if (err) return err;
    if (dir.count > MAX_MDIR_COUNT) return ERR.CORRUPT;
    err = traverseStructs(lfs, dir, walkCb, includeOrphans, ctz, entry);
    if (err) return err;
    if (entry !== null) {
      entry.tail0 = dir.tail[0];
      entry.tail1 = dir.tail[1];
      cache!.entries.set(t0, entry);
    }
  }
  for (const e of lfs.mlist) {
    if (e.type !== TYPE_REG) continue;
    const f = e as FileState;
    if (f.flags & F_DIRTY && !(f.flags & F_INLINE)) {
      const err = ctzTraverse(lfs, f.cache, lfs.rcache, f.ctz.head, f.ctz.size, cb);
      if (err) return err;
    }
    if (f.flags & F_WRITING && !(f.flags & F_INLINE)) {
      const err = ctzTraverse(lfs, f.cache, lfs.rcache, f.block, f.pos, cb);
      if (err) return err;
    }
  }
  return 0;
}

/**
 * The CTZ lists (and, with orphans, the directory pairs) of every id of a fetched mdir. lfs.c
 * looks each id's struct up with its own backward scan over the log, re-reading the tags from
 * the device: the allocator's scans did 60% of a tree pack's device reads that way. The log is
 * decoded once here and every lookup runs over it, with the same results.
 */
function traverseStructs(
  lfs: Lfs,
  dir: MDir,
  cb: (block: number) => number,
  includeOrphans: boolean,
  ctz: Uint8Array,
  entry: TraverseEntry | null,
): number {
  if (dir.count === 0) return 0;
  const log = decodeLog(lfs, dir, 0, 0xffffffff);
  if (typeof log === "number") return log;
  try {
    for (let id = 0; id < dir.count; id++) {
      const tag = dirGet(lfs, dir, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, id, 8), ctz, log);
      if (tag < 0) {
        if (tag === ERR.NOENT) continue;
        return tag;
      }
      if (tagType3(tag) === TYPE_CTZSTRUCT) {
        const from = entry === null ? 0 : entry.blocks.length;
        const err = ctzTraverse(lfs, null, lfs.rcache, readLe32(ctz, 0), readLe32(ctz, 4), cb);
        if (err) return err;
        // a CTZ list's pointers are read from its blocks: the walk depends on them too
        if (entry !== null)
          for (let i = from; i < entry.blocks.length; i++) entry.deps.push(entry.blocks[i]!);
      } else if (includeOrphans && tagType3(tag) === TYPE_DIRSTRUCT) {
        for (let i = 0; i < 2; i++) {
          const err = cb(readLe32(ctz, 4 * i));
          if (err) return err;
        }
      }
    }
    return 0;
  } finally {
    log.release();
  }
}

/** lfs_fs_size: blocks in use (an estimate: shared CTZ blocks count twice). */
export function fsSize(lfs: Lfs): number {
  let size = 0;
  const err = fsTraverse(
    lfs,
    () => {
      size += 1;
      return 0;
    },
    false,
  );
  return err ? err : size;
}
