/**
 * lfs_dir_traverse: walk the live tags of an mdir followed by a list of pending attributes,
 * optionally filtering out superseded tags (each candidate is checked against everything that
 * comes after it) and remapping ids of a range. Compaction, splitting and appends all write what
 * this walk yields, so its order decides the exact bytes of a commit.
 *
 * lfs.c flattens the recursion with an explicit stack; here it recurses (depth is at most 3:
 * commit -> move -> filter).
 */
import { bdReadWord } from "./bd-cache.js";
import type { AttrBuffer, DiskOff, Lfs, MAttr, MDir, MoveSource, UserAttrList } from "./state.js";
import {
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
export interface TraverseCb {
  (tag: number, buffer: AttrBuffer): number;
  /** Set on the duplicate filter, which must not recurse into moves (lfs.c's O(n^3) guard). */
  isFilter?: boolean;
}

/**
 * lfs_dir_traverse_filter: drop `filterBox.tag` if a later tag supersedes it; track id shifts.
 * One box serves every level: a filter scan never starts another one (its tmask is 0), and a
 * scan's result is taken before the tag it judged is processed.
 */
const filterBox = { tag: 0 };
const filter: TraverseCb = (tag) => {
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
filter.isFilter = true;

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
  const mask = mktag(0x7ff, 0, 0);
  const disk: DiskOff = { kind: "disk", block: 0, off: 0 };
  for (;;) {
    let tag: number;
    let buffer: AttrBuffer;
    if (off + tagDsize(ptag) < dir.off) {
      off += tagDsize(ptag);
      const w = bdReadWord(lfs, lfs.rcache, 4, dir.pair[0], off, true);
      if (w < 0) return w;
      tag = ((w ^ ptag) | 0x80000000) >>> 0;
      // one location object per frame: callbacks consume it before the next tag is read
      disk.block = dir.pair[0];
      disk.off = off + 4;
      buffer = disk;
      ptag = tag;
    } else if (ai < attrs.length) {
      tag = attrs[ai]!.tag;
      buffer = attrs[ai]!.buffer;
      ai += 1;
    } else {
      return 0;
    }

    if ((mask & tmask & tag) >>> 0 !== (mask & tmask & ttag) >>> 0) continue;

    if (tagId(tmask) !== 0) {
      // scan everything after this tag for something that supersedes it
      filterBox.tag = tag;
      const res = dirTraverse(lfs, dir, off, ptag, attrs, ai, 0, 0, 0, 0, 0, filter);
      if (res < 0) return res;
      tag = filterBox.tag;
      if (!(tagId(tag) >= begin && tagId(tag) < end)) continue;
    }

    const t3 = tagType3(tag);
    if (t3 === FROM_NOOP) {
      // nothing
    } else if (t3 === FROM_MOVE) {
      if (cb.isFilter) continue;
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
      if (res < 0) return res;
    } else if (t3 === FROM_USERATTRS) {
      const list = (buffer as UserAttrList).attrs;
      for (let i = 0; i < tagSize(tag); i++) {
        const a = list[i]!;
        const res = cb(
          mktag(TYPE_USERATTR + a.type, tagId(tag) + diff, a.size),
          a.buffer.subarray(0, a.size),
        );
        if (res < 0) return res;
        if (res) break;
      }
    } else {
      const res = cb(tagAddId(tag, diff), buffer);
      if (res < 0) return res;
      if (res) return res;
    }
  }
}
