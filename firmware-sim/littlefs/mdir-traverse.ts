/**
 * lfs_dir_traverse: walk the live tags of an mdir followed by a list of pending attributes,
 * optionally filtering out superseded tags (each candidate is checked against everything that
 * comes after it) and remapping ids of a range. Compaction, splitting and appends all write what
 * this walk yields, so its order decides the exact bytes of a commit.
 *
 * lfs.c flattens the recursion with an explicit stack; here it recurses (depth is at most 2:
 * commit -> move).
 *
 * The duplicate filter is where lfs.c spends most of its reads: for every tag it re-reads every
 * later tag from the device (O(n^2) tag reads per compaction, 70% of all device reads when
 * packing a tree). Here a filtered walk decodes the mdir's tags once into an array and runs the
 * very same filter over that array. The tags, their order and every callback are unchanged, so
 * the bytes written are too; only the read count drops. Decoding everything first does not move
 * any error earlier than lfs.c reports it: there, the first tag that passes the mask already
 * scans to the end of the log before its callback runs. On longer logs the filter's answers come
 * from an index of the array (supersede-index.ts), which finds the few later tags that matter
 * instead of stepping through all of them: same answers, without the n^2 steps.
 */
import { bdReadWord } from "./bd-cache.js";
import { decodeLog, type DecodedLog } from "./mdir-log.js";
import { FALLBACK, SUPERSEDED, SupersedeIndex } from "./supersede-index.js";
import { LfsErrno } from "../errors.js";
import type { AttrBuffer, DiskOff, Lfs, MAttr, MDir, MoveSource, UserAttrList } from "./state.js";
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
  TYPE_DELETE,
  TYPE_SPLICE,
  TYPE_STRUCT,
  TYPE_USERATTR,
  mktag,
  tagAddId,
  tagDsize,
  tagId,
  tagIsDelete,
  tagSize,
  tagSplice,
  tagType1,
  tagType3,
} from "./tag.js";

/** A traversal callback: < 0 error, > 0 stop this level, 0 continue. */
export type TraverseCb = (tag: number, buffer: AttrBuffer) => number;

/**
 * lfs_dir_traverse_filter: drop `filterBox.tag` if a later tag supersedes it; track id shifts.
 * One box serves every level: a filter scan never starts another one (its tmask is 0), and a
 * scan's result is taken before the tag it judged is processed.
 */
const filterBox = { tag: 0 };
const NOOP_TAG = mktag(FROM_NOOP, 0, 0);
const filter = (tag: number): number => {
  const box = filterBox;
  const mask = tag & mktag(0x100, 0, 0) ? mktag(0x7ff, 0x3ff, 0) : mktag(0x700, 0x3ff, 0);
  if (
    (mask & tag) >>> 0 === (mask & box.tag) >>> 0 ||
    tagIsDelete(box.tag) ||
    (mktag(0x7ff, 0x3ff, 0) & tag) >>> 0 === (mktag(TYPE_DELETE, 0, 0) | (mktag(0, 0x3ff, 0) & box.tag)) >>> 0
  ) {
    box.tag = mktag(FROM_NOOP, 0, 0);
    return 1;
  }
  if (tagType1(tag) === TYPE_SPLICE && tagId(tag) <= tagId(box.tag)) {
    box.tag = tagAddId(box.tag, tagSplice(tag));
  }
  return 0;
};

export function dirTraverse(
  lfs: Lfs,
  dir: MDir,
  off: number,
  ptag: number,
  attrs: readonly MAttr[],
  ai: number,
  tmask: number,
  ttag: number,
  begin: number,
  end: number,
  diff: number,
  cb: TraverseCb,
): number {
  const disk: DiskOff = { kind: "disk", block: dir.pair[0], off: 0 };
  if (tagId(tmask) === 0) {
    // unfiltered: read the tags one by one, as lfs.c does
    for (;;) {
      let tag: number;
      let buffer: AttrBuffer;
      if (off + tagDsize(ptag) < dir.off) {
        off += tagDsize(ptag);
        const w = bdReadWord(lfs, lfs.rcache, 4, dir.pair[0], off, true);
        if (w < 0) return w;
        tag = ((w ^ ptag) | 0x80000000) >>> 0;
        ptag = tag;
        // one location object per walk: callbacks consume it before the next tag is read
        disk.off = off + 4;
        buffer = disk;
      } else if (ai < attrs.length) {
        tag = attrs[ai]!.tag;
        buffer = attrs[ai]!.buffer;
        ai += 1;
      } else {
        return 0;
      }
      if (!maskMatches(tmask, tag, ttag)) continue;
      const res = emit(lfs, tag, buffer, diff, cb);
      if (res !== 0) return res;
    }
  }

  const log = decodeLog(lfs, dir, off, ptag);
  if (typeof log === "number") return log;
  try {
    return walkDecoded(lfs, log, disk, attrs, ai, tmask, ttag, begin, end, diff, cb);
  } finally {
    log.release();
  }
}

