/**
 * In-RAM state of a mounted littlefs (`lfs_t`, `lfs_mdir_t`, `lfs_file_t`, `lfs_dir_t` in lfs.h),
 * shared by the modules that implement the operations. Functions throughout this directory take
 * the state as their first argument, mirroring lfs.c, and return littlefs error codes (negative
 * numbers) for expected failures; anything else (a `PowerLoss` above all) propagates as a throw.
 */
import type { BlockDevice } from "../flash/block-device.js";
import type { ResolvedConfig } from "./config.js";
import type { FetchMemo } from "./fetch-memo.js";
import type { TraverseCache } from "./traverse-cache.js";
import { BLOCK_NULL, type Pair } from "./tag.js";

export interface Cache {
  block: number;
  off: number;
  size: number;
  buffer: Uint8Array;
  /** views[n] = buffer.subarray(0, n), made once: device reads and programs take exact lengths. */
  views: Uint8Array[];
}

/** The first `len` bytes of a cache's buffer as a view, without allocating one per call. */
export function cachePrefix(c: Cache, len: number): Uint8Array {
  if (len === c.buffer.length) return c.buffer;
  return (c.views[len] ??= c.buffer.subarray(0, len));
}

/** One metadata pair as last fetched or written. */
export interface MDir {
  /** pair[0] is the active block. */
  pair: Pair;
  rev: number;
  /** Offset just past the last valid commit of pair[0]. */
  off: number;
  /** The last tag of the log (XOR base for the next commit), valid bit adjusted. */
  etag: number;
  count: number;
  /** The rest of pair[0] is known to be erased, so commits can be appended. */
  erased: boolean;
  /** The tail is a HARDTAIL: the same directory continues there. */
  split: boolean;
  tail: Pair;
}

export function newMdir(): MDir {
  return {
    pair: [BLOCK_NULL, BLOCK_NULL],
    rev: 0,
    off: 0,
    etag: 0,
    count: 0,
    erased: false,
    split: false,
    tail: [BLOCK_NULL, BLOCK_NULL],
  };
}

export function cloneMdir(m: MDir): MDir {
  return { ...m, pair: [m.pair[0], m.pair[1]], tail: [m.tail[0], m.tail[1]] };
}

/** `*dst = *src` for mdirs (copies the pair arrays). */
export function assignMdir(dst: MDir, src: MDir): void {
  dst.pair = [src.pair[0], src.pair[1]];
  dst.rev = src.rev;
  dst.off = src.off;
  dst.etag = src.etag;
  dst.count = src.count;
  dst.erased = src.erased;
  dst.split = src.split;
  dst.tail = [src.tail[0], src.tail[1]];
}

/** Global state: a pending move and the orphan count (in RAM, in the tag's size bits). */
export interface GState {
  tag: number;
  pair: Pair;
}

export function zeroGState(): GState {
  return { tag: 0, pair: [0, 0] };
}

export function gstateXor(a: GState, b: GState): void {
  a.tag = (a.tag ^ b.tag) >>> 0;
  a.pair = [(a.pair[0] ^ b.pair[0]) >>> 0, (a.pair[1] ^ b.pair[1]) >>> 0];
}

export function gstateIsZero(a: GState): boolean {
  return a.tag === 0 && a.pair[0] === 0 && a.pair[1] === 0;
}

export function copyGState(a: GState): GState {
  return { tag: a.tag, pair: [a.pair[0], a.pair[1]] };
}

/** A user attribute attached to a file handle (`struct lfs_attr`). */
export interface UserAttr {
  type: number;
  buffer: Uint8Array;
  size: number;
}

/** Where a tag's payload lives on disk. */
export interface DiskOff {
  kind: "disk";
  block: number;
  off: number;
}

/** Payload of an attribute in a commit list: bytes, a disk location, a move source, or user attrs. */
export type AttrBuffer = Uint8Array | DiskOff | MoveSource | UserAttrList | null;

export interface MoveSource {
  kind: "move";
  dir: MDir;
}

export interface UserAttrList {
  kind: "userattrs";
  attrs: UserAttr[];
}

