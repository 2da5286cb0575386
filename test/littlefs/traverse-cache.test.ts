/**
 * An exclusive mount replays the allocator's walks of unchanged metadata pairs
 * (traverse-cache.ts). That must never show: the same operations on the same image must leave
 * the same bytes, with the same programs and erases, as a mount that walks every time, while
 * metadata pairs split, compact and relocate, files move between directories and the allocator
 * wraps around a small device many times. Only the device reads may be fewer.
 */
import { describe, expect, it } from "vitest";
import { FsError, PowerLoss, isPowerLoss } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice, type BlockDevice } from "../../firmware-sim/flash/block-device.js";
import type { FsFile } from "../../firmware-sim/fs/file-system.js";
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

/** A mount under test and the files it holds open across steps. */
interface Session {
  fs: LittleFs;
  open: Map<number, FsFile>;
}

const DIRS = ["/", "/a", "/b", "/a/c", "/a/c/d"];

/** One random operation (by `r`); the outcome as a string, errors included. */
function step(s: Session, r: () => number, n: number): string {
  const fs = s.fs;
  const dir = DIRS[r() % DIRS.length]!;
  const name = `${dir === "/" ? "" : dir}/f${r() % 12}`;
  const op = r() % 20;
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
      const d = DIRS[r() % DIRS.length]!;
      const to = `${d === "/" ? "" : d}/f${r() % 12}`;
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
      const d = DIRS[1 + (r() % 4)]!;
      fs.mkdir(d);
      return `mkdir ${d}`;
    }
    if (op === 13) {
      const d = DIRS[1 + (r() % 4)]!;
      fs.remove(d);
      return `rmdir ${d}`;
    }
    if (op === 14) {
      // a directory moved, into another or over an empty one
      const from = DIRS[1 + (r() % 4)]!;
      const to = DIRS[1 + (r() % 4)]!;
      fs.rename(from, to);
      return `rename dir ${from} ${to}`;
    }
    if (op < 18) {
      // files held open across steps: their blocks are in flight while others allocate
      const k = r() % 3;
      const f = s.open.get(k);
      if (f === undefined) {
        s.open.set(k, fs.open(name, { read: true, write: true, create: true }));
        return `open ${k} ${name}`;
      }
      const what = r() % 5;
      if (what === 0) {
        s.open.delete(k);
        f.close();
        return `close ${k}`;
      }
      if (what === 1) {
        f.sync();
        return `sync ${k}`;
      }
      if (what === 2) return `seek ${k} ${f.seek(r() % 6000)}`;
      f.write(bytes(n + 7, 1 + (r() % 2500)));
      return `write ${k}`;
    }
    if (op === 18) {
      fs.gc();
      return "gc";
    }
    fs.mkconsistent();
    return "mkconsistent";
  } catch (e) {
    if (e instanceof FsError) return `error ${e.lfs ?? e.code}`;
    throw e;
  }
}

/** A device that loses power after its `cut`-th program or erase (which completes). */
class CutAt implements BlockDevice {
  private ops = 0;
  constructor(
    private readonly d: MemoryBlockDevice,
    private readonly cut: number,
  ) {}
  get geometry(): BlockDevice["geometry"] {
    return this.d.geometry;
  }
  readonly readOnly = false;
  read(block: number, off: number, into: Uint8Array): void {
    this.d.read(block, off, into);
  }
  prog(block: number, off: number, data: Uint8Array): void {
    this.d.prog(block, off, data);
    if (++this.ops === this.cut) throw new PowerLoss(this.ops);
  }
  erase(block: number): void {
    this.d.erase(block);
    if (++this.ops === this.cut) throw new PowerLoss(this.ops);
  }
  sync(): void {}
}

/** Close the files a session holds open and unmount it; what each close gave. */
function closeAll(s: Session): string[] {
  const out: string[] = [];
  for (const f of s.open.values()) {
    try {
      f.close();
      out.push("closed");
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      out.push(`error ${e.lfs ?? e.code}`);
    }
  }
  s.open.clear();
  s.fs.unmount();
  return out;
}

