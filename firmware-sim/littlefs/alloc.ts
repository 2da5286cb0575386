/**
 * The block allocator (lfs.c `lfs_alloc`, `lfs_alloc_scan`): there is no free list on disk, so a
 * lookahead bitmap of 8*lookahead_size blocks is filled by walking everything reachable, starting
 * at a pseudo-random block (the mount seed) so wear spreads across boots. A checkpoint marks a
 * point with no allocation in flight; a full pass after it with nothing free is NOSPC.
 */
import { ERR } from "./bd-cache.js";
import { fsTraverse } from "./fs-traverse.js";
import type { Lfs } from "./state.js";

export function allocCkpoint(lfs: Lfs): void {
  lfs.lookahead.ckpoint = lfs.blockCount;
}

export function allocDrop(lfs: Lfs): void {
  lfs.lookahead.size = 0;
  lfs.lookahead.next = 0;
  allocCkpoint(lfs);
}

export function allocScan(lfs: Lfs): number {
  const la = lfs.lookahead;
  la.start = (la.start + la.next) % lfs.blockCount;
  la.next = 0;
  la.size = Math.min(8 * lfs.cfg.lookaheadSize, la.ckpoint);
  la.buffer.fill(0);
  const err = fsTraverse(
    lfs,
    (block) => {
      const off = (block - la.start + lfs.blockCount) % lfs.blockCount;
      if (off < la.size) la.buffer[off >>> 3]! |= 1 << (off & 7);
      return 0;
    },
    true,
    lfs.traverseCache,
  );
  if (err) {
    allocDrop(lfs);
    return err;
  }
  return 0;
}

/** Allocate one block into out.block, or return NOSPC (or a traversal error). */
export function lfsAlloc(lfs: Lfs, out: { block: number }): number {
  const la = lfs.lookahead;
  for (;;) {
    while (la.next < la.size) {
      if (!(la.buffer[la.next >>> 3]! & (1 << (la.next & 7)))) {
        out.block = (la.start + la.next) % lfs.blockCount;
        for (;;) {
          la.next += 1;
          la.ckpoint -= 1;
          if (la.next >= la.size || !(la.buffer[la.next >>> 3]! & (1 << (la.next & 7)))) return 0;
        }
      }
      la.next += 1;
      la.ckpoint -= 1;
    }
    if (la.ckpoint <= 0) return ERR.NOSPC;
    const err = allocScan(lfs);
    if (err) return err;
  }
}
