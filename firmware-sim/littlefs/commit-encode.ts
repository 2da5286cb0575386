/**
 * Commit encoding (lfs.c `lfs_dir_commitprog`, `lfs_dir_commitattr`, `lfs_dir_commitcrc`): tags
 * XOR-chained and stored big-endian, payloads from memory or copied from disk, then the commit
 * closed on a prog boundary by CRC tags (an FCRC of the next prog unit first, in lfs2.1), the
 * valid bit perturbed against the erased value, and the whole commit read back and verified.
 */
import { ERR, bdCrc, bdProg, bdRead, bdSync } from "./bd-cache.js";
import { lfsCrc } from "./crc.js";
import type { AttrBuffer, DiskOff, Lfs } from "./state.js";
import { TYPE_CCRC, TYPE_FCRC, alignUp, mktag, tagDsize, writeBe32, writeLe32 } from "./tag.js";

export interface Commit {
  block: number;
  off: number;
  ptag: number;
  crc: number;
  begin: number;
  end: number;
}

export function commitProg(lfs: Lfs, c: Commit, data: Uint8Array, off: number, size: number): number {
  const err = bdProg(lfs, lfs.pcache, lfs.rcache, false, c.block, c.off, data, off, size);
  if (err) return err;
  c.crc = lfsCrc(c.crc, data, off, size);
  c.off += size;
  return 0;
}

const tagOut = new Uint8Array(4);
const one = new Uint8Array(1);
const ccrc = new Uint8Array(8);
const fcrcBody = new Uint8Array(8);
const copyBuf = new Uint8Array(1024);

/** lfs_dir_commitattr: append one tag and its payload (from memory or copied from disk). */
export function commitAttr(lfs: Lfs, c: Commit, tag: number, buffer: AttrBuffer): number {
  const dsize = tagDsize(tag);
  if (c.off + dsize > c.end) return ERR.NOSPC;
  writeBe32(tagOut, 0, ((tag & 0x7fffffff) ^ c.ptag) >>> 0);
  let err = commitProg(lfs, c, tagOut, 0, 4);
  if (err) return err;
  const n = dsize - 4;
  if (!(tag & 0x80000000)) {
    if (n > 0) {
      const data = buffer as Uint8Array;
      if (data.length >= n) {
        err = commitProg(lfs, c, data, 0, n);
      } else {
        // a short buffer reads as zeros past its end
        const tmp = new Uint8Array(n);
        tmp.set(data);
        err = commitProg(lfs, c, tmp, 0, n);
      }
      if (err) return err;
    }
  } else {
    const disk = buffer as DiskOff;
    err = bdRead(lfs, null, lfs.rcache, n, disk.block, disk.off, copyBuf, 0, n);
    if (err) return err;
    err = commitProg(lfs, c, copyBuf, 0, n);
    if (err) return err;
  }
  c.ptag = (tag & 0x7fffffff) >>> 0;
  return 0;
}

/** lfs_dir_commitcrc: pad to the prog unit with CRC tags (FCRC in lfs2.1) and verify the commit. */
export function commitCrc(lfs: Lfs, c: Commit): number {
  const bs = lfs.cfg.blockSize;
  const prog = lfs.cfg.progSize;
  const end = alignUp(Math.min(c.off + 20, bs), prog);
  let off1 = 0;
  let crc1 = 0;
  while (c.off < end) {
    let noff = Math.min(end - (c.off + 4), 0x3fe) + (c.off + 4);
    if (noff < end) noff = Math.min(noff, end - 20);
    let eperturb = 0xff;
    if (noff >= end && noff <= bs - prog) {
      let err = bdRead(lfs, null, lfs.rcache, prog, c.block, noff, one, 0, 1);
      if (err && err !== ERR.CORRUPT) return err;
      if (!err) eperturb = one[0]!;
      if (lfs.cfg.diskVersion > 0x00020000) {
        let fcrc = bdCrc(lfs, null, lfs.rcache, prog, c.block, noff, prog, 0xffffffff);
        if (fcrc < 0 && fcrc !== ERR.CORRUPT) return fcrc;
        if (fcrc < 0) fcrc = 0xffffffff;
        const body = fcrcBody;
        writeLe32(body, 0, prog);
        writeLe32(body, 4, fcrc);
        err = commitAttr(lfs, c, mktag(TYPE_FCRC, 0x3ff, 8), body);
        if (err) return err;
      }
    }
    const ntag = mktag(TYPE_CCRC + ((~eperturb & 0xff) >>> 7), 0x3ff, noff - (c.off + 4));
    writeBe32(ccrc, 0, (ntag ^ c.ptag) >>> 0);
    c.crc = lfsCrc(c.crc, ccrc, 0, 4);
    writeLe32(ccrc, 4, c.crc);
    const err = bdProg(lfs, lfs.pcache, lfs.rcache, false, c.block, c.off, ccrc, 0, 8);
    if (err) return err;
    if (off1 === 0) {
      off1 = c.off + 4;
      crc1 = c.crc;
    }
    c.off = noff;
    c.ptag = (ntag ^ ((0x80 & ~eperturb) << 24)) >>> 0;
    c.crc = 0xffffffff;
    if (noff >= end || noff >= lfs.pcache.off + lfs.cfg.cacheSize) {
      const e3 = bdSync(lfs, lfs.pcache, lfs.rcache, false);
      if (e3) return e3;
    }
  }
  let crc = bdCrc(lfs, null, lfs.rcache, off1 + 4, c.block, c.begin, off1 - c.begin, 0xffffffff);
  if (crc < 0) return crc;
  if (crc !== crc1) return ERR.CORRUPT;
  crc = bdCrc(lfs, null, lfs.rcache, 4, c.block, off1, 4, crc);
  if (crc < 0) return crc;
  if (crc !== 0) return ERR.CORRUPT;
  return 0;
}