function copyOf(bd: MemoryBlockDevice): MemoryBlockDevice {
  return new MemoryBlockDevice(bd.geometry, { data: new Uint8Array(bd.data) });
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
      const a: Session = { fs: LittleFs.mount(plain, cfg), open: new Map() };
      const b: Session = { fs: LittleFs.mount(excl, cfg, { exclusive: true }), open: new Map() };
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
          expect(closeAll(b), `step ${n}: closing`).toEqual(closeAll(a));
          a.fs = LittleFs.mount(plain, cfg);
          b.fs = LittleFs.mount(excl, cfg, { exclusive: true });
        }
      }
      expect(Buffer.from(excl.data).equals(Buffer.from(plain.data))).toBe(true);
      expect(excl.stats.progs).toBe(plain.stats.progs);
      expect(excl.stats.erases).toBe(plain.stats.erases);
      // fewer reads: walks were replayed (10-40% fewer here), so the comparison above means something
      expect(excl.stats.reads).toBeLessThan(plain.stats.reads);
      expect(b.fs.check().ok).toBe(true);
    },
  );

  it("images cut by power loss inside renames, mkdir and rmdir (pending moves, orphans): the same bytes from either mount", () => {
    const g: Geometry = {
      blockSize: 512,
      blockCount: 64,
      eraseValue: 0xff,
      cfg: { cacheSize: 64, lookaheadSize: 8, blockCycles: 5 },
    };
    const cfg: LfsConfig = { readSize: 16, progSize: 16, ...g.cfg };
    const base = device(g);
    LittleFs.format(base, cfg);
    const setup: Session = { fs: LittleFs.mount(base, cfg), open: new Map() };
    for (const d of ["/a", "/b", "/a/c"]) setup.fs.mkdir(d);
    for (let i = 0; i < 6; i++) {
      const f = setup.fs.open(`/a/f${i}`, { write: true, create: true });
      f.write(bytes(i, i % 2 === 0 ? 40 : 1500));
      f.close();
    }
    setup.fs.unmount();
    const ops: Array<[string, (fs: LittleFs) => void]> = [
      ["rename a file across directories", (fs) => fs.rename("/a/f1", "/b/f1")],
      ["rename a directory across directories", (fs) => fs.rename("/a/c", "/b/c")],
      ["mkdir", (fs) => fs.mkdir("/b/d")],
      ["rmdir", (fs) => fs.remove("/a/c")],
      ["rename a file into a subdirectory", (fs) => fs.rename("/a/f3", "/a/c/f0")],
      [
        "write a 3000-byte file",
        (fs) => {
          const f = fs.open("/b/big", { write: true, create: true });
          f.write(bytes(99, 3000));
          f.close();
        },
      ],
    ];
    const seen = { moves: 0, orphans: 0, compared: 0 };
    for (const [what, op] of ops) {
      for (let cut = 1; ; cut++) {
        const cutImage = copyOf(base);
        try {
          op(LittleFs.mount(new CutAt(cutImage, cut), cfg));
          break; // the operation completed before the cut: every cut point was tried
        } catch (e) {
          if (!isPowerLoss(e)) throw e;
        }
        const plain = copyOf(cutImage);
        const excl = copyOf(cutImage);
        const a: Session = { fs: LittleFs.mount(plain, cfg), open: new Map() };
        const b: Session = { fs: LittleFs.mount(excl, cfg, { exclusive: true }), open: new Map() };
        const gs = a.fs.gstate();
        if ((gs.tag >>> 20) & 0x700) seen.moves += 1; // gstate's type: a move is pending
        if ((gs.tag & 0x3ff) !== 0) seen.orphans += 1; // gstate's size: orphans counted
        const ra = rng(cut);
        const rb = rng(cut);
        for (let n = 0; n < 60; n++) {
          expect(step(b, rb, n), `${what}, cut ${cut}, step ${n}`).toBe(step(a, ra, n));
        }
        expect(Buffer.from(excl.data).equals(Buffer.from(plain.data)), `${what}, cut ${cut}`).toBe(true);
        seen.compared += 1;
      }
    }
    // the cuts did leave what the title says
    expect(seen.moves).toBeGreaterThan(0);
    expect(seen.orphans).toBeGreaterThan(0);
    expect(seen.compared).toBeGreaterThan(12);
  });

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