/** One entry of a commit (`struct lfs_mattr`). */
export interface MAttr {
  tag: number;
  buffer: AttrBuffer;
}

// open flags (lfs.h enum lfs_open_flags)
export const O_RDONLY = 1;
export const O_WRONLY = 2;
export const O_RDWR = 3;
export const O_CREAT = 0x0100;
export const O_EXCL = 0x0200;
export const O_TRUNC = 0x0400;
export const O_APPEND = 0x0800;
export const F_DIRTY = 0x010000;
export const F_WRITING = 0x020000;
export const F_READING = 0x040000;
export const F_ERRED = 0x080000;
export const F_INLINE = 0x100000;

/** An open file or directory, or a temporary mdir the commit logic must keep up to date. */
export interface MListEntry {
  /** TYPE_REG for files, TYPE_DIR for directories, 0 for temporary entries. */
  type: number;
  id: number;
  m: MDir;
}

export interface FileState extends MListEntry {
  ctz: { head: number; size: number };
  flags: number;
  pos: number;
  block: number;
  off: number;
  cache: Cache;
  attrs: UserAttr[];
}

export interface DirState extends MListEntry {
  head: Pair;
  pos: number;
}

export interface Lookahead {
  start: number;
  size: number;
  next: number;
  ckpoint: number;
  buffer: Uint8Array;
}

export interface Lfs {
  bd: BlockDevice;
  cfg: ResolvedConfig;
  /** Blocks in use by the file system (from the config or the superblock). */
  blockCount: number;
  rcache: Cache;
  pcache: Cache;
  root: Pair;
  /** Open handles, most recently opened first (lfs.c's mlist order). */
  mlist: MListEntry[];
  seed: number;
  gstate: GState;
  gdisk: GState;
  gdelta: GState;
  lookahead: Lookahead;
  nameMax: number;
  fileMax: number;
  attrMax: number;
  inlineMax: number;
  /** Every write is refused with EROFS and nothing is ever programmed or erased. */
  readOnly: boolean;
  /** What fetches verified, per metadata block (fetch-memo.ts). */
  fetchMemos: Map<number, FetchMemo>;
  /** Where a memo's prefix is read back to be compared (grown to a block when needed). */
  memoScratch: Uint8Array;
  /** The allocator's remembered walks, on a mount that owns its device (traverse-cache.ts). */
  traverseCache: TraverseCache | null;
}

export function newCache(size: number): Cache {
  return { block: BLOCK_NULL, off: 0, size: 0, buffer: new Uint8Array(size).fill(0xff), views: [] };
}

/** lfs_init: set up caches, limits and the default state. */
export function initLfs(bd: BlockDevice, cfg: ResolvedConfig, readOnly: boolean): Lfs {
  const mdMax = cfg.metadataMax || cfg.blockSize;
  let inlineMax = cfg.inlineMax;
  if (inlineMax === -1) inlineMax = 0;
  else if (inlineMax === 0) inlineMax = Math.min(cfg.cacheSize, cfg.attrMax, Math.floor(mdMax / 8));
  return {
    bd,
    cfg,
    blockCount: cfg.blockCount,
    rcache: newCache(cfg.cacheSize),
    pcache: newCache(cfg.cacheSize),
    root: [BLOCK_NULL, BLOCK_NULL],
    mlist: [],
    seed: 0,
    gstate: zeroGState(),
    gdisk: zeroGState(),
    gdelta: zeroGState(),
    lookahead: { start: 0, size: 0, next: 0, ckpoint: 0, buffer: new Uint8Array(cfg.lookaheadSize) },
    nameMax: cfg.nameMax,
    fileMax: cfg.fileMax,
    attrMax: cfg.attrMax,
    inlineMax,
    readOnly,
    fetchMemos: new Map(),
    memoScratch: new Uint8Array(0),
    traverseCache: null,
  };
}

export function mlistRemove(lfs: Lfs, e: MListEntry): void {
  const i = lfs.mlist.indexOf(e);
  if (i >= 0) lfs.mlist.splice(i, 1);
}

export function mlistAppend(lfs: Lfs, e: MListEntry): void {
  lfs.mlist.unshift(e);
}
