/**
 * File reads and writes (lfs.c `lfs_file_flushedread`, `_read_`, `_flushedwrite`, `_write_`,
 * `_seek_`, `_truncate_`, `_size_`): positions map to CTZ blocks through the skip-list, writes go
 * through the file's own cache, past inline_max an inline file moves out to a CTZ block, and a
 * truncate to inline size brings the data back into the metadata.
 */
import { ERR, bdProg, bdRead, cacheDrop, cacheZero } from "./bd-cache.js";
import { allocCkpoint } from "./alloc.js";
import { LFS_FILE_MAX } from "./config.js";
import { ctzExtend, ctzFind, ctzIndex } from "./ctz.js";
import { fileFlush, fileOutline, fileRelocate } from "./file.js";
import { dirGetRead } from "./mdir-fetch.js";
import {
  F_DIRTY,
  F_ERRED,
  F_INLINE,
  F_READING,
  F_WRITING,
  type FileState,
  type Lfs,
  O_APPEND,
} from "./state.js";
import { BLOCK_INLINE, TYPE_INLINESTRUCT, mktag } from "./tag.js";

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

export function fileFlushedRead(lfs: Lfs, file: FileState, data: Uint8Array, size: number): number {
  if (file.pos >= file.ctz.size) return 0;
  size = Math.min(size, file.ctz.size - file.pos);
  let nsize = size;
  let dataOff = 0;
  const bs = lfs.cfg.blockSize;
  while (nsize > 0) {
    if (!(file.flags & F_READING) || file.off === bs) {
      if (!(file.flags & F_INLINE)) {
        const out = { block: 0, off: 0 };
        const err = ctzFind(lfs, null, file.cache, file.ctz.head, file.ctz.size, file.pos, out);
        if (err) return err;
        file.block = out.block;
        file.off = out.off;
      } else {
        file.block = BLOCK_INLINE;
        file.off = file.pos;
      }
      file.flags |= F_READING;
    }
    const diff = Math.min(nsize, bs - file.off);
    let err: number;
    if (file.flags & F_INLINE) {
      err = dirGetRead(
        lfs,
        file.m,
        null,
        file.cache,
        bs,
        mktag(0xfff, 0x1ff, 0),
        mktag(TYPE_INLINESTRUCT, file.id, 0),
        file.off,
        data,
        dataOff,
        diff,
      );
    } else {
      err = bdRead(lfs, null, file.cache, bs, file.block, file.off, data, dataOff, diff);
    }
    if (err) return err;
    file.pos += diff;
    file.off += diff;
    dataOff += diff;
    nsize -= diff;
  }
  return size;
}

export function fileRead(lfs: Lfs, file: FileState, data: Uint8Array, size: number): number {
  if (file.flags & F_WRITING) {
    const err = fileFlush(lfs, file);
    if (err) return err;
  }
  return fileFlushedRead(lfs, file, data, size);
}

export function fileFlushedWrite(lfs: Lfs, file: FileState, data: Uint8Array, size: number): number {
  let nsize = size;
  let dataOff = 0;
  const bs = lfs.cfg.blockSize;
  if (file.flags & F_INLINE && Math.max(file.pos + nsize, file.ctz.size) > lfs.inlineMax) {
    const err = fileOutline(lfs, file);
    if (err) {
      file.flags |= F_ERRED;
      return err;
    }
  }
  while (nsize > 0) {
    if (!(file.flags & F_WRITING) || file.off === bs) {
      if (!(file.flags & F_INLINE)) {
        if (!(file.flags & F_WRITING) && file.pos > 0) {
          const out = { block: 0, off: 0 };
          const err = ctzFind(lfs, null, file.cache, file.ctz.head, file.ctz.size, file.pos - 1, out);
          if (err) {
            file.flags |= F_ERRED;
            return err;
          }
          file.block = out.block;
          cacheZero(file.cache);
        }
        allocCkpoint(lfs);
        const out = { block: 0, off: 0 };
        const err = ctzExtend(lfs, file.cache, lfs.rcache, file.block, file.pos, out);
        if (err) {
          file.flags |= F_ERRED;
          return err;
        }
        file.block = out.block;
        file.off = out.off;
      } else {
        file.block = BLOCK_INLINE;
        file.off = file.pos;
      }
      file.flags |= F_WRITING;
    }
    const diff = Math.min(nsize, bs - file.off);
    for (;;) {
      const err = bdProg(lfs, file.cache, lfs.rcache, true, file.block, file.off, data, dataOff, diff);
      if (!err) break;
      if (err !== ERR.CORRUPT) {
        file.flags |= F_ERRED;
        return err;
      }
      const e2 = fileRelocate(lfs, file);
      if (e2) {
        file.flags |= F_ERRED;
        return e2;
      }
    }
    file.pos += diff;
    file.off += diff;
    dataOff += diff;
    nsize -= diff;
    allocCkpoint(lfs);
  }
  return size;
}

