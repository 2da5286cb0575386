/**
 * The damage matrix: which images, which mutations, each with a stable key (image, kind, seed
 * or name) so that a failing input can be reproduced and listed in `knownIssues`.
 */
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { mkdirs, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { presets, type LfsConfig } from "../../firmware-sim/littlefs/config.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { loadManifest, readImage, type VectorImage } from "../littlefs/vectors.js";
import {
  appendCommit,
  dirPairOf,
  flipBits,
  le32,
  locate,
  locatePair,
  rng,
  type CraftTag,
  type Geometry,
} from "./craft.js";

export interface FuzzImage {
  name: string;
  img: Uint8Array;
  g: Geometry;
  blockCount: number;
}

export function vectorImages(): FuzzImage[] {
  return loadManifest().map((v: VectorImage) => {
    const e = v.params.opts.indexOf("-e");
    return {
      name: v.file,
      img: readImage(v.file),
      g: { blockSize: v.params.blockSize, eraseValue: e >= 0 ? Number(v.params.opts[e + 1]) : 0xff },
      blockCount: v.params.blockCount,
    };
  });
}

/**
 * Images built here with the library (not by the reference tool): small 256-byte blocks, so
 * files span many CTZ blocks with several skip pointers each, nested directories, attributes,
 * renames and removes; and a MicroPython-configured 4 KiB image with a split directory.
 */
export function builtImages(): FuzzImage[] {
  const build = (
    blockSize: number,
    blockCount: number,
    cfg: LfsConfig,
    fill: (fs: LittleFs) => void,
  ): FuzzImage => {
    const bd = new MemoryBlockDevice({ readSize: 1, progSize: 1, blockSize, blockCount, eraseValue: 0xff });
    LittleFs.format(bd, { ...cfg, blockSize, blockCount });
    const fs = LittleFs.mount(bd, { ...cfg, blockSize, blockCount });
    fill(fs);
    fs.unmount();
    return { name: `built-b${blockSize}`, img: bd.data, g: { blockSize, eraseValue: 0xff }, blockCount };
  };
  const pattern = (n: number, seed: number): Uint8Array =>
    new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);
  return [
    build(256, 512, { cacheSize: 64 }, (fs) => {
      mkdirs(fs, "/a/b/c");
      mkdirs(fs, "/x/y");
      writeFile(fs, "/a/b/c/long.bin", pattern(20_000, 1));
      writeFile(fs, "/a/small.txt", pattern(30, 2));
      writeFile(fs, "/x/y/mid.bin", pattern(3_000, 3));
      fs.setAttr("/a/small.txt", 0x74, pattern(8, 4));
      fs.setAttr("/x", 1, pattern(8, 5));
      writeFile(fs, "/tmp.bin", pattern(700, 6));
      fs.rename("/tmp.bin", "/x/moved.bin");
      writeFile(fs, "/gone.bin", pattern(900, 7));
      fs.remove("/gone.bin");
    }),
    build(4096, 128, presets.micropython, (fs) => {
      fs.mkdir("/lib");
      for (let i = 0; i < 60; i++)
        writeFile(fs, `/lib/m${String(i).padStart(2, "0")}.py`, pattern(40 + i * 37, i));
      writeFile(fs, "/big.bin", pattern(40_000, 99));
    }),
  ];
}

export interface FuzzCase {
  /** Stable key: "<image> <kind> <seed|name>". */
  key: string;
  build: () => Uint8Array | undefined;
  g: Geometry;
}

/** Seeded bit flips: 1..8 flips per seed, where the data is. */
export function bitFlipCases(im: FuzzImage, seeds: number): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (let s = 1; s <= seeds; s++) {
    out.push({
      key: `${im.name} flip ${s}`,
      g: im.g,
      build: () => flipBits(im.img, im.g, s, 1 + (s % 8)).img,
    });
  }
  return out;
}

