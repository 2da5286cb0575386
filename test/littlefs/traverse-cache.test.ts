/**
 * An exclusive mount replays the allocator's walks of unchanged metadata pairs
 * (traverse-cache.ts). That must never show: the same operations on the same image must leave
 * the same bytes, with the same programs and erases, as a mount that walks every time, while
 * metadata pairs split, compact and relocate, files move between directories and the allocator
 * wraps around a small device many times. Only the device reads may be fewer.
 */
import { describe, expect, it } from "vitest";
import { FsError } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import type { LfsConfig } from "../../firmware-sim/littlefs/config.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import {
  newTraverseCache,
  touched,
  validWalk,
  hasMoveAt,
} from "../../firmware-sim/littlefs/traverse-cache.js";
import { zeroGState } from "../../firmware-sim/littlefs/state.js";
import { bytes } from "./scenarios.js";

interface Geometry {
  blockSize: number;
  blockCount: number;
  eraseValue: number;
  cfg: LfsConfig;
}

function device(g: Geometry): MemoryBlockDevice {
  return new MemoryBlockDevice({
    readSize: 16,
    progSize: 16,
    blockSize: g.blockSize,
    blockCount: g.blockCount,
    eraseValue: g.eraseValue,
  });
}

/** One random operation (by `r`) on `fs`; the outcome as a string, errors included. */
function step(fs: LittleFs, r: () => number, n: number): string {
  const dirs = ["/", "/a", "/b", "/a/c"];
  const dir = dirs[r() % dirs.length]!;
  const name = `${dir === "/" ? "" : dir}/f${r() % 12}`;
  const op = r() % 14;
  try {
    if (op < 5) {
      // inline, one block, several blocks (a CTZ skip-list)
      const size = [r() % 40, 200 + (r() % 900), 3000 + (r() % 9000)][r() % 3]!;
      const f = fs.open(name, { write: true, create: true, truncate: true });
      f.write(bytes(n, size));
      f.close();
      return `write ${name} ${size}`;
    }
    if (op < 7) {
      const f = fs.open(name, { write: true, create: true, append: true });
      f.write(bytes(n + 1, 1 + (r() % 3000)));
      f.close();
      return `append ${name}`;
    }
    if (op === 7) {
      const f = fs.open(name, { read: true, write: true });
      f.truncate(r() % 5000);
      f.close();
      return `truncate ${name}`;
    }
    if (op < 10) {
      const to = `${dirs[r() % dirs.length] === "/" ? "" : dirs[r() % dirs.length]}/f${r() % 12}`;
      fs.rename(name, to);
      return `rename ${name} ${to}`;
    }
    if (op === 10) {
      fs.remove(name);
      return `remove ${name}`;
    }
    if (op === 11) {
      fs.setAttr(name, 0x74, bytes(n, 1 + (r() % 30)));
      return `attr ${name}`;
    }
    if (op === 12) {
      const d = dirs[1 + (r() % 3)]!;
      fs.mkdir(d);
      return `mkdir ${d}`;
    }
    const d = dirs[1 + (r() % 3)]!;
    fs.remove(d);
    return `rmdir ${d}`;
  } catch (e) {
    if (e instanceof FsError) return `error ${e.lfs ?? e.code}`;
    throw e;
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 8;
  };
}

const geometries: Array<[string, Geometry]> = [
  [
    "512-byte blocks, 64 of them, 8-byte lookahead, wear levelling every 4 cycles",
    {
      blockSize: 512,
      blockCount: 64,
      eraseValue: 0xff,
      cfg: { cacheSize: 64, lookaheadSize: 8, blockCycles: 4 },
    },
  ],
  [
    "4096-byte blocks, erase value 0x00, 16-byte lookahead",
    {
      blockSize: 4096,
      blockCount: 48,
      eraseValue: 0x00,
      cfg: { cacheSize: 256, lookaheadSize: 16, blockCycles: 50 },
    },
  ],
  [
    "1024-byte blocks, disk version 2.0, no wear levelling",
    {
      blockSize: 1024,
      blockCount: 96,
      eraseValue: 0xff,
      cfg: { cacheSize: 64, lookaheadSize: 8, blockCycles: -1, diskVersion: 0x00020000 },
    },
  ],
];

