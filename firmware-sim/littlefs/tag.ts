/**
 * Tag encoding, type constants and small value helpers of the littlefs v2 on-disk format
 * (littlefs SPEC.md "Metadata tags"; the field layout is restated only as far as code needs it).
 *
 * Tags are handled as unsigned 32-bit numbers (`>>> 0` after every arithmetic step); negative
 * numbers are littlefs error codes (`LfsErrno`), mirroring how lfs.c returns `lfs_stag_t`.
 */

export const BLOCK_NULL = 0xffffffff;
/** Pseudo block address of an inline file's cache (lfs.c `LFS_BLOCK_INLINE`). */
export const BLOCK_INLINE = 0xfffffffe;

// enum lfs_type (lfs.h)
export const TYPE_REG = 0x001;
export const TYPE_DIR = 0x002;
export const TYPE_SPLICE = 0x400;
export const TYPE_NAME = 0x000;
export const TYPE_STRUCT = 0x200;
export const TYPE_USERATTR = 0x300;
export const TYPE_FROM = 0x100;
export const TYPE_TAIL = 0x600;
export const TYPE_GLOBALS = 0x700;
export const TYPE_CRC = 0x500;
export const TYPE_CREATE = 0x401;
export const TYPE_DELETE = 0x4ff;
export const TYPE_SUPERBLOCK = 0x0ff;
export const TYPE_DIRSTRUCT = 0x200;
export const TYPE_CTZSTRUCT = 0x202;
export const TYPE_INLINESTRUCT = 0x201;
export const TYPE_SOFTTAIL = 0x600;
export const TYPE_HARDTAIL = 0x601;
export const TYPE_MOVESTATE = 0x7ff;
export const TYPE_CCRC = 0x500;
export const TYPE_FCRC = 0x5ff;
/** In-RAM only pseudo types: never reach the disk. */
export const FROM_NOOP = 0x000;
export const FROM_MOVE = 0x101;
export const FROM_USERATTRS = 0x102;

/**
 * The masks and tags the duplicate filter (lfs_dir_traverse_filter) compares with, as constants
 * for its hot scans (mdir-traverse.ts, supersede-index.ts). All are below 2^31, so they and the
 * int32 form of a tag (valid bit set) combine as small integers. A later tag with the FROM bit
 * in its type is compared by its full type, others by their type class.
 */
export const FILTER_FROM_BIT = mktag(TYPE_FROM, 0, 0);
export const FILTER_MASK_TYPE3_ID = mktag(0x7ff, 0x3ff, 0);
export const FILTER_MASK_TYPE1_ID = mktag(0x700, 0x3ff, 0);
export const FILTER_DELETE_TAG = mktag(TYPE_DELETE, 0, 0);
export const FILTER_SPLICE_TYPE1 = mktag(TYPE_SPLICE, 0, 0);
export const FILTER_ID_BITS = mktag(0, 0x3ff, 0);

/** Internal "success with a side effect" results of the commit machinery (lfs.c enum). */
export const OK_RELOCATED = 1;
export const OK_DROPPED = 2;
export const OK_ORPHANED = 3;

/** Results of name comparisons during fetches (lfs.c LFS_CMP_*). */
export const CMP_EQ = 0;
export const CMP_LT = 1;
export const CMP_GT = 2;

/**
 * Ids are 10 bits and 0x3ff means "not a file", so an mdir holds at most 0x3ff entries. A larger
 * count (DELETE splices wrapping the uint16 counter) only comes from a corrupt commit; walks over
 * ids refuse it instead of letting ids overflow into the tag's type bits.
 */
export const MAX_MDIR_COUNT = 0x3ff;

export function mktag(type: number, id: number, size: number): number {
  return ((type << 20) | (id << 10) | size) >>> 0;
}

export function tagIsValid(tag: number): boolean {
  return (tag & 0x80000000) === 0;
}

/** A length field of 0x3ff marks a deleted entry (no payload). */
export function tagIsDelete(tag: number): boolean {
  return (tag & 0x3ff) === 0x3ff;
}

export function tagType1(tag: number): number {
  return (tag & 0x70000000) >>> 20;
}

export function tagType2(tag: number): number {
  return (tag & 0x78000000) >>> 20;
}

export function tagType3(tag: number): number {
  return (tag & 0x7ff00000) >>> 20;
}

export function tagChunk(tag: number): number {
  return (tag & 0x0ff00000) >>> 20;
}

/** The chunk read as an int8: +1 for CREATE, -1 for DELETE. */
export function tagSplice(tag: number): number {
  const c = tagChunk(tag);
  return c >= 0x80 ? c - 0x100 : c;
}

export function tagId(tag: number): number {
  return (tag & 0x000ffc00) >>> 10;
}

export function tagSize(tag: number): number {
  return tag & 0x3ff;
}

/** Bytes the tag occupies on disk, tag word included. */
export function tagDsize(tag: number): number {
  return 4 + (tagIsDelete(tag) ? 0 : tag & 0x3ff);
}

/** `tag + LFS_MKTAG(0, delta, 0)` in u32 arithmetic (delta may be negative). */
export function tagAddId(tag: number, delta: number): number {
  return (tag + delta * 0x400) >>> 0;
}

export type Pair = [number, number];

export function pairIsNull(p: Readonly<Pair>): boolean {
  return p[0] === BLOCK_NULL || p[1] === BLOCK_NULL;
}

/** 0 when the pairs share any block (lfs_pair_cmp), 1 otherwise. */
export function pairCmp(a: Readonly<Pair>, b: Readonly<Pair>): number {
  return a[0] === b[0] || a[1] === b[1] || a[0] === b[1] || a[1] === b[0] ? 0 : 1;
}

/** Same two blocks, in either order. */
export function pairIsSync(a: Readonly<Pair>, b: Readonly<Pair>): boolean {
  return (a[0] === b[0] && a[1] === b[1]) || (a[0] === b[1] && a[1] === b[0]);
}

export function pairBytes(p: Readonly<Pair>): Uint8Array {
  const out = new Uint8Array(8);
  writeLe32(out, 0, p[0]);
  writeLe32(out, 4, p[1]);
  return out;
}

export function readLe32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function writeLe32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

export function readBe32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function writeBe32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Sequence comparison of revision counts: > 0 when a is newer than b. */
export function seqCmp(a: number, b: number): number {
  return (a - b) | 0;
}

export function alignDown(a: number, b: number): number {
  return a - (a % b);
}

export function alignUp(a: number, b: number): number {
  return alignDown(a + b - 1, b);
}

/** alignup in u32 arithmetic (a revision count of 0xffffffff wraps, as in C). */
export function alignUpU32(a: number, b: number): number {
  const s = (a + b - 1) >>> 0;
  return (s - (s % b)) >>> 0;
}

export function popc(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Count trailing zeros (x > 0). */
export function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Smallest power-of-two exponent n with 2^n >= x (lfs_npw2). */
export function npw2(x: number): number {
  return x <= 1 ? 0 : 32 - Math.clz32(x - 1);
}