/** The image cut after k blocks, and cut mid-block. */
export function truncationCases(im: FuzzImage): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (const k of [1, 2, 3, 4, 6, 10, 17, 33, 64, im.blockCount - 1]) {
    if (k >= im.blockCount || k < 1) continue;
    out.push({ key: `${im.name} truncate ${k}`, g: im.g, build: () => im.img.slice(0, k * im.g.blockSize) });
  }
  out.push({
    key: `${im.name} truncate 2.5`,
    g: im.g,
    build: () => im.img.slice(0, Math.floor(2.5 * im.g.blockSize)),
  });
  return out;
}

const pairData = (a: number, b: number): Uint8Array => new Uint8Array([...le32(a), ...le32(b)]);
const SOFTTAIL = 0x600;
const HARDTAIL = 0x601;
const DIRSTRUCT = 0x200;
const CTZSTRUCT = 0x202;
const INLINESTRUCT = 0x201;
const MOVESTATE = 0x7ff;

/** Commits with a correct CRC whose content is wrong: loops, wild pointers, absurd sizes. */
export function craftedCases(
  im: FuzzImage,
  dirs: { sub: string; deep: string; ctzFile?: string },
): FuzzCase[] {
  const { img, g } = im;
  const n = im.blockCount;
  const out: FuzzCase[] = [];
  const add = (name: string, build: () => Uint8Array | undefined): void => {
    out.push({ key: `${im.name} craft ${name}`, g, build });
  };
  const atPair = (pair: [number, number], tags: CraftTag[]): Uint8Array | undefined =>
    appendCommit(img, g, locatePair(img, g, pair).end, tags);
  const atEntry = (path: string, mk: (id: number) => CraftTag[]): Uint8Array | undefined => {
    const l = locate(img, g, path);
    return appendCommit(img, g, l.end, mk(l.id));
  };
  const root = (): [number, number] => dirPairOf(img, g, "/");

  add("superblock-softtail-self", () =>
    atPair([0, 1], [{ type: SOFTTAIL, id: 0x3ff, data: pairData(0, 1) }]),
  );
  add("superblock-hardtail-self", () =>
    atPair([0, 1], [{ type: HARDTAIL, id: 0x3ff, data: pairData(1, 0) }]),
  );
  add("root-hardtail-self", () => {
    const r = root();
    return atPair(r, [{ type: HARDTAIL, id: 0x3ff, data: pairData(r[0], r[1]) }]);
  });
  add("subdir-softtail-to-superblock", () => {
    const p = dirPairOf(img, g, dirs.sub);
    return atPair(p, [{ type: SOFTTAIL, id: 0x3ff, data: pairData(0, 1) }]);
  });
  add("subdir-hardtail-to-root", () => {
    const p = dirPairOf(img, g, dirs.sub);
    const r = root();
    return atPair(p, [{ type: HARDTAIL, id: 0x3ff, data: pairData(r[0], r[1]) }]);
  });
  add("subdir-hardtail-self", () => {
    const p = dirPairOf(img, g, dirs.deep);
    return atPair(p, [{ type: HARDTAIL, id: 0x3ff, data: pairData(p[0], p[1]) }]);
  });
  add("tail-beyond-disk", () =>
    atPair(root(), [{ type: SOFTTAIL, id: 0x3ff, data: pairData(n + 3, n + 4) }]),
  );
  add("tail-null-half", () => atPair(root(), [{ type: SOFTTAIL, id: 0x3ff, data: pairData(0xffffffff, 2) }]));
  add("dirstruct-beyond-disk", () =>
    atEntry(dirs.sub, (id) => [{ type: DIRSTRUCT, id, data: pairData(n + 1, n + 2) }]),
  );
  add("dirstruct-huge", () =>
    atEntry(dirs.sub, (id) => [{ type: DIRSTRUCT, id, data: pairData(0xfffffff0, 0x7fffffff) }]),
  );
  add("dirstruct-to-root", () => {
    const r = root();
    return atEntry(dirs.deep, (id) => [{ type: DIRSTRUCT, id, data: pairData(r[0], r[1]) }]);
  });
  add("dirstruct-to-superblock", () =>
    atEntry(dirs.sub, (id) => [{ type: DIRSTRUCT, id, data: pairData(0, 1) }]),
  );
  const ctz = dirs.ctzFile;
  if (ctz !== undefined) {
    add("ctz-head-beyond-disk", () =>
      atEntry(ctz, (id) => [
        { type: CTZSTRUCT, id, data: new Uint8Array([...le32(n + 7), ...le32(100000)]) },
      ]),
    );
    add("ctz-head-huge", () =>
      atEntry(ctz, (id) => [
        { type: CTZSTRUCT, id, data: new Uint8Array([...le32(0xfffffff0), ...le32(5000)]) },
      ]),
    );
    add("ctz-size-2^31-1", () =>
      atEntry(ctz, (id) => [
        { type: CTZSTRUCT, id, data: new Uint8Array([...le32(2), ...le32(0x7fffffff)]) },
      ]),
    );
    add("ctz-size-u32-max", () =>
      atEntry(ctz, (id) => [
        { type: CTZSTRUCT, id, data: new Uint8Array([...le32(2), ...le32(0xffffffff)]) },
      ]),
    );
    add("ctz-head-is-superblock", () =>
      atEntry(ctz, (id) => [{ type: CTZSTRUCT, id, data: new Uint8Array([...le32(0), ...le32(50000)]) }]),
    );
    add("file-becomes-dirstruct-self", () => {
      const l = locate(img, g, ctz);
      return appendCommit(img, g, l.end, [
        { type: DIRSTRUCT, id: l.id, data: pairData(l.pair[0], l.pair[1]) },
      ]);
    });
  }
  add("inline-struct-on-dir", () =>
    atEntry(dirs.sub, (id) => [{ type: INLINESTRUCT, id, data: new Uint8Array(40) }]),
  );
  const sb = (edit: (v: DataView) => void): Uint8Array | undefined => {
    const d = new Uint8Array(24);
    const v = new DataView(d.buffer);
    v.setUint32(0, 0x00020001, true);
    v.setUint32(4, g.blockSize, true);
    v.setUint32(8, n, true);
    v.setUint32(12, 255, true);
    v.setUint32(16, 0x7fffffff, true);
    v.setUint32(20, 1022, true);
    edit(v);
    return atPair([0, 1], [{ type: INLINESTRUCT, id: 0, data: d }]);
  };
  add("superblock-count-huge", () => sb((v) => v.setUint32(8, 0xffffffff, true)));
  add("superblock-count-zero", () => sb((v) => v.setUint32(8, 0, true)));
  add("superblock-count-beyond-file", () => sb((v) => v.setUint32(8, n * 4, true)));
  add("superblock-block-size-mismatch", () => sb((v) => v.setUint32(4, g.blockSize * 2, true)));
  add("superblock-name-max-huge", () => sb((v) => v.setUint32(12, 100000, true)));
  add("superblock-file-max-zero", () => sb((v) => v.setUint32(16, 0, true)));
  add("superblock-version-3", () => sb((v) => v.setUint32(0, 0x00030000, true)));
  add("superblock-version-2.9", () => sb((v) => v.setUint32(0, 0x00020009, true)));
  add("move-to-beyond-disk", () =>
    atPair(root(), [
      {
        type: MOVESTATE,
        id: 0x3ff,
        data: new Uint8Array([...le32(0x4ff00000 | (3 << 10)), ...pairData(n + 5, n + 6)]),
      },
    ]),
  );
  add("move-id-beyond-count", () => {
    const r = root();
    return atPair(r, [
      {
        type: MOVESTATE,
        id: 0x3ff,
        data: new Uint8Array([...le32(0x4ff00000 | (0x3fe << 10)), ...pairData(r[0], r[1])]),
      },
    ]);
  });
  add("delete-beyond-count", () => atPair(root(), [{ type: 0x4ff, id: 0x3f0, data: new Uint8Array(0) }]));
  add("create-many", () =>
    atPair(
      root(),
      Array.from({ length: 60 }, () => ({ type: 0x401, id: 1, data: new Uint8Array(0) })),
    ),
  );
  add("name-without-struct", () =>
    atPair(root(), [
      { type: 0x401, id: 1, data: new Uint8Array(0) },
      { type: 0x001, id: 1, data: new TextEncoder().encode("ghost") },
    ]),
  );
  return out;
}

