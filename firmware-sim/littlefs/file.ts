/**
 * File handles (lfs.c `lfs_file_opencfg_`, `_close_`, `_relocate`, `_outline`, `_flush`, `_sync_`,
 * `_flushedread`, `_read_`, `_flushedwrite`, `_write_`, `_seek_`, `_truncate_`, `_size_`).
 * Small files live inline in their mdir; bigger ones are CTZ skip-lists written copy-on-write,
 * so a file on disk is always either its old or its new version until `sync` commits the new one.
 */
import { ERR, bdErase, bdFlush, bdProg, bdRead, bdSync, cacheDrop, cacheZero } from "./bd-cache.js";
import { allocCkpoint, lfsAlloc } from "./alloc.js";
import { blockScratch } from "./ctz.js";
import { dirFind, dirGet, dirGetRead, type FindOut } from "./mdir-fetch.js";
import { dirCommit, fsForceConsistency } from "./orphans.js";
import { fileFlushedRead, fileFlushedWrite } from "./file-io.js";
import {
  F_DIRTY,
  F_ERRED,
  F_INLINE,
  F_READING,
  F_WRITING,
  type FileState,
  type Lfs,
  type MAttr,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  type UserAttr,
  mlistAppend,
  mlistRemove,
  newCache,
  newMdir,
} from "./state.js";
import {
  BLOCK_INLINE,
  FROM_USERATTRS,
  TYPE_CREATE,
  TYPE_CTZSTRUCT,
  TYPE_INLINESTRUCT,
  TYPE_REG,
  TYPE_STRUCT,
  TYPE_USERATTR,
  mktag,
  pairIsNull,
  readLe32,
  tagSize,
  tagType3,
  writeLe32,
} from "./tag.js";

export function newFileState(lfs: Lfs, flags: number, attrs: UserAttr[]): FileState {
  return {
    type: TYPE_REG,
    id: 0x3ff,
    m: newMdir(),
    ctz: { head: 0, size: 0 },
    flags,
    pos: 0,
    block: 0,
    off: 0,
    cache: newCache(lfs.cfg.cacheSize),
    attrs,
  };
}

/** lfs_file_opencfg_: on failure the handle is closed and the error returned. */
export function fileOpen(lfs: Lfs, file: FileState, parts: readonly string[], flags: number): number {
  if ((flags & O_WRONLY) === O_WRONLY) {
    const err = fsForceConsistency(lfs);
    if (err) return err;
  }
  file.flags = flags;
  file.pos = 0;
  file.off = 0;
  let err = 0;
  const fo: FindOut = { id: 0x3ff, name: new Uint8Array(0) };
  opened: {
    let tag = dirFind(lfs, file.m, parts, fo);
    file.id = fo.id;
    if (tag < 0 && !(tag === ERR.NOENT && file.id !== 0x3ff)) {
      err = tag;
      break opened;
    }
    file.type = TYPE_REG;
    mlistAppend(lfs, file);
    if (tag === ERR.NOENT) {
      if (!(flags & O_CREAT)) {
        err = ERR.NOENT;
        break opened;
      }
      const name = fo.name;
      if (name.length > lfs.nameMax) {
        err = ERR.NAMETOOLONG;
        break opened;
      }
      err = dirCommit(lfs, file.m, [
        { tag: mktag(TYPE_CREATE, file.id, 0), buffer: null },
        { tag: mktag(TYPE_REG, file.id, name.length), buffer: name },
        { tag: mktag(TYPE_INLINESTRUCT, file.id, 0), buffer: null },
      ]);
      if (err === ERR.NOSPC) err = ERR.NAMETOOLONG;
      if (err) break opened;
      tag = mktag(TYPE_INLINESTRUCT, 0, 0);
    } else if (flags & O_EXCL) {
      err = ERR.EXIST;
      break opened;
    } else if (tagType3(tag) !== TYPE_REG) {
      err = ERR.ISDIR;
      break opened;
    } else if (flags & O_TRUNC) {
      tag = mktag(TYPE_INLINESTRUCT, file.id, 0);
      file.flags |= F_DIRTY;
    } else {
      const ctz = new Uint8Array(8);
      tag = dirGet(lfs, file.m, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, file.id, 8), ctz);
      if (tag < 0) {
        err = tag;
        break opened;
      }
      file.ctz = { head: readLe32(ctz, 0), size: readLe32(ctz, 4) };
    }
    for (const a of file.attrs) {
      if ((file.flags & O_RDONLY) === O_RDONLY) {
        const res = dirGet(
          lfs,
          file.m,
          mktag(0x7ff, 0x3ff, 0),
          mktag(TYPE_USERATTR + a.type, file.id, a.size),
          a.buffer,
        );
        if (res < 0 && res !== ERR.NOENT) {
          err = res;
          break opened;
        }
      }
      if ((file.flags & O_WRONLY) === O_WRONLY) {
        if (a.size > lfs.attrMax) {
          err = ERR.NOSPC;
          break opened;
        }
        file.flags |= F_DIRTY;
      }
    }
    cacheZero(file.cache);
    if (tagType3(tag) === TYPE_INLINESTRUCT) {
      file.ctz = { head: BLOCK_INLINE, size: tagSize(tag) };
      file.flags |= F_INLINE;
      file.cache.block = BLOCK_INLINE;
      file.cache.off = 0;
      file.cache.size = lfs.cfg.cacheSize;
      if (file.ctz.size > 0) {
        const res = dirGet(
          lfs,
          file.m,
          mktag(0x700, 0x3ff, 0),
          mktag(TYPE_STRUCT, file.id, Math.min(file.cache.size, 0x3fe)),
          file.cache.buffer,
        );
        if (res < 0) {
          err = res;
          break opened;
        }
      }
    }
    return 0;
  }
  file.flags |= F_ERRED;
  fileClose(lfs, file);
  return err;
}

