/**
 * Damage for littlefs images, from blunt to surgical: seeded bit flips where the data is,
 * truncation, and hand-crafted commits appended to a metadata block with a correct CRC (so
 * the damage is not simply rejected as a torn write): tails that loop, pointers beyond the
 * disk, absurd file sizes, an impossible superblock.
 *
 * Commit layout (reference/littlefs-format.md 1.3-1.4): each tag is stored big-endian XORed
 * with the previous tag; the commit's CRC (reflected CRC-32, init 0xffffffff, no final XOR)
 * covers every stored tag word and data byte up to and including the CRC tag, then the CRC
 * value follows. The CRC tag's low chunk bit is chosen so that the erased word after the
 * commit decodes as invalid, ending the log there.
 */
import CRC32 from "crc-32";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { splitPath } from "../../firmware-sim/fs/path.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { dirFetch, dirFind, dirGet } from "../../firmware-sim/littlefs/mdir-fetch.js";
import { newMdir, type MDir } from "../../firmware-sim/littlefs/state.js";

export interface Geometry {
  blockSize: number;
  eraseValue: number;
}

/** lfs_crc: reflected CRC-32 register update without the final XOR. */
export function lfsCrc(crc: number, data: Uint8Array): number {
  return ~CRC32.buf(data, ~crc) >>> 0;
}

export function mktag(type: number, id: number, size: number): number {
  return ((type << 20) | (id << 10) | size) >>> 0;
}

function be32(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

export function le32(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** Where a metadata pair's log ends, as littlefs's own fetch sees it. */
export interface LogEnd {
  block: number;
  off: number;
  etag: number;
}

function mountPristine(img: Uint8Array, g: Geometry): LittleFs {
  const bd = new MemoryBlockDevice(
    {
      readSize: 1,
      progSize: 1,
      blockSize: g.blockSize,
      blockCount: img.length / g.blockSize,
      eraseValue: g.eraseValue,
    },
    { data: img.slice(), readOnly: true },
  );
  return LittleFs.mount(bd, { blockSize: g.blockSize, blockCount: 0, nameMax: 1022 }, { readOnly: true });
}

function logEnd(m: MDir): LogEnd {
  return { block: m.pair[0], off: m.off, etag: m.etag };
}

/** The mdir holding `path` (its entry id), or the directory's own first mdir with `inside`. */
export function locate(
  img: Uint8Array,
  g: Geometry,
  path: string,
): { end: LogEnd; id: number; pair: [number, number] } {
  const fs = mountPristine(img, g);
  const lfs = fs.internals();
  const m = newMdir();
  const tag = dirFind(lfs, m, splitPath(path), null);
  if (tag < 0) throw new Error(`craft: ${path} not found (${tag})`);
  return { end: logEnd(m), id: (tag >>> 10) & 0x3ff, pair: [m.pair[0], m.pair[1]] };
}

/** The end of the log of the pair at `pair` (e.g. {0,1}). */
export function locatePair(img: Uint8Array, g: Geometry, pair: [number, number]): { end: LogEnd; m: MDir } {
  const fs = mountPristine(img, g);
  const m = newMdir();
  const err = dirFetch(fs.internals(), m, pair);
  if (err) throw new Error(`craft: pair {${pair.join(",")}} unreadable (${err})`);
  return { end: logEnd(m), m };
}

/** The first mdir of directory `path`. */
export function dirPairOf(img: Uint8Array, g: Geometry, path: string): [number, number] {
  const fs = mountPristine(img, g);
  const lfs = fs.internals();
  if (path === "/") return [lfs.root[0], lfs.root[1]];
  const m = newMdir();
  const tag = dirFind(lfs, m, splitPath(path), null);
  if (tag < 0) throw new Error(`craft: ${path} not found (${tag})`);
  const buf = new Uint8Array(8);
  const r = dirGet(lfs, m, mktag(0x700, 0x3ff, 0), mktag(0x200, (tag >>> 10) & 0x3ff, 8), buf);
  if (r < 0) throw new Error(`craft: ${path} has no struct (${r})`);
  const v = new DataView(buf.buffer);
  return [v.getUint32(0, true), v.getUint32(4, true)];
}

export interface CraftTag {
  type: number;
  id: number;
  data: Uint8Array;
}

/**
 * Append one commit holding `tags` at the end of the log `end`, in a copy of `img`. Returns
 * undefined when the block has no room left for it.
 */
export function appendCommit(
  img: Uint8Array,
  g: Geometry,
  end: LogEnd,
  tags: readonly CraftTag[],
): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let ptag = end.etag;
  let crc = 0xffffffff;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    crc = lfsCrc(crc, b);
  };
  for (const t of tags) {
    const tag = mktag(t.type, t.id, t.data.length);
    push(be32((tag ^ ptag) >>> 0));
    push(t.data);
    ptag = tag;
  }
  const len = parts.reduce((n, p) => n + p.length, 0);
  const crcOff = end.off + len;
  const after = crcOff + 8;
  if (after + 4 > g.blockSize) return undefined;
  const out = img.slice();
  const base = end.block * g.blockSize;
  // the byte after the commit decides the valid-state bit (1.4 "valid-bit perturbation")
  const e = out[base + after]!;
  const v = (~e >>> 7) & 1;
  const crcTag = mktag(0x500 | v, 0x3ff, 4);
  push(be32((crcTag ^ ptag) >>> 0));
  parts.push(le32(crc));
  let at = base + end.off;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Seeded xorshift32 PRNG: the same seed gives the same damage. */
export function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Byte ranges worth damaging: each block up to its last byte that is not erased. */
export function liveRanges(img: Uint8Array, g: Geometry): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let b = 0; b * g.blockSize < img.length; b++) {
    const base = b * g.blockSize;
    let last = -1;
    for (let i = g.blockSize - 1; i >= 0; i--) {
      if (img[base + i] !== g.eraseValue) {
        last = i;
        break;
      }
    }
    if (last >= 0) out.push([base, base + last + 1]);
  }
  return out;
}

/** Flip `count` random bits inside the live ranges (metadata and data blocks alike). */
export function flipBits(
  img: Uint8Array,
  g: Geometry,
  seed: number,
  count: number,
): { img: Uint8Array; bits: number[] } {
  const r = rng(seed);
  const ranges = liveRanges(img, g);
  const out = img.slice();
  const bits: number[] = [];
  for (let i = 0; i < count; i++) {
    const [a, b] = ranges[Math.floor(r() * ranges.length)]!;
    const byte = a + Math.floor(r() * (b - a));
    const bit = Math.floor(r() * 8);
    out[byte]! ^= 1 << bit;
    bits.push(byte * 8 + bit);
  }
  return { img: out, bits };
}
