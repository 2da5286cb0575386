/**
 * An mdir's commit log decoded once: every tag from the start of the log up to the end of the
 * last valid commit, with its offset, in log order. lfs.c re-reads tags from the device for
 * each lookup (a backward scan per lfs_dir_get, a forward scan per candidate in the duplicate
 * filter); walks that would read the same log many times decode it here once and run the very
 * same logic over the array. The tags are the ones lfs.c would read, so the results are too;
 * only the number of device reads changes.
 */
import { bdReadWord } from "./bd-cache.js";
import type { Lfs, MDir } from "./state.js";
import { tagDsize } from "./tag.js";

/** The decoded tags of one mdir log, from pooled arrays (walks nest a few levels at most). */
export interface DecodedLog {
  count: number;
  /**
   * The tags with bit 31 set, as lfs_dir_traverse reads them forward, stored as int32 (an
   * Int32Array element is a small integer to V8, where the unsigned value would be a double);
   * `>>> 0` gives the unsigned form, `& 0x7fffffff` the form a backward scan reads.
   */
  tags: Int32Array;
  /** Offset of each tag in the block. */
  offs: Uint32Array;
  release(): void;
}

const pool: DecodedLog[] = [];

/** Read the tags after `off` (whose tag was `ptag`) up to the end of the committed log. */
export function decodeLog(lfs: Lfs, dir: MDir, off: number, ptag: number): DecodedLog | number {
  // a tag takes at least 4 bytes, so a block holds at most block_size / 4 of them
  const cap = Math.ceil(lfs.cfg.blockSize / 4);
  let log = pool.pop();
  if (log === undefined || log.tags.length < cap) {
    const tags = new Int32Array(cap);
    const offs = new Uint32Array(cap);
    const fresh: DecodedLog = {
      count: 0,
      tags,
      offs,
      release: () => {
        pool.push(fresh);
      },
    };
    log = fresh;
  }
  let n = 0;
  while (off + tagDsize(ptag) < dir.off) {
    off += tagDsize(ptag);
    const w = bdReadWord(lfs, lfs.rcache, 4, dir.pair[0], off, true);
    if (w < 0) {
      log.release();
      return w;
    }
    ptag = ((w ^ ptag) | 0x80000000) >>> 0;
    log.tags[n] = ptag;
    log.offs[n] = off;
    n += 1;
  }
  log.count = n;
  return log;
}
