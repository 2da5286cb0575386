/**
 * Directory and namespace operations (lfs.c `lfs_mkdir_`, `lfs_dir_open_/read_/close_`,
 * `lfs_stat_`, `lfs_remove_`, `lfs_rename_`, `lfs_getattr_`, `lfs_setattr_`, `lfs_removeattr_`).
 * A directory is a chain of mdirs (HARDTAIL); every mdir of the file system is also threaded on
 * one SOFTTAIL list from {0,1}, which mkdir and remove keep intact under the orphan flag.
 */
import { ERR } from "./bd-cache.js";
import { allocCkpoint } from "./alloc.js";
import { dirFetch, dirFind, dirGet, dirGetInfo, type EntryInfo, type FindOut } from "./mdir-fetch.js";
import { dirAlloc } from "./mdir-commit.js";
import {
  dirCommit,
  dirDrop,
  fsForceConsistency,
  fsPred,
  hasMove,
  hasOrphans,
  prepMove,
  prepOrphans,
} from "./orphans.js";
import {
  type DirState,
  type Lfs,
  type MListEntry,
  cloneMdir,
  mlistAppend,
  mlistRemove,
  newMdir,
} from "./state.js";
import {
  FROM_MOVE,
  MAX_MDIR_COUNT,
  FROM_NOOP,
  TYPE_CREATE,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_DIRSTRUCT,
  TYPE_SOFTTAIL,
  TYPE_STRUCT,
  TYPE_USERATTR,
  mktag,
  pairBytes,
  pairCmp,
  readLe32,
  tagId,
  tagSize,
  tagType3,
  type Pair,
} from "./tag.js";

const NOOP = mktag(FROM_NOOP, 0, 0);

function tempEntry(lfs: Lfs, m = newMdir()): MListEntry {
  const e: MListEntry = { type: 0, id: 0, m };
  mlistAppend(lfs, e);
  return e;
}

export function lfsMkdir(lfs: Lfs, parts: readonly string[]): number {
  let err = fsForceConsistency(lfs);
  if (err) return err;
  const cwd = newMdir();
  const fo: FindOut = { id: 0x3ff, name: new Uint8Array(0) };
  err = dirFind(lfs, cwd, parts, fo);
  if (!(err === ERR.NOENT && fo.id !== 0x3ff)) return err < 0 ? err : ERR.EXIST;
  const id = fo.id;
  const name = fo.name;
  if (name.length > lfs.nameMax) return ERR.NAMETOOLONG;

  allocCkpoint(lfs);
  const dir = newMdir();
  err = dirAlloc(lfs, dir);
  if (err) return err;

  const pred = cloneMdir(cwd);
  while (pred.split) {
    err = dirFetch(lfs, pred, [pred.tail[0], pred.tail[1]]);
    if (err) return err;
  }
  err = dirCommit(lfs, dir, [{ tag: mktag(TYPE_SOFTTAIL, 0x3ff, 8), buffer: pairBytes(pred.tail) }]);
  if (err) return err;

  // cwd is tracked while the predecessor is updated: a relocation may move it
  const cwdEntry = tempEntry(lfs, cwd);
  try {
    if (cwd.split) {
      prepOrphans(lfs, +1);
      err = dirCommit(lfs, pred, [{ tag: mktag(TYPE_SOFTTAIL, 0x3ff, 8), buffer: pairBytes(dir.pair) }]);
      if (err) return err;
      prepOrphans(lfs, -1);
    }
  } finally {
    mlistRemove(lfs, cwdEntry);
  }
  return dirCommit(lfs, cwd, [
    { tag: mktag(TYPE_CREATE, id, 0), buffer: null },
    { tag: mktag(TYPE_DIR, id, name.length), buffer: name },
    { tag: mktag(TYPE_DIRSTRUCT, id, 8), buffer: pairBytes(dir.pair) },
    { tag: !cwd.split ? mktag(TYPE_SOFTTAIL, 0x3ff, 8) : NOOP, buffer: pairBytes(dir.pair) },
  ]);
}

/** lfs_dir_open_: position a directory handle at the first mdir of `parts`. */
export function dirOpen(lfs: Lfs, dir: DirState, parts: readonly string[]): number {
  const tag = dirFind(lfs, dir.m, parts, null);
  if (tag < 0) return tag;
  if (tagType3(tag) !== TYPE_DIR) return ERR.NOTDIR;
  let pair: Pair;
  if (tagId(tag) === 0x3ff) {
    pair = [lfs.root[0], lfs.root[1]];
  } else {
    const b = new Uint8Array(8);
    const res = dirGet(lfs, dir.m, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, tagId(tag), 8), b);
    if (res < 0) return res;
    pair = [readLe32(b, 0), readLe32(b, 4)];
  }
  const err = dirFetch(lfs, dir.m, pair);
  if (err) return err;
  dir.head = [dir.m.pair[0], dir.m.pair[1]];
  dir.id = 0;
  dir.pos = 0;
  dir.type = TYPE_DIR;
  mlistAppend(lfs, dir);
  return 0;
}

