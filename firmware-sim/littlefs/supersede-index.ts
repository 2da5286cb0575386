/**
 * The duplicate filter's forward scan (lfs_dir_traverse_filter run over the rest of a log, see
 * `supersededScan` in mdir-traverse.ts) answered from an index of the decoded log instead of
 * tag by tag.
 *
 * Why: a filtered walk (compaction, a split's size estimate) asks, for every live tag, whether
 * any later tag supersedes it, and lfs.c answers by scanning every later tag: n^2/2 steps per
 * walk, 13,000 scans and about 15 ms of a cold 1000-file `fs mkfs`, the largest single piece
 * of JavaScript in the pack. The answer only depends on a few later tags, and the index finds
 * them directly, so the result, and therefore every byte a compaction writes, is unchanged.
 *
 * What the scan does, for a candidate tag `cur` and each later tag `t` in order:
 *   1. `t` supersedes `cur` if, under t's mask (the full type for types with the 0x100 bit, the
 *      type class otherwise), both have the same type and id; or if cur's size is 0x3ff (a
 *      deleted tag); or if `t` is a DELETE of cur's id;
 *   2. otherwise, a splice `t` (type class 0x400) at an id <= cur's id moves cur's id by its
 *      chunk (+1 CREATE, -1 DELETE).
 * So between two splices that move it, cur's id is a constant c, and only tags with id c can
 * supersede it there. The index keeps, per id, the positions of its tags (binary search gives
 * the ones in a range), and a sparse table of minimum ids over the splices (the next splice at
 * or after a position whose id is <= c, in log2 steps). A scan then costs a few lookups per
 * splice that moves the candidate, instead of a step per later tag.
 *
 * Logs holding NOOP, MOVE or USERATTRS tags (never written to disk by littlefs; the scan skips
 * or rejects them) and ids moved out of 0..0x3ff (where lfs.c's id arithmetic carries into the
 * type bits) are left to the plain scan: `scan` says FALLBACK.
 */
import {
  FILTER_DELETE_TAG,
  FILTER_FROM_BIT,
  FILTER_ID_BITS,
  FILTER_MASK_TYPE1_ID,
  FILTER_MASK_TYPE3_ID,
  FILTER_SPLICE_TYPE1,
  FROM_MOVE,
  FROM_NOOP,
  FROM_USERATTRS,
} from "./tag.js";

/** `scan`'s answer when the plain scan must decide. */
export const FALLBACK = -1;
/** `scan`'s answer for a superseded tag (lfs.c sets the filtered tag to a NOOP). */
export const SUPERSEDED = -2;

const IDS = 0x400;

export class SupersedeIndex {
  /** False when the log holds tags only the plain scan handles (see the module comment). */
  usable = false;
  /** Positions of the tags with id v: pos[start[v] .. start[v + 1]), ascending. */
  #start = new Int32Array(IDS + 1);
  #pos: Int32Array;
  /** The splices in log order: position, id and chunk (as an int8). */
  #spPos: Int32Array;
  #spId: Int32Array;
  #spShift: Int32Array;
  #splices = 0;
  /** nextSplice[p]: index (into the splice arrays) of the first splice at position >= p. */
  #nextSplice: Int32Array;
  /**
   * Level k holds, at x, the minimum id of splices x .. x + 2^k - 1 (where that range exists);
   * level 0 is the splice ids themselves.
   */
  #minId: Int32Array[];
  #levels = 0;
  #count = 0;

  /** Room for logs of up to `cap` tags (block_size / 4 holds any log). */
  constructor(readonly cap: number) {
    this.#pos = new Int32Array(cap);
    this.#spPos = new Int32Array(cap);
    this.#spId = new Int32Array(cap);
    this.#spShift = new Int32Array(cap);
    this.#nextSplice = new Int32Array(cap + 1);
    this.#minId = [this.#spId];
  }