describe("the allocator's remembered walks (exclusive mounts)", () => {
  it.each(geometries.flatMap(([name, g]) => [1, 2, 3].map((seed) => [name, seed, g] as const)))(
    "%s, seed %i: the same bytes, programs and erases as walking every time",
    (_name, seed, g) => {
      const cfg: LfsConfig = { readSize: 16, progSize: 16, ...g.cfg };
      const plain = device(g);
      const excl = device(g);
      LittleFs.format(plain, cfg);
      LittleFs.format(excl, cfg);
      let a = LittleFs.mount(plain, cfg);
      let b = LittleFs.mount(excl, cfg, { exclusive: true });
      const ra = rng(seed);
      const rb = rng(seed);
      for (let n = 0; n < 400; n++) {
        const sa = step(a, ra, n);
        const sb = step(b, rb, n);
        expect(sb, `step ${n}`).toBe(sa);
        if (n % 25 === 24) {
          expect(excl.stats.progBytes, `step ${n}: ${sa}`).toBe(plain.stats.progBytes);
          expect(excl.stats.erases, `step ${n}: ${sa}`).toBe(plain.stats.erases);
          expect(Buffer.from(excl.data).equals(Buffer.from(plain.data)), `step ${n}: ${sa}`).toBe(true);
        }
        if (n % 100 === 99) {
          // a fresh mount of each starts over (the exclusive one with nothing remembered)
          a.unmount();
          b.unmount();
          a = LittleFs.mount(plain, cfg);
          b = LittleFs.mount(excl, cfg, { exclusive: true });
        }
      }
      expect(Buffer.from(excl.data).equals(Buffer.from(plain.data))).toBe(true);
      expect(excl.stats.progs).toBe(plain.stats.progs);
      expect(excl.stats.erases).toBe(plain.stats.erases);
      // fewer reads: walks were replayed (10-40% fewer here), so the comparison above means something
      expect(excl.stats.reads).toBeLessThan(plain.stats.reads);
      expect(b.check().ok).toBe(true);
    },
  );

  it("a pack of 240 files into a 4 MiB image writes the same image with fewer reads", () => {
    const g: Geometry = { blockSize: 4096, blockCount: 1024, eraseValue: 0xff, cfg: {} };
    const cfg: LfsConfig = { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 8 };
    const run = (exclusive: boolean): MemoryBlockDevice => {
      const bd = device(g);
      LittleFs.format(bd, cfg);
      const fs = LittleFs.mount(bd, cfg, { exclusive });
      for (let d = 0; d < 4; d++) {
        fs.mkdir(`/d${d}`);
        for (let i = 0; i < 60; i++) {
          const f = fs.open(`/d${d}/f${i}`, { write: true, create: true, exclusive: true });
          f.write(bytes(d * 100 + i, 5000 + ((i * 977) % 4000)));
          f.close();
        }
      }
      return bd;
    };
    const plain = run(false);
    const excl = run(true);
    expect(Buffer.from(excl.data).equals(Buffer.from(plain.data))).toBe(true);
    expect(excl.stats.progBytes).toBe(plain.stats.progBytes);
    expect(excl.stats.eraseBytes).toBe(plain.stats.eraseBytes);
    expect(excl.stats.reads).toBeLessThan(plain.stats.reads);
  });

  it("a read-only mount remembers nothing (it never allocates)", () => {
    const g: Geometry = { blockSize: 512, blockCount: 32, eraseValue: 0xff, cfg: {} };
    const bd = device(g);
    LittleFs.format(bd, {});
    const fs = LittleFs.mount(bd, {}, { readOnly: true, exclusive: true });
    expect(() => fs.mkdir("/x")).toThrow(/read-only/);
  });
});

describe("remembered walks: validity", () => {
  function cacheWith(deps: number[]): ReturnType<typeof newTraverseCache> {
    const tc = newTraverseCache(16);
    touched(tc, 9);
    tc.entries.set(2, {
      pair1: 3,
      at: tc.gen,
      blocks: [2, 3, ...deps, 12],
      deps: [2, 3, ...deps],
      tail0: 5,
      tail1: 6,
    });
    return tc;
  }

  it("holds until a block the walk read is programmed or erased", () => {
    const none = zeroGState();
    for (const b of [2, 3, 7, 8]) {
      const tc = cacheWith([7, 8]);
      expect(validWalk(tc, 2, 3, none)?.tail0).toBe(5);
      touched(tc, 12); // a child directory's pair: reported, not read
      touched(tc, 40); // beyond the device (inline data): ignored
      expect(validWalk(tc, 2, 3, none)).not.toBeNull();
      touched(tc, b);
      expect(validWalk(tc, 2, 3, none)).toBeNull();
    }
  });

  it("is for the pair it was reached by only", () => {
    const tc = cacheWith([7]);
    expect(validWalk(tc, 2, 4, zeroGState())).toBeNull();
    expect(validWalk(tc, 3, 2, zeroGState())).toBeNull();
  });

  it("is not used while a move of one of the pair's entries is pending", () => {
    const tc = cacheWith([7]);
    const moving = { tag: 0x4ff00000 | (1 << 10), pair: [3, 2] as [number, number] };
    expect(hasMoveAt(moving, 2, 3)).toBe(true);
    expect(validWalk(tc, 2, 3, moving)).toBeNull();
    const elsewhere = { tag: moving.tag, pair: [9, 10] as [number, number] };
    expect(hasMoveAt(elsewhere, 2, 3)).toBe(false);
    expect(validWalk(tc, 2, 3, elsewhere)).not.toBeNull();
  });

  it("starts over when the write generation would wrap", () => {
    const tc = cacheWith([7]);
    tc.gen = 0xffffffff;
    touched(tc, 1);
    expect(tc.entries.size).toBe(0);
    expect(tc.gen).toBe(1);
    expect(tc.writeGen[1]).toBe(1);
  });
});