/** Every metadata pair on the tail list from {0,1}, as the pristine image has it. */
export function mdirPairs(img: Uint8Array, g: Geometry, blockCount: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pair: [number, number] = [0, 1];
  for (let i = 0; i < blockCount / 2; i++) {
    const { m } = locatePair(img, g, pair);
    out.push([m.pair[0], m.pair[1]]);
    if (m.tail[0] === 0xffffffff || m.tail[1] === 0xffffffff) break;
    pair = [m.tail[0], m.tail[1]];
  }
  return out;
}

/** Tag types a random commit draws from (every on-disk type of reference 1.5). */
const RANDOM_TYPES = [
  0x001, 0x002, 0x0ff, 0x200, 0x201, 0x202, 0x300, 0x374, 0x401, 0x4ff, 0x600, 0x601, 0x7ff,
];

/**
 * One CRC-valid commit of 1..5 random tags appended to a random metadata pair: random types,
 * ids around the pair's entry count, and payloads whose pointers are drawn from valid blocks,
 * blocks beyond the disk, null, and the pair itself.
 */
export function randomCommitCases(im: FuzzImage, seeds: number): FuzzCase[] {
  const out: FuzzCase[] = [];
  const n = im.blockCount;
  for (let s = 1; s <= seeds; s++) {
    out.push({
      key: `${im.name} random-commit ${s}`,
      g: im.g,
      build: () => {
        const r = rng(s * 7919 + 17);
        const pairs = mdirPairs(im.img, im.g, n);
        const pair = pairs[Math.floor(r() * pairs.length)]!;
        const { end, m } = locatePair(im.img, im.g, pair);
        const block = (): number => {
          const k = r();
          if (k < 0.4) return Math.floor(r() * n);
          if (k < 0.6) return n + Math.floor(r() * 16);
          if (k < 0.7) return 0xffffffff;
          if (k < 0.85) return pair[Math.floor(r() * 2)]!;
          return Math.floor(r() * 0x100000000);
        };
        const tags: CraftTag[] = [];
        const count = 1 + Math.floor(r() * 5);
        for (let t = 0; t < count; t++) {
          let type = RANDOM_TYPES[Math.floor(r() * RANDOM_TYPES.length)]!;
          if (type === 0x300) type = 0x300 + Math.floor(r() * 256);
          const id = type >= 0x600 || r() < 0.1 ? 0x3ff : Math.floor(r() * (m.count + 3));
          let data: Uint8Array;
          if (type === 0x200 || type === 0x600 || type === 0x601) data = pairData(block(), block());
          else if (type === 0x202)
            data = new Uint8Array([...le32(block()), ...le32(Math.floor(r() * 2 ** 32))]);
          else if (type === 0x7ff) {
            const tag = r() < 0.5 ? 0x4ff00000 | (Math.floor(r() * 0x3ff) << 10) : Math.floor(r() * 2 ** 32);
            data = new Uint8Array([...le32(tag >>> 0), ...pairData(block(), block())]);
          } else if (type === 0x401 || type === 0x4ff) data = new Uint8Array(0);
          else data = new Uint8Array(Math.floor(r() * 40)).map(() => Math.floor(r() * 256));
          tags.push({ type, id, data });
        }
        return appendCommit(im.img, im.g, end, tags);
      },
    });
  }
  return out;
}