export function newDirState(): DirState {
  return { type: TYPE_DIR, id: 0, m: newMdir(), head: [0, 0], pos: 0 };
}

export function dirClose(lfs: Lfs, dir: DirState): void {
  mlistRemove(lfs, dir);
}

/** lfs_dir_read_ without "." and "..": 1 with info filled, 0 at the end, or an error. */
export function dirRead(lfs: Lfs, dir: DirState, info: EntryInfo): number {
  // a directory chain longer than the device has blocks can only be a corrupt tail loop
  let hops = 0;
  for (;;) {
    if (dir.m.count > MAX_MDIR_COUNT) return ERR.CORRUPT;
    if (dir.id >= dir.m.count) {
      if (!dir.m.split) return 0;
      if (++hops > lfs.blockCount) return ERR.CORRUPT;
      const err = dirFetch(lfs, dir.m, [dir.m.tail[0], dir.m.tail[1]]);
      if (err) return err;
      dir.id = 0;
    }
    const err = dirGetInfo(lfs, dir.m, dir.id, info);
    if (err && err !== ERR.NOENT) return err;
    dir.id += 1;
    if (err !== ERR.NOENT) break;
  }
  dir.pos += 1;
  return 1;
}

export function lfsStat(lfs: Lfs, parts: readonly string[], info: EntryInfo): number {
  const cwd = newMdir();
  const tag = dirFind(lfs, cwd, parts, null);
  if (tag < 0) return tag;
  return dirGetInfo(lfs, cwd, tagId(tag), info);
}

export function lfsRemove(lfs: Lfs, parts: readonly string[]): number {
  let err = fsForceConsistency(lfs);
  if (err) return err;
  const cwd = newMdir();
  const tag = dirFind(lfs, cwd, parts, null);
  if (tag < 0 || tagId(tag) === 0x3ff) return tag < 0 ? tag : ERR.INVAL;

  let dirEntry: MListEntry | null = null;
  if (tagType3(tag) === TYPE_DIR) {
    const b = new Uint8Array(8);
    const res = dirGet(lfs, cwd, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, tagId(tag), 8), b);
    if (res < 0) return res;
    const m = newMdir();
    err = dirFetch(lfs, m, [readLe32(b, 0), readLe32(b, 4)]);
    if (err) return err;
    if (m.count > 0 || m.split) return ERR.NOTEMPTY;
    prepOrphans(lfs, +1);
    dirEntry = tempEntry(lfs, m);
  }
  try {
    err = dirCommit(lfs, cwd, [{ tag: mktag(TYPE_DELETE, tagId(tag), 0), buffer: null }]);
    if (err) return err;
  } finally {
    if (dirEntry !== null) mlistRemove(lfs, dirEntry);
  }
  if (hasOrphans(lfs) && dirEntry !== null) {
    prepOrphans(lfs, -1);
    err = fsPred(lfs, dirEntry.m.pair, cwd);
    if (err) return err;
    err = dirDrop(lfs, cwd, dirEntry.m);
    if (err) return err;
  }
  return 0;
}