export function fileClose(lfs: Lfs, file: FileState): number {
  const err = lfs.readOnly ? 0 : fileSync(lfs, file);
  mlistRemove(lfs, file);
  return err;
}

/** lfs_file_relocate: copy what was written of the current block into a fresh block. */
export function fileRelocate(lfs: Lfs, file: FileState): number {
  const buf = blockScratch(lfs.cfg.blockSize);
  for (;;) {
    const nb = { block: 0 };
    let err = lfsAlloc(lfs, nb);
    if (err) return err;
    relocate: {
      err = bdErase(lfs, nb.block);
      if (err) {
        if (err === ERR.CORRUPT) break relocate;
        return err;
      }
      if (file.off > 0) {
        if (file.flags & F_INLINE) {
          err = dirGetRead(
            lfs,
            file.m,
            null,
            file.cache,
            file.off,
            mktag(0xfff, 0x1ff, 0),
            mktag(TYPE_INLINESTRUCT, file.id, 0),
            0,
            buf,
            0,
            file.off,
          );
        } else {
          err = bdRead(lfs, file.cache, lfs.rcache, file.off, file.block, 0, buf, 0, file.off);
        }
        if (err) return err;
        err = bdProg(lfs, lfs.pcache, lfs.rcache, true, nb.block, 0, buf, 0, file.off);
        if (err) {
          if (err === ERR.CORRUPT) break relocate;
          return err;
        }
      }
      file.cache.buffer.set(lfs.pcache.buffer);
      file.cache.block = lfs.pcache.block;
      file.cache.off = lfs.pcache.off;
      file.cache.size = lfs.pcache.size;
      cacheZero(lfs.pcache);
      file.block = nb.block;
      file.flags |= F_WRITING;
      return 0;
    }
    cacheDrop(lfs.pcache);
  }
}

/** Move an inline file out of its mdir into a CTZ block. */
export function fileOutline(lfs: Lfs, file: FileState): number {
  file.off = file.pos;
  allocCkpoint(lfs);
  const err = fileRelocate(lfs, file);
  if (err) return err;
  file.flags &= ~F_INLINE;
  return 0;
}

/** lfs_file_flush: finish the block being written (copying the rest of the old file). */
export function fileFlush(lfs: Lfs, file: FileState): number {
  if (file.flags & F_READING) {
    if (!(file.flags & F_INLINE)) cacheDrop(file.cache);
    file.flags &= ~F_READING;
  }
  if (file.flags & F_WRITING) {
    const pos = file.pos;
    if (!(file.flags & F_INLINE)) {
      // copy over anything after what we wrote, from the old version of the file
      cacheDrop(lfs.rcache);
      if (file.pos < file.ctz.size) {
        const orig: FileState = { ...newFileState(lfs, O_RDONLY, []), ctz: { ...file.ctz }, pos: file.pos };
        orig.m = file.m;
        const chunk = new Uint8Array(lfs.cfg.cacheSize);
        while (file.pos < file.ctz.size) {
          const want = Math.min(chunk.length, file.ctz.size - file.pos);
          let res = fileFlushedRead(lfs, orig, chunk, want);
          if (res < 0) return res;
          res = fileFlushedWrite(lfs, file, chunk, res);
          if (res < 0) return res;
        }
      }
      for (;;) {
        const err = bdFlush(lfs, file.cache, lfs.rcache, true);
        if (!err) break;
        if (err !== ERR.CORRUPT) return err;
        const e2 = fileRelocate(lfs, file);
        if (e2) return e2;
      }
    } else {
      file.pos = Math.max(file.pos, file.ctz.size);
    }
    file.ctz.head = file.block;
    file.ctz.size = file.pos;
    file.flags &= ~F_WRITING;
    file.flags |= F_DIRTY;
    file.pos = pos;
  }
  return 0;
}

/** lfs_file_sync_: commit the file's struct (inline data or CTZ head) and its attributes. */
export function fileSync(lfs: Lfs, file: FileState): number {
  if (file.flags & F_ERRED) return 0;
  let err = fileFlush(lfs, file);
  if (err) {
    file.flags |= F_ERRED;
    return err;
  }
  if (file.flags & F_DIRTY && !pairIsNull(file.m.pair)) {
    // v2.11: make sure data writes complete before the metadata that points at them
    if (!(file.flags & F_INLINE)) {
      err = bdSync(lfs, lfs.pcache, lfs.rcache, false);
      if (err) return err;
    }
    let attr: MAttr;
    if (file.flags & F_INLINE) {
      attr = { tag: mktag(TYPE_INLINESTRUCT, file.id, file.ctz.size), buffer: file.cache.buffer };
    } else {
      const b = new Uint8Array(8);
      writeLe32(b, 0, file.ctz.head);
      writeLe32(b, 4, file.ctz.size);
      attr = { tag: mktag(TYPE_CTZSTRUCT, file.id, 8), buffer: b };
    }
    err = dirCommit(lfs, file.m, [
      attr,
      {
        tag: mktag(FROM_USERATTRS, file.id, file.attrs.length),
        buffer: { kind: "userattrs", attrs: file.attrs },
      },
    ]);
    if (err) {
      file.flags |= F_ERRED;
      return err;
    }
    file.flags &= ~F_DIRTY;
  }
  return 0;
}
