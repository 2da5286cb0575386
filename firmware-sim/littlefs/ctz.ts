/**
 * CTZ skip-lists, the layout of files bigger than inline_max (lfs.c `lfs_ctz_index`, `_find`,
 * `_extend`, `_traverse`; littlefs DESIGN.md "CTZ skip-lists"). Block n >= 1 starts with ctz(n)+1
 * back pointers; appends copy the partial last block into a fresh one (copy-on-write).
 */
import { ERR, bdErase, bdProg, bdRead, cacheDrop } from "./bd-cache.js";
import { lfsAlloc } from "./alloc.js";
import type { Cache, Lfs } from "./state.js";
import { BLOCK_NULL, ctz, npw2, popc, readLe32, writeLe32 } from "./tag.js";

/** Block index holding byte `pos`, and (in box.off) the offset inside that block. */
export function ctzIndex(lfs: Lfs, box: { off: number }): number {
  const size = box.off;
  const b = lfs.cfg.blockSize - 8;
  let i = Math.floor(size / b);
  if (i === 0) return 0;
  i = Math.floor((size - 4 * (popc(i - 1) + 2)) / b);
  box.off = size - b * i - 4 * popc(i);
  return i;
}

const word = new Uint8Array(8);
let scratchBlock = new Uint8Array(0);

/** A shared block-sized buffer for copies that complete before returning (no reentrancy). */
export function blockScratch(size: number): Uint8Array {
  if (scratchBlock.length < size) scratchBlock = new Uint8Array(size);
  return scratchBlock;
}

/** lfs_ctz_find: the block and offset of `pos` in the list (head, size). */
export function ctzFind(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  head: number,
  size: number,
  pos: number,
  out: { block: number; off: number },
): number {
  if (size === 0) {
    out.block = BLOCK_NULL;
    out.off = 0;
    return 0;
  }
  let current = ctzIndex(lfs, { off: size - 1 });
  const tbox = { off: pos };
  const target = ctzIndex(lfs, tbox);
  // a sane list needs at most log2 steps per level; bound the walk against corrupt pointers
  let steps = 0;
  while (current > target) {
    if (++steps > 64 * 32) return ERR.CORRUPT;
    const skip = Math.min(npw2(current - target + 1) - 1, ctz(current));
    const err = bdRead(lfs, pcache, rcache, 4, head, 4 * skip, word, 0, 4);
    if (err) return err;
    head = readLe32(word, 0);
    current -= 1 << skip;
  }
  out.block = head;
  out.off = tbox.off;
  return 0;
}

/** lfs_ctz_extend: a new block to continue the list at `size` (copying a partial last block). */
export function ctzExtend(
  lfs: Lfs,
  pcache: Cache,
  rcache: Cache,
  head: number,
  size: number,
  out: { block: number; off: number },
): number {
  const one = blockScratch(lfs.cfg.blockSize);
  for (;;) {
    const nb = { block: 0 };
    let err = lfsAlloc(lfs, nb);
    if (err) return err;
    const nblock = nb.block;
    relocate: {
      err = bdErase(lfs, nblock);
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      if (size === 0) {
        out.block = nblock;
        out.off = 0;
        return 0;
      }
      const nbox = { off: size - 1 };
      let index = ctzIndex(lfs, nbox);
      const noff = nbox.off + 1;
      if (noff !== lfs.cfg.blockSize) {
        err = bdRead(lfs, null, rcache, noff, head, 0, one, 0, noff);
        if (err) return err;
        err = bdProg(lfs, pcache, rcache, true, nblock, 0, one, 0, noff);
        if (err) {
          if (err === ERR.CORRUPT) break relocate;
          return err;
        }
        out.block = nblock;
        out.off = noff;
        return 0;
      }
      index += 1;
      const skips = ctz(index) + 1;
      let nhead = head;
      for (let i = 0; i < skips; i++) {
        writeLe32(word, 0, nhead);
        err = bdProg(lfs, pcache, rcache, true, nblock, 4 * i, word, 0, 4);
        if (err) {
          if (err === ERR.CORRUPT) break relocate;
          return err;
        }
        if (i !== skips - 1) {
          err = bdRead(lfs, null, rcache, 4, nhead, 4 * i, word, 4, 4);
          if (err) return err;
          nhead = readLe32(word, 4);
        }
      }
      out.block = nblock;
      out.off = 4 * skips;
      return 0;
    }
    cacheDrop(pcache);
  }
}

/** lfs_ctz_traverse: call cb for every block of the list. */
export function ctzTraverse(
  lfs: Lfs,
  pcache: Cache | null,
  rcache: Cache,
  head: number,
  size: number,
  cb: (block: number) => number,
): number {
  if (size === 0) return 0;
  let index = ctzIndex(lfs, { off: size - 1 });
  for (;;) {
    let err = cb(head);
    if (err) return err;
    if (index === 0) return 0;
    const count = 2 - (index & 1);
    err = bdRead(lfs, pcache, rcache, count * 4, head, 0, word, 0, count * 4);
    if (err) return err;
    const heads = [readLe32(word, 0), readLe32(word, 4)];
    for (let i = 0; i < count - 1; i++) {
      err = cb(heads[i]!);
      if (err) return err;
    }
    head = heads[count - 1]!;
    index -= count;
  }
}