/** The filtered walk over a decoded log, then the pending attributes. */
function walkDecoded(
  lfs: Lfs,
  log: DecodedLog,
  disk: DiskOff,
  attrs: readonly MAttr[],
  ai: number,
  tmask: number,
  ttag: number,
  begin: number,
  end: number,
  diff: number,
  cb: TraverseCb,
): number {
  const n = log.count;
  const { tags, offs } = log;
  let index: SupersedeIndex | null = null;
  try {
    for (let i = 0; i < n + attrs.length - ai; i++) {
      let tag: number;
      let buffer: AttrBuffer;
      if (i < n) {
        tag = tags[i]! >>> 0;
        disk.off = offs[i]! + 4;
        buffer = disk;
      } else {
        const a = attrs[ai + i - n]!;
        tag = a.tag;
        buffer = a.buffer;
      }
      if (!maskMatches(tmask, tag, ttag)) continue;
      // drop the tag if anything after it (later tags, then the pending attributes) supersedes it
      if (index === null && i < n && n >= INDEX_MIN_TAGS) index = takeIndex(tags, n);
      const kept = superseded(tag, tags, i + 1, n, attrs, ai + Math.max(0, i + 1 - n), index);
      if (kept < 0) return kept;
      tag = filterBox.tag;
      if (!(tagId(tag) >= begin && tagId(tag) < end)) continue;
      const res = emit(lfs, tag, buffer, diff, cb);
      if (res !== 0) return res;
    }
    return 0;
  } finally {
    if (index !== null) indexPool.push(index);
  }
}

/**
 * Logs shorter than this are scanned tag by tag: indexing costs about as much as a few dozen
 * scans, and short logs need no more than that.
 */
const INDEX_MIN_TAGS = 48;
/** Indexes for the walks in progress (a walk may start one more, for a move, inside itself). */
const indexPool: SupersedeIndex[] = [];

function takeIndex(tags: Int32Array, n: number): SupersedeIndex {
  let index = indexPool.pop();
  if (index === undefined || index.cap < tags.length) index = new SupersedeIndex(tags.length);
  index.build(tags, n);
  return index;
}

function maskMatches(tmask: number, tag: number, ttag: number): boolean {
  const m = mktag(0x7ff, 0, 0) & tmask;
  return (m & tag) >>> 0 === (m & ttag) >>> 0;
}

/**
 * Hand one tag to the callback, expanding moves (the moved id's tags from its source mdir) and
 * user-attribute lists. Returns what the walk should return (< 0 error, > 0 stop), or 0 to go on.
 */
function emit(lfs: Lfs, tag: number, buffer: AttrBuffer, diff: number, cb: TraverseCb): number {
  const t3 = tagType3(tag);
  if (t3 === FROM_NOOP) return 0;
  // moves and attribute lists exist only as pending attributes; lfs.c would follow such a tag
  // found on disk as a pointer
  if (
    (t3 === FROM_MOVE || t3 === FROM_USERATTRS) &&
    buffer !== null &&
    "kind" in buffer &&
    buffer.kind === "disk"
  ) {
    return LfsErrno.CORRUPT;
  }
  if (t3 === FROM_MOVE) {
    const fromid = tagSize(tag);
    const toid = tagId(tag);
    const res = dirTraverse(
      lfs,
      (buffer as MoveSource).dir,
      0,
      0xffffffff,
      [],
      0,
      mktag(0x600, 0x3ff, 0),
      mktag(TYPE_STRUCT, 0, 0),
      fromid,
      fromid + 1,
      toid - fromid + diff,
      cb,
    );
    return res < 0 ? res : 0;
  }
  if (t3 === FROM_USERATTRS) {
    const list = (buffer as UserAttrList).attrs;
    for (let i = 0; i < tagSize(tag); i++) {
      const a = list[i]!;
      const res = cb(mktag(TYPE_USERATTR + a.type, tagId(tag) + diff, a.size), a.buffer.subarray(0, a.size));
      if (res < 0) return res;
      if (res) break;
    }
    return 0;
  }
  return cb(tagAddId(tag, diff), buffer);
}

