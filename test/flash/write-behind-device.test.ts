import { describe, expect, it } from "vitest";
import {
  MemoryBlockDevice,
  type BlockDevice,
  type BlockGeometry,
} from "../../firmware-sim/flash/block-device.js";
import {
  MemoryBackingStore,
  WriteBehindBlockDevice,
  type WriteBehindConfig,
} from "../../firmware-sim/flash/write-behind-device.js";
import { readFile, walk, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { LittleFs, type LfsConfig } from "../../firmware-sim/littlefs/index.js";
import { bytes } from "../littlefs/scenarios.js";

const geometry = (eraseValue: number, blockCount = 12): BlockGeometry => ({
  readSize: 4,
  progSize: 4,
  blockSize: 256,
  blockCount,
  eraseValue,
});

function device(g: BlockGeometry, config: WriteBehindConfig) {
  const store = new MemoryBackingStore(g.blockSize * g.blockCount);
  return { store, bd: new WriteBehindBlockDevice(g, store, config) };
}

/** A small deterministic generator (xorshift32), so a failing case can be replayed. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

function codeOf(f: () => void): string {
  try {
    f();
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe("WriteBehindBlockDevice behaves as MemoryBlockDevice, whatever it keeps in memory", () => {
  const configs: [string, WriteBehindConfig][] = [
    ["2-block pool, no heads, single writes", { poolBlocks: 2, headBytes: 0, batchBlocks: 1 }],
    ["3-block pool, 16-byte heads, batches of 3", { poolBlocks: 3, headBytes: 16, batchBlocks: 3 }],
    ["8-block pool, whole-block heads, batches of 4", { poolBlocks: 8, headBytes: 256, batchBlocks: 4 }],
    ["pool larger than the device", { poolBlocks: 64, headBytes: 64, batchBlocks: 16 }],
  ];
  const cases = configs.flatMap(([name, c]) =>
    [0xff, 0x00].flatMap((ev) => [1, 2, 3].map((seed) => [name, ev, seed, c] as const)),
  );

  it.each(cases)("%s, erase value %i, seed %i: same reads, errors, stats and image", (_n, ev, seed, c) => {
    const g = geometry(ev);
    const oracle = new MemoryBlockDevice(g);
    const { bd, store } = device(g, c);
    const next = rng(seed * 7919);
    const a = new Uint8Array(g.blockSize);
    const b = new Uint8Array(g.blockSize);
    for (let step = 0; step < 3000; step++) {
      const block = next(g.blockCount);
      const op = next(10);
      if (op < 4) {
        // reads of every shape: inside and past the heads, whole blocks
        const off = next(g.blockSize / 4) * 4;
        const len = Math.min(g.blockSize - off, (1 + next(16)) * 4);
        oracle.read(block, off, a.subarray(0, len));
        bd.read(block, off, b.subarray(0, len));
        expect(b.subarray(0, len)).toEqual(a.subarray(0, len));
      } else if (op < 8) {
        // progs: mostly appends, sometimes anywhere (over programmed bytes they must fail alike)
        const off = next(4) === 0 ? next(g.blockSize / 4) * 4 : Math.min(g.blockSize - 4, next(8) * 32);
        const len = Math.min(g.blockSize - off, (1 + next(8)) * 4);
        const data = Uint8Array.from({ length: len }, () => next(256));
        expect(codeOf(() => bd.prog(block, off, data))).toBe(codeOf(() => oracle.prog(block, off, data)));
      } else if (op < 9) {
        oracle.erase(block);
        bd.erase(block);
      } else if (next(3) === 0) {
        // a run of lines with their read-backs in one call: exactly what as many progAndRead
        // calls do when it goes ahead; when it declines, nothing at all (either device)
        const line = 4 * (1 + next(4));
        const count = 1 + next(6);
        const off = next(3) === 0 ? next(g.blockSize / 4) * 4 : Math.min(g.blockSize, next(8) * 32);
        const src = Uint8Array.from({ length: line * count + 8 }, () => next(256));
        const at = 4 * next(2);
        const oracleInto = a.subarray(0, line);
        const want = codeOf(() => {
          for (let i = 0; i < count; i++) {
            oracle.prog(block, off + i * line, src.subarray(at + i * line, at + (i + 1) * line));
            oracle.read(block, off + i * line, oracleInto);
          }
        });
        const into = b.subarray(0, line).fill(0xaa);
        const before = { ...bd.stats };
        const done = bd.progLines(block, off, src, at, line, count, into);
        if (done) {
          expect(want).toBe("ok");
          expect(into).toEqual(oracleInto);
        } else {
          expect(bd.stats).toEqual(before);
          expect(into.every((v) => v === 0xaa)).toBe(true);
          // the oracle went line by line: follow it the same way, to its first failure
          for (let i = 0; i < count; i++) {
            const r = codeOf(() =>
              bd.prog(block, off + i * line, src.subarray(at + i * line, at + (i + 1) * line)),
            );
            if (r !== "ok") break;
            bd.read(block, off + i * line, into);
          }
        }
      } else if (next(2) === 0) {
        // prog and read back in one call: the same as the two calls, or the same error with
        // `into` untouched
        const off = Math.min(g.blockSize - 16, next(8) * 32);
        const data = Uint8Array.from({ length: 8 }, () => next(256));
        const want = codeOf(() => {
          oracle.prog(block, off, data);
          oracle.read(block, off, a.subarray(0, 16));
        });
        b.fill(0xaa);
        expect(codeOf(() => bd.progAndRead(block, off, data, b.subarray(0, 16)))).toBe(want);
        if (want === "ok") expect(b.subarray(0, 16)).toEqual(a.subarray(0, 16));
        else expect(b.subarray(0, 16).every((v) => v === 0xaa)).toBe(true);
      } else {
        bd.sync();
      }
    }
    expect(bd.stats).toEqual(oracle.stats);
    bd.finish();
    expect(store.bytes).toEqual(oracle.data);
  });

  it("keeps the strict rule for a block written back and brought in again", () => {
    const { bd, store } = device(geometry(0xff), { poolBlocks: 2, headBytes: 0, batchBlocks: 1 });
    bd.prog(0, 64, Uint8Array.of(1, 2, 3, 4));
    bd.prog(1, 0, Uint8Array.of(5, 5, 5, 5));
    bd.prog(2, 0, Uint8Array.of(6, 6, 6, 6)); // block 0 leaves the pool
    expect(bd.storeStats.writes).toBe(1);
    expect(codeOf(() => bd.prog(0, 64, Uint8Array.of(0, 0, 0, 0)))).toBe("BD_NOT_ERASED");
    bd.prog(0, 68, Uint8Array.of(7, 7, 7, 7)); // past what was programmed: fine
    bd.finish();
    expect([...store.bytes.subarray(64, 72)]).toEqual([1, 2, 3, 4, 7, 7, 7, 7]);
    expect(store.bytes[0]).toBe(0xff);
  });

  it("answers reads inside the kept heads without the store, and loads a block for the rest", () => {
    const { bd } = device(geometry(0xff, 40), { poolBlocks: 4, headBytes: 32, batchBlocks: 8 });
    for (let blk = 0; blk < 40; blk++) bd.prog(blk, 0, new Uint8Array(256).fill(blk));
    const out = new Uint8Array(16);
    for (let blk = 0; blk < 30; blk++) {
      bd.read(blk, 16, out);
      expect(out.every((v) => v === blk)).toBe(true);
    }
    expect(bd.storeStats.reads).toBe(0);
    bd.read(3, 128, out);
    expect(out.every((v) => v === 3)).toBe(true);
    expect(bd.storeStats.reads).toBe(1);
    // consecutive blocks leave in runs: far fewer writes than blocks
    expect(bd.storeStats.writes).toBeLessThan(10);
  });

  it("writes erased bytes over blocks never programmed, and over blocks erased after being written", () => {
    const { bd, store } = device(geometry(0xff, 4), { poolBlocks: 2, headBytes: 0, batchBlocks: 2 });
    store.bytes.fill(0x55); // whatever a reused file held
    bd.prog(1, 0, new Uint8Array(256).fill(1));
    bd.prog(2, 0, new Uint8Array(256).fill(2));
    bd.prog(3, 0, new Uint8Array(256).fill(3)); // block 1 goes to the store
    bd.erase(1);
    bd.finish();
    expect(store.bytes.subarray(0, 256).every((v) => v === 0xff)).toBe(true);
    expect(store.bytes.subarray(256, 512).every((v) => v === 0xff)).toBe(true);
    expect(store.bytes.subarray(512, 768).every((v) => v === 2)).toBe(true);
    expect(store.bytes.subarray(768).every((v) => v === 3)).toBe(true);
  });

  it("refuses everything once finished, and refuses misaligned or out-of-range access", () => {
    const { bd } = device(geometry(0xff), { poolBlocks: 2, headBytes: 0, batchBlocks: 1 });
    expect(codeOf(() => bd.prog(0, 2, Uint8Array.of(1, 2, 3, 4)))).toBe("BD_ALIGN");
    expect(codeOf(() => bd.read(12, 0, new Uint8Array(4)))).toBe("BD_RANGE");
    expect(codeOf(() => bd.erase(-1))).toBe("BD_RANGE");
    bd.finish();
    expect(codeOf(() => bd.read(0, 0, new Uint8Array(4)))).toBe("BD_CLOSED");
    expect(codeOf(() => bd.prog(0, 0, new Uint8Array(4)))).toBe("BD_CLOSED");
    expect(codeOf(() => bd.erase(0))).toBe("BD_CLOSED");
    expect(codeOf(() => bd.finish())).toBe("BD_CLOSED");
  });

  it.each([
    [{ poolBlocks: 1, headBytes: 0, batchBlocks: 1 }, /poolBlocks/],
    [{ poolBlocks: 2, headBytes: 257, batchBlocks: 1 }, /headBytes/],
    [{ poolBlocks: 2, headBytes: -4, batchBlocks: 1 }, /headBytes/],
    [{ poolBlocks: 2, headBytes: 0, batchBlocks: 0 }, /batchBlocks/],
  ])("rejects the configuration %o", (c, msg) => {
    expect(() => device(geometry(0xff), c)).toThrow(msg);
  });
});

describe("littlefs on a WriteBehindBlockDevice", () => {
  const cfg: LfsConfig = { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 16, blockCycles: 500 };

  it.each([
    [2, 0],
    [4, 16],
    [16, 64],
  ])(
    "pool of %i blocks, %i-byte heads: the same image as in memory, byte for byte",
    (poolBlocks, headBytes) => {
      const g = { readSize: 1, progSize: 1, blockSize: 512, blockCount: 256, eraseValue: 0xff };
      const work = (bd: BlockDevice): void => {
        LittleFs.format(bd, cfg);
        const fs = LittleFs.mount(bd, cfg);
        for (let d = 0; d < 4; d++) {
          fs.mkdir(`/d${d}`);
          for (let f = 0; f < 12; f++) writeFile(fs, `/d${d}/f${f}`, bytes(d * 100 + f, 37 + f * 211));
        }
        fs.rename("/d1/f3", "/d2/moved");
        fs.remove("/d0/f0");
        writeFile(fs, "/d3/f5", bytes(999, 3000)); // rewrite: copy-on-write of a CTZ file
        fs.unmount();
      };
      const mem = new MemoryBlockDevice(g);
      work(mem);
      // and through the two separate calls (a device without progAndRead): the same device work
      const plainMem = new MemoryBlockDevice(g);
      const plain: BlockDevice = {
        geometry: g,
        readOnly: false,
        read: (b, o, into) => plainMem.read(b, o, into),
        prog: (b, o, d) => plainMem.prog(b, o, d),
        erase: (b) => plainMem.erase(b),
        sync: () => plainMem.sync(),
      };
      work(plain);
      expect(plainMem.stats).toEqual(mem.stats);
      expect(plainMem.data).toEqual(mem.data);
      const store = new MemoryBackingStore(g.blockSize * g.blockCount);
      const wb = new WriteBehindBlockDevice(g, store, { poolBlocks, headBytes, batchBlocks: 8 });
      work(wb);
      expect(wb.stats).toEqual(mem.stats);
      wb.finish();
      expect(store.bytes).toEqual(mem.data);
      // and the store mounts with the same contents
      const again = LittleFs.mount(new MemoryBlockDevice(g, { data: store.bytes }), cfg);
      expect(walk(again, "/").length).toBe(4 + 4 * 12 - 1);
      expect(readFile(again, "/d2/moved")).toEqual(bytes(103, 37 + 3 * 211));
    },
  );
});