  /** Index the first `n` tags of a decoded log (int32 tags, valid bit set, as DecodedLog has). */
  build(tags: Int32Array, n: number): void {
    if (n > this.cap) throw new RangeError(`SupersedeIndex: ${n} tags, room for ${this.cap}`);
    this.#count = n;
    this.usable = true;
    const start = this.#start;
    start.fill(0);
    let splices = 0;
    for (let j = 0; j < n; j++) {
      const t = tags[j]!;
      const t3 = (t & 0x7ff00000) >>> 20;
      if (t3 === FROM_NOOP || t3 === FROM_MOVE || t3 === FROM_USERATTRS) {
        this.usable = false;
        return;
      }
      const v = (t >>> 10) & 0x3ff;
      start[v + 1] = start[v + 1]! + 1;
      if ((t & 0x70000000) === FILTER_SPLICE_TYPE1) {
        this.#spPos[splices] = j;
        this.#spId[splices] = v;
        this.#spShift[splices] = (((t >>> 20) & 0xff) << 24) >> 24;
        splices += 1;
      }
    }
    this.#splices = splices;
    for (let v = 0; v < IDS; v++) start[v + 1] = start[v + 1]! + start[v]!;
    // counting sort of the positions by id (start[v] advances while filling, then is restored)
    for (let j = 0; j < n; j++) {
      const v = (tags[j]! >>> 10) & 0x3ff;
      this.#pos[start[v]!] = j;
      start[v] = start[v]! + 1;
    }
    for (let v = IDS; v > 0; v--) start[v] = start[v - 1]!;
    start[0] = 0;
    let x = splices;
    this.#nextSplice[n] = splices;
    for (let p = n - 1; p >= 0; p--) {
      if (x > 0 && this.#spPos[x - 1] === p) x -= 1;
      this.#nextSplice[p] = x;
    }
    this.#buildMinIds(splices);
  }

  #buildMinIds(s: number): void {
    let level = 1;
    for (let width = 2; width <= s; width <<= 1, level++) {
      let m = this.#minId[level];
      if (m === undefined) {
        m = new Int32Array(this.cap);
        this.#minId[level] = m;
      }
      const prev = this.#minId[level - 1]!;
      const half = width >>> 1;
      for (let x = 0; x + width <= s; x++) m[x] = Math.min(prev[x]!, prev[x + half]!);
    }
    this.#levels = s > 0 ? level : 0;
  }

  /** The first splice, at index >= x, whose id is <= c; the splice count when there is none. */
  #spliceAtOrBelow(x: number, c: number): number {
    const s = this.#splices;
    for (let k = this.#levels - 1; k >= 0; k--) {
      const w = 1 << k;
      if (x + w <= s && this.#minId[k]![x]! > c) x += w;
    }
    return x;
  }

  /**
   * The scan of `tag` (int32, valid bit set) against the tags from position `from` on:
   * SUPERSEDED, FALLBACK, or the tag with its id moved by the splices it met (unsigned).
   */
  scan(tags: Int32Array, tag: number, from: number): number {
    const n = this.#count;
    let cur = tag | 0;
    if (from >= n) return cur >>> 0;
    // a deleted tag (size 0x3ff) is superseded by whatever follows it
    if ((cur & 0x3ff) === 0x3ff) return SUPERSEDED;
    let c = (cur >>> 10) & 0x3ff;
    let p = from;
    for (;;) {
      const x = this.#spliceAtOrBelow(this.#nextSplice[p]!, c);
      const last = x < this.#splices ? this.#spPos[x]! : n - 1;
      // the tags with id c in p..last, the only ones that can match while the id is c
      const pos = this.#pos;
      let lo = this.#start[c]!;
      let hi = this.#start[c + 1]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (pos[mid]! < p) lo = mid + 1;
        else hi = mid;
      }
      const end = this.#start[c + 1]!;
      for (let k = lo; k < end; k++) {
        const j = pos[k]!;
        if (j > last) break;
        const t = tags[j]!;
        const mask = t & FILTER_FROM_BIT ? FILTER_MASK_TYPE3_ID : FILTER_MASK_TYPE1_ID;
        if (
          (mask & t) === (mask & cur) ||
          (FILTER_MASK_TYPE3_ID & t) === (FILTER_DELETE_TAG | (cur & FILTER_ID_BITS))
        ) {
          return SUPERSEDED;
        }
      }
      if (x >= this.#splices) return cur >>> 0;
      c += this.#spShift[x]!;
      if (c < 0 || c > 0x3ff) return FALLBACK;
      cur = (cur & ~FILTER_ID_BITS) | (c << 10);
      p = last + 1;
    }
  }
}
