/**
 * What a fetch verified, kept per block so that the next fetch of the same block can start
 * where the last one stopped (see `dirFetchMatch`).
 *
 * lfs_dir_fetchmatch re-reads and re-checks a metadata block's whole log on every fetch, and a
 * pack fetches the same few blocks over and over while only appending to them: in the 1000-file
 * benchmark, 96% of the bytes fetched are a prefix that an earlier fetch of the same block had
 * already verified. A memo holds a copy of that prefix (the bytes up to the end of the last
 * valid commit), the tags found in it, the CRC of each commit and the scan's state at its end.
 *
 * A memo is trusted only after the block's current bytes are read from the device and found
 * equal to the copy, so nothing that changed the block (an erase, a rewrite, corruption from
 * outside, a fault injected into reads) goes unseen: equal bytes give equal CRCs, tags and scan
 * state, which is all a fetch computes from them. The part that depends on what the fetch looks
 * for (the match callback and the best tag) is replayed over the memo's tags, calling the
 * callback on the same tags in the same order as a full scan would. The rest of the log is
 * then scanned as usual. Only the device reads differ from lfs.c: one read of the prefix instead
 * of one per tag and cache line.
 */
import { isPowerLoss } from "../errors.js";
import { firstDifference } from "../flash/bytes.js";
import type { Lfs } from "./state.js";
import { alignDown, alignUp } from "./tag.js";

export interface FetchMemo {
  /** Bytes [0, len) of the block are verified; 0: the memo holds nothing (or is being updated). */
  len: number;
  /** A copy of the block's first `len` bytes (capacity: the block size). */
  bytes: Uint8Array;
  /** Tags of the verified prefix in log order, as the forward scan decodes them (valid bit clear). */
  tags: Uint32Array;
  /** Offset of each tag in the block. */
  offs: Uint32Array;
  /** How many tags the prefix holds (the last is its last commit's CRC tag). */
  n: number;
  /** CRC of each commit of the prefix, in order: lfs.seed takes each in. */
  crcs: Uint32Array;
  commits: number;
  // the scan's state after the last commit of the prefix
  off: number;
  ptag: number;
  count: number;
  tail0: number;
  tail1: number;
  split: boolean;
  hasfcrc: boolean;
  fcrcSize: number;
  fcrcCrc: number;
}

/**
 * Blocks remembered per mount; beyond this the least recently fetched is forgotten. A memo takes
 * about 3.5 blocks of memory, so big blocks get fewer: 64 up to 16 KiB blocks, then 1 MiB of
 * copies in all, but never fewer than 8 (a path lookup walks a few pairs).
 */
export function fetchMemoBlocks(blockSize: number): number {
  return Math.max(8, Math.min(64, Math.floor((1 << 20) / blockSize)));
}

/** The memo for `block`, made empty if there was none (marked most recently used). */
export function memoFor(lfs: Lfs, block: number): FetchMemo {
  const memos = lfs.fetchMemos;
  let m = memos.get(block);
  if (m !== undefined) {
    memos.delete(block);
  } else {
    if (memos.size >= fetchMemoBlocks(lfs.cfg.blockSize)) {
      const oldest = memos.keys().next().value as number;
      m = memos.get(oldest)!;
      memos.delete(oldest);
      m.len = 0;
    } else {
      const bs = lfs.cfg.blockSize;
      // a tag takes at least 4 bytes and a commit at least 8 (its CRC tag and CRC)
      m = {
        len: 0,
        bytes: new Uint8Array(bs),
        tags: new Uint32Array(Math.ceil(bs / 4)),
        offs: new Uint32Array(Math.ceil(bs / 4)),
        n: 0,
        crcs: new Uint32Array(Math.ceil(bs / 8)),
        commits: 0,
        off: 0,
        ptag: 0,
        count: 0,
        tail0: 0,
        tail1: 0,
        split: false,
        hasfcrc: false,
        fcrcSize: 0,
        fcrcCrc: 0,
      };
    }
  }
  memos.set(block, m);
  return m;
}

/** The device read that covers bytes [0, len): whole read units, within the block. */
function readSpan(lfs: Lfs, len: number): number {
  return Math.min(alignUp(len, lfs.cfg.readSize), lfs.cfg.blockSize);
}

/**
 * Whether the block still starts with the memo's verified bytes: one device read of them,
 * compared with the copy. A failed read counts as changed (the full scan then meets it itself).
 */
export function memoStillValid(lfs: Lfs, block: number, m: FetchMemo): boolean {
  if (m.len === 0) return false;
  const span = readSpan(lfs, m.len);
  if (lfs.memoScratch.length < span) lfs.memoScratch = new Uint8Array(lfs.cfg.blockSize);
  const cur = lfs.memoScratch;
  try {
    lfs.bd.read(block, 0, cur.subarray(0, span));
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    return false;
  }
  return firstDifference(m.bytes, 0, cur, 0, m.len) < 0;
}

/**
 * Keep bytes [0, len) of the block as the memo's verified prefix (the fetch that just ended
 * verified them). Bytes below `known` are already in the copy (this fetch compared them), so
 * only the rest is read: one device read; if it fails, the memo stays empty.
 */
export function memoCapture(lfs: Lfs, block: number, m: FetchMemo, known: number, len: number): void {
  const from = alignDown(Math.min(known, len), lfs.cfg.readSize);
  const span = readSpan(lfs, len);
  if (from < span) {
    try {
      lfs.bd.read(block, from, m.bytes.subarray(from, span));
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      m.len = 0;
      return;
    }
  }
  m.len = len;
}
