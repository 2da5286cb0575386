/**
 * What the allocator's scans found per metadata pair, kept from one scan to the next on a mount
 * that owns its device (MountOptions.exclusive).
 *
 * lfs_alloc refills its lookahead window by walking the whole file system (lfs_fs_traverse):
 * every pair on the tail list, every CTZ list of every file. A pack of the 1000-file benchmark
 * tree does that 12 times, and between two scans only the one or two pairs being appended to
 * have changed; the other pairs give the same blocks again, from the same bytes. Walking them
 * again was a tenth of a cold `flashbak fs mkfs` (16-22 ms).
 *
 * So each pair's walk is remembered: the blocks it reported (the pair, its files' CTZ lists and,
 * as the allocator asks, its child directories' pairs) and the pair it leads to. A remembered
 * walk is replayed while none of the blocks it read has been programmed or erased since: every
 * prog and erase through this mount stamps its block with a rising write generation
 * (`touched`), and a walk keeps the generation it started at. Equal bytes give an equal walk,
 * so a replay reports exactly the blocks a walk would (in the same order), and the lookahead,
 * the allocations and every byte written stay lfs.c's.
 *
 * What it relies on, and why it is opt-in: the device's contents change only through this
 * mount. A flash whose contents are changed behind the file system's back (a test flipping
 * bits, injected read faults, another writer) would be walked by lfs.c and not by a replay, so
 * the simulated modules never use it; the image tools, which own the bytes they edit, do. The
 * only other input of a walk, a pending move recorded in the global state for that very pair
 * (lfs_dir_getslice hides the moved entry), is checked at each visit: such a pair is walked.
 *
 * Skipped walks skip their device reads, so a pack reads less than lfs.c does (it already did,
 * see fetch-memo.ts); programs and erases are the same. They also leave the read cache holding
 * the line it held before the scan, where lfs.c leaves the last line the walk read. That can
 * only matter if the cached line is stale (loaded before an erase or an unvalidated write of
 * its block, and not dropped since); in every such window we traced (a flush followed by a
 * compaction or split, a relocation, ctzExtend, a new pair, grow) the next read replaces the
 * line before anything uses it, except after a program or erase failure, which the exclusive
 * image devices do not have. A review's side-by-side fuzz (held-open files, directory renames,
 * gc, mkconsistent, images cut by power loss with pending moves and orphans, five geometries)
 * never saw an exclusive and a plain mount write different bytes.
 */
import { tagType1 } from "./tag.js";
import type { GState } from "./state.js";

/** One pair's walk, as the allocator's scan made it. */
export interface TraverseEntry {
  /** The tail pair it was reached by (the map key is its first block). */
  pair1: number;
  /** The write generation when the walk started: valid while no block it read is newer. */
  at: number;
  /** Every block reported, in the walk's order. */
  blocks: number[];
  /** The blocks whose contents the walk read (the pair and the CTZ blocks). */
  deps: number[];
  /** Where the tail list goes next. */
  tail0: number;
  tail1: number;
}

export interface TraverseCache {
  /** The last write generation handed out (0: nothing written since the mount). */
  gen: number;
  /** writeGen[block]: the generation of the last prog or erase of the block through this mount. */
  writeGen: Uint32Array;
  /** Walks by the first block of the tail pair they were reached by. */
  entries: Map<number, TraverseEntry>;
}

export function newTraverseCache(blockCount: number): TraverseCache {
  return { gen: 0, writeGen: new Uint32Array(blockCount), entries: new Map() };
}

/** Stamp `block` as changed (a prog or an erase is about to reach the device). */
export function touched(tc: TraverseCache, block: number): void {
  if (block >= tc.writeGen.length) return; // inline data, or beyond the device: never walked
  if (tc.gen === 0xffffffff) {
    // a generation counter that wrapped would make old walks look new: start over
    tc.entries.clear();
    tc.writeGen.fill(0);
    tc.gen = 0;
  }
  tc.gen += 1;
  tc.writeGen[block] = tc.gen;
}

/**
 * The remembered walk of the pair (t0, t1), if it is still what a walk would give: no block it
 * read written since, and no pending move of an entry of this pair in `gdisk`.
 */
export function validWalk(tc: TraverseCache, t0: number, t1: number, gdisk: GState): TraverseEntry | null {
  const e = tc.entries.get(t0);
  if (e === undefined || e.pair1 !== t1 || hasMoveAt(gdisk, t0, t1)) return null;
  const gens = tc.writeGen;
  const deps = e.deps;
  for (let i = 0; i < deps.length; i++) if ((gens[deps[i]!] ?? 0) > e.at) return null;
  return e;
}

/** Whether a walk of (t0, t1) may be remembered: not while a move of one of its entries is pending. */
export function hasMoveAt(gdisk: GState, t0: number, t1: number): boolean {
  if (tagType1(gdisk.tag) === 0) return false;
  const [g0, g1] = gdisk.pair;
  // lfs_pair_cmp: the pairs share a block
  return g0 === t0 || g1 === t1 || g0 === t1 || g1 === t0;
}