export function fileWrite(lfs: Lfs, file: FileState, data: Uint8Array, size: number): number {
  if (file.flags & F_READING) {
    const err = fileFlush(lfs, file);
    if (err) return err;
  }
  if (file.flags & O_APPEND && file.pos < file.ctz.size) file.pos = file.ctz.size;
  if (file.pos + size > lfs.fileMax) return ERR.FBIG;
  if (!(file.flags & F_WRITING) && file.pos > file.ctz.size) {
    // fill the gap with zeros
    const pos = file.pos;
    file.pos = file.ctz.size;
    const zeros = new Uint8Array(Math.min(pos - file.pos, lfs.cfg.blockSize));
    while (file.pos < pos) {
      const res = fileFlushedWrite(lfs, file, zeros, Math.min(zeros.length, pos - file.pos));
      if (res < 0) return res;
    }
  }
  const n = fileFlushedWrite(lfs, file, data, size);
  if (n < 0) return n;
  file.flags &= ~F_ERRED;
  return n;
}

export function fileSize(file: FileState): number {
  if (file.flags & F_WRITING) return Math.max(file.pos, file.ctz.size);
  return file.ctz.size;
}

export function fileSeek(lfs: Lfs, file: FileState, off: number, whence: number): number {
  // positions are 31-bit: wrapping below 0 lands above file_max, which is refused
  let npos = file.pos;
  if (whence === SEEK_SET) npos = off;
  else if (whence === SEEK_CUR) npos = (file.pos + off) >>> 0;
  else if (whence === SEEK_END) npos = (fileSize(file) + off) >>> 0;
  if (npos < 0 || npos > lfs.fileMax) return ERR.INVAL;
  if (file.pos === npos) return npos;
  // only reading and still inside the file's cache: no flush, no reread
  if (file.flags & F_READING && file.off !== lfs.cfg.blockSize) {
    const oindex = ctzIndex(lfs, { off: file.pos });
    const nbox = { off: npos };
    const nindex = ctzIndex(lfs, nbox);
    if (oindex === nindex && nbox.off >= file.cache.off && nbox.off < file.cache.off + file.cache.size) {
      file.pos = npos;
      file.off = nbox.off;
      return npos;
    }
  }
  const err = fileFlush(lfs, file);
  if (err) return err;
  file.pos = npos;
  return npos;
}

export function fileTruncate(lfs: Lfs, file: FileState, size: number): number {
  if (size > LFS_FILE_MAX || size < 0) return ERR.INVAL;
  const pos = file.pos;
  const oldsize = fileSize(file);
  if (size < oldsize) {
    if (size <= lfs.inlineMax) {
      let res = fileSeek(lfs, file, 0, SEEK_SET);
      if (res < 0) return res;
      cacheDrop(lfs.rcache);
      const tmp = new Uint8Array(Math.max(size, 1));
      res = fileFlushedRead(lfs, file, tmp, size);
      if (res < 0) return res;
      file.ctz = { head: BLOCK_INLINE, size };
      file.flags |= F_DIRTY | F_READING | F_INLINE;
      file.cache.block = BLOCK_INLINE;
      file.cache.off = 0;
      file.cache.size = lfs.cfg.cacheSize;
      file.cache.buffer.set(tmp.subarray(0, size));
    } else {
      let err = fileFlush(lfs, file);
      if (err) return err;
      const out = { block: 0, off: 0 };
      err = ctzFind(lfs, null, file.cache, file.ctz.head, file.ctz.size, size - 1, out);
      if (err) return err;
      file.block = out.block;
      file.pos = size;
      file.ctz = { head: file.block, size };
      file.flags |= F_DIRTY | F_READING;
    }
  } else if (size > oldsize) {
    const res = fileSeek(lfs, file, 0, SEEK_END);
    if (res < 0) return res;
    const zeros = new Uint8Array(Math.min(size - file.pos, lfs.cfg.blockSize));
    while (file.pos < size) {
      const r2 = fileWrite(lfs, file, zeros, Math.min(zeros.length, size - file.pos));
      if (r2 < 0) return r2;
    }
  }
  const res = fileSeek(lfs, file, pos, SEEK_SET);
  return res < 0 ? res : 0;
}