/**
 * lfs.c's filter walk (lfs_dir_traverse with tmask 0 and the filter callback) over the decoded
 * tags from index `from`, then the pending attributes from `ai`: leaves in filterBox.tag either
 * FROM_NOOP (superseded) or the tag with its id shifted by later splices. Moves are not followed
 * (lfs.c's O(n^3) guard). Returns 0, or CORRUPT for a user-attribute list found on disk, which
 * lfs.c would follow as a pointer. The log part comes from `index` when it can answer.
 */
function superseded(
  tag: number,
  tags: Int32Array,
  from: number,
  n: number,
  attrs: readonly MAttr[],
  ai: number,
  index: SupersedeIndex | null,
): number {
  let cur = index !== null && index.usable ? index.scan(tags, tag, from) : FALLBACK;
  if (cur === FALLBACK) cur = supersededScan(tag, tags, from, n);
  if (cur === SUPERSEDED) {
    filterBox.tag = NOOP_TAG;
    return 0;
  }
  if (cur < 0) return cur;
  filterBox.tag = cur;
  for (let k = ai; k < attrs.length; k++) {
    const t = attrs[k]!.tag;
    const t3 = tagType3(t);
    if (t3 === FROM_NOOP || t3 === FROM_MOVE) continue;
    if (t3 === FROM_USERATTRS) {
      const list = (attrs[k]!.buffer as UserAttrList).attrs;
      for (let i = 0; i < tagSize(t); i++) {
        if (filter(mktag(TYPE_USERATTR + list[i]!.type, tagId(t), list[i]!.size))) break;
      }
      continue;
    }
    if (filter(t)) return 0;
  }
  return 0;
}

/**
 * The log part of the filter walk, tag by tag as lfs.c does it: `tag` against the decoded tags
 * from index `from` to `n`. Returns SUPERSEDED, CORRUPT (a user-attribute list on disk), or the
 * tag with its id shifted by the splices it met (unsigned). SupersedeIndex.scan gives the same
 * answers faster; this is the reference it is tested against, and its fallback.
 */
export function supersededScan(tag: number, tags: Int32Array, from: number, n: number): number {
  // filter() written out with its masks as constants: it runs for every live tag against every
  // later one, often before the JIT has optimized anything, so each call and helper costs. Tags
  // are handled as int32 here (the valid bit makes every decoded tag >= 2^31, which V8 would
  // keep as doubles).
  let cur = tag | 0;
  for (let j = from; j < n; j++) {
    const t = tags[j]!;
    const t3 = (t & 0x7ff00000) >>> 20;
    if (t3 === FROM_NOOP || t3 === FROM_MOVE) continue;
    if (t3 === FROM_USERATTRS) return LfsErrno.CORRUPT;
    const mask = t & FILTER_FROM_BIT ? FILTER_MASK_TYPE3_ID : FILTER_MASK_TYPE1_ID;
    if (
      (mask & t) === (mask & cur) ||
      (cur & 0x3ff) === 0x3ff ||
      (FILTER_MASK_TYPE3_ID & t) === (FILTER_DELETE_TAG | (cur & FILTER_ID_BITS))
    ) {
      return SUPERSEDED;
    }
    if ((t & 0x70000000) === FILTER_SPLICE_TYPE1 && (t & FILTER_ID_BITS) <= (cur & FILTER_ID_BITS)) {
      cur = (cur + tagSplice(t) * 0x400) | 0;
    }
  }
  return cur >>> 0;
}