export function lfsRename(lfs: Lfs, oldParts: readonly string[], newParts: readonly string[]): number {
  let err = fsForceConsistency(lfs);
  if (err) return err;
  const oldcwd = newMdir();
  const oldtag = dirFind(lfs, oldcwd, oldParts, null);
  if (oldtag < 0 || tagId(oldtag) === 0x3ff) return oldtag < 0 ? oldtag : ERR.INVAL;

  const newcwd = newMdir();
  const fo: FindOut = { id: 0x3ff, name: new Uint8Array(0) };
  const prevtag = dirFind(lfs, newcwd, newParts, fo);
  const newid = fo.id;
  if ((prevtag < 0 || tagId(prevtag) === 0x3ff) && !(prevtag === ERR.NOENT && newid !== 0x3ff)) {
    return prevtag < 0 ? prevtag : ERR.INVAL;
  }
  const samepair = pairCmp(oldcwd.pair, newcwd.pair) === 0;
  let newoldid = tagId(oldtag);
  let prevEntry: MListEntry | null = null;
  const newname = fo.name;

  if (prevtag === ERR.NOENT) {
    if (newname.length > lfs.nameMax) return ERR.NAMETOOLONG;
    if (samepair && newid <= newoldid) newoldid += 1;
  } else if (tagType3(prevtag) !== tagType3(oldtag)) {
    return tagType3(prevtag) === TYPE_DIR ? ERR.ISDIR : ERR.NOTDIR;
  } else if (samepair && newid === newoldid) {
    return 0;
  } else if (tagType3(prevtag) === TYPE_DIR) {
    const b = new Uint8Array(8);
    const res = dirGet(lfs, newcwd, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, newid, 8), b);
    if (res < 0) return res;
    const m = newMdir();
    err = dirFetch(lfs, m, [readLe32(b, 0), readLe32(b, 4)]);
    if (err) return err;
    if (m.count > 0 || m.split) return ERR.NOTEMPTY;
    prepOrphans(lfs, +1);
    prevEntry = tempEntry(lfs, m);
  }

  try {
    if (!samepair) prepMove(lfs, newoldid, oldcwd.pair);
    err = dirCommit(lfs, newcwd, [
      { tag: prevtag !== ERR.NOENT ? mktag(TYPE_DELETE, newid, 0) : NOOP, buffer: null },
      { tag: mktag(TYPE_CREATE, newid, 0), buffer: null },
      { tag: mktag(tagType3(oldtag), newid, newname.length), buffer: newname },
      { tag: mktag(FROM_MOVE, newid, tagId(oldtag)), buffer: { kind: "move", dir: oldcwd } },
      { tag: samepair ? mktag(TYPE_DELETE, newoldid, 0) : NOOP, buffer: null },
    ]);
    if (err) return err;
    if (!samepair && hasMove(lfs.gstate.tag)) {
      prepMove(lfs, 0x3ff, null);
      err = dirCommit(lfs, oldcwd, [{ tag: mktag(TYPE_DELETE, tagId(oldtag), 0), buffer: null }]);
      if (err) return err;
    }
  } finally {
    if (prevEntry !== null) mlistRemove(lfs, prevEntry);
  }
  if (hasOrphans(lfs) && prevEntry !== null) {
    prepOrphans(lfs, -1);
    err = fsPred(lfs, prevEntry.m.pair, newcwd);
    if (err) return err;
    err = dirDrop(lfs, newcwd, prevEntry.m);
    if (err) return err;
  }
  return 0;
}

let attrScratch = new Uint8Array(0);

/** lfs_getattr_: attribute bytes (up to attrMax) or NOATTR. */
export function lfsGetAttr(
  lfs: Lfs,
  parts: readonly string[],
  type: number,
  out: { value?: Uint8Array },
): number {
  const cwd = newMdir();
  const tag = dirFind(lfs, cwd, parts, null);
  if (tag < 0) return tag;
  let id = tagId(tag);
  if (id === 0x3ff) {
    id = 0;
    const err = dirFetch(lfs, cwd, lfs.root);
    if (err) return err;
  }
  if (attrScratch.length < lfs.attrMax) attrScratch = new Uint8Array(lfs.attrMax);
  const buf = attrScratch;
  const res = dirGet(lfs, cwd, mktag(0x7ff, 0x3ff, 0), mktag(TYPE_USERATTR + type, id, lfs.attrMax), buf);
  if (res < 0) return res === ERR.NOENT ? ERR.NOATTR : res;
  out.value = buf.slice(0, tagSize(res));
  return 0;
}

function commitAttrOf(
  lfs: Lfs,
  parts: readonly string[],
  type: number,
  value: Uint8Array | null,
  size: number,
): number {
  const cwd = newMdir();
  const tag = dirFind(lfs, cwd, parts, null);
  if (tag < 0) return tag;
  let id = tagId(tag);
  if (id === 0x3ff) {
    id = 0;
    const err = dirFetch(lfs, cwd, lfs.root);
    if (err) return err;
  }
  return dirCommit(lfs, cwd, [{ tag: mktag(TYPE_USERATTR + type, id, size), buffer: value }]);
}

export function lfsSetAttr(lfs: Lfs, parts: readonly string[], type: number, value: Uint8Array): number {
  if (value.length > lfs.attrMax) return ERR.NOSPC;
  return commitAttrOf(lfs, parts, type, value, value.length);
}

export function lfsRemoveAttr(lfs: Lfs, parts: readonly string[], type: number): number {
  return commitAttrOf(lfs, parts, type, null, 0x3ff);
}
