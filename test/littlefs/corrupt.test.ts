/**
 * Damaged images: random bit flips, truncation, tail cycles, out-of-range pointers and absurd
 * sizes. Mounting and reading must end with data or an FsError (never a hang, never a
 * TypeError/RangeError), and a read-only mount must never program or erase.
 */
import { describe, expect, it } from "vitest";
import { FsError, isPowerLoss } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { dirFetch } from "../../firmware-sim/littlefs/mdir-fetch.js";
import { dirCommit } from "../../firmware-sim/littlefs/orphans.js";
import { newMdir } from "../../firmware-sim/littlefs/state.js";
import {
  TYPE_CTZSTRUCT,
  TYPE_DELETE,
  TYPE_DIRSTRUCT,
  TYPE_HARDTAIL,
  TYPE_SOFTTAIL,
  mktag,
  pairBytes,
  writeLe32,
} from "../../firmware-sim/littlefs/tag.js";
import { configFor, loadManifest, readImage, type VectorImage } from "./vectors.js";

const images = loadManifest();
const pick = (n: string): VectorImage => images.find((i) => i.file === n)!;

/** Run `f`; only FsErrors are acceptable failures. */
function tolerate(f: () => void): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof FsError) return e.code;
    if (isPowerLoss(e)) throw e;
    throw new Error(`unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Mount read-only and exercise every read path with bounded work. */
function exercise(img: VectorImage, data: Uint8Array, blockCount = img.params.blockCount): string[] {
  const bd = new MemoryBlockDevice(
    {
      readSize: 1,
      progSize: 1,
      blockSize: img.params.blockSize,
      blockCount,
      eraseValue: configFor(img).eraseValue,
    },
    { data },
  );
  const outcomes: string[] = [];
  let fs: LittleFs | undefined;
  outcomes.push(
    tolerate(() => (fs = LittleFs.mount(bd, { ...configFor(img).cfg, blockCount: 0 }, { readOnly: true }))),
  );
  if (fs !== undefined) {
    const m = fs;
    outcomes.push(tolerate(() => m.fsStat()));
    outcomes.push(tolerate(() => m.usage()));
    outcomes.push(tolerate(() => void m.check()));
    const buf = new Uint8Array(4096);
    const visit = (dir: string, depth: number): void => {
      if (depth > 12) return;
      let list: ReturnType<LittleFs["readdir"]> = [];
      outcomes.push(tolerate(() => (list = m.readdir(dir))));
      // a bounded sample: every read path is hit without O(n^2) lookups over 300-entry dirs
      for (const e of list.slice(0, 40)) {
        const p = dir === "/" ? `/${e.name}` : `${dir}/${e.name}`;
        outcomes.push(tolerate(() => void m.stat(p)));
        outcomes.push(tolerate(() => void m.getAttr(p, 0x74)));
        if (e.type === "dir") visit(p, depth + 1);
        else
          outcomes.push(
            tolerate(() => {
              const f = m.open(p, { read: true });
              for (let i = 0; i < 64 && f.read(buf) > 0; i++);
              f.seek(Math.max(0, f.size() - 10));
              f.read(buf);
              f.close();
            }),
          );
      }
    };
    visit("/", 0);
  }
  expect(bd.stats.progs + bd.stats.erases).toBe(0);
  return outcomes;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe("random bit flips", () => {
  const cases: Array<[string, number, number]> = [];
  for (const f of ["basic-v21-p16.img", "many-v21-p16.img", "history-v21-p16.img", "sbexpand-v21-p16.img"]) {
    for (const flips of [1, 8, 64]) cases.push([f, flips, cases.length + 1]);
  }
  it.each(cases)("%s, %i flips (12 seeds)", (file, flips, base) => {
    const img = pick(file);
    const clean = readImage(img.file);
    // aim most flips at the used part of the image, where metadata lives
    const used = Math.min(clean.length, img.params.blockSize * 64);
    for (let s = 0; s < 12; s++) {
      const r = rng(base * 1000 + s);
      const data = clean.slice();
      for (let i = 0; i < flips; i++) {
        const at = r() % (i % 4 === 0 ? clean.length : used);
        data[at]! ^= 1 << (r() % 8);
      }
      exercise(img, data);
    }
  });
});

describe("truncated images", () => {
  it.each([1, 2, 3, 8, 40, 100])("basic-v21 cut to %i blocks (rest erased, device that small)", (blocks) => {
    const img = pick("basic-v21-p16.img");
    const bs = img.params.blockSize;
    const data = readImage(img.file).slice(0, blocks * bs);
    const out = exercise(img, data, blocks);
    expect(out[0]).not.toBe("ok");
  });
  it("an image cut mid-block is padded and still mounts or fails cleanly", () => {
    const img = pick("many-v21-p16.img");
    const data = readImage(img.file);
    data.fill(0xff, 5 * 4096 + 123);
    exercise(img, data);
  });
});

/** Commit raw attributes to the root mdir of a copy of `img` (to craft bad pointers). */
function craft(
  img: VectorImage,
  attrs: (root: ReturnType<typeof newMdir>) => Array<{ tag: number; buffer: Uint8Array }>,
): Uint8Array {
  const data = readImage(img.file).slice();
  const bd = new MemoryBlockDevice(
    {
      readSize: 1,
      progSize: 1,
      blockSize: img.params.blockSize,
      blockCount: img.params.blockCount,
      eraseValue: 0xff,
    },
    { data },
  );
  const fs = LittleFs.mount(bd, configFor(img).cfg);
  const lfs = fs.internals();
  const root = newMdir();
  expect(dirFetch(lfs, root, lfs.root)).toBe(0);
  expect(dirCommit(lfs, root, attrs(root))).toBe(0);
  return data;
}

function ctz(head: number, size: number): Uint8Array {
  const b = new Uint8Array(8);
  writeLe32(b, 0, head);
  writeLe32(b, 4, size);
  return b;
}

describe("crafted damage", () => {
  const img = pick("basic-v21-p16.img");
  // /data/blob.bin lives under /data; the root ids are in littlefs order (id 0 is the superblock)
  const rootId = (name: string): number => {
    const fs = LittleFs.mount(
      new MemoryBlockDevice(
        { readSize: 1, progSize: 1, blockSize: 4096, blockCount: 128, eraseValue: 0xff },
        { data: readImage(img.file) },
      ),
      configFor(img).cfg,
      { readOnly: true },
    );
    return fs.readdir("/").findIndex((e) => e.name === name) + 1;
  };

  it("a tail cycle back to {0,1} is CORRUPT at mount, not a hang", () => {
    const data = craft(img, () => [{ tag: mktag(TYPE_SOFTTAIL, 0x3ff, 8), buffer: pairBytes([1, 0]) }]);
    expect(exercise(img, data)[0]).toBe("LFS_CORRUPT");
  });

  it("a hard tail looping onto itself ends with CORRUPT", () => {
    const data = craft(img, (root) => [
      { tag: mktag(TYPE_HARDTAIL, 0x3ff, 8), buffer: pairBytes(root.pair) },
    ]);
    expect(exercise(img, data)[0]).toBe("LFS_CORRUPT");
  });

  it("a directory pointing outside the device", () => {
    const data = craft(img, () => [
      { tag: mktag(TYPE_DIRSTRUCT, rootId("cfg"), 8), buffer: pairBytes([5000, 5001]) },
    ]);
    const out = exercise(img, data);
    expect(out).toContain("LFS_CORRUPT");
  });

  it("DELETE splices that wrap an mdir's entry count end listings with an error", () => {
    const data = craft(img, () =>
      Array.from({ length: 20 }, () => ({ tag: mktag(TYPE_DELETE, 1, 0), buffer: new Uint8Array(0) })),
    );
    const out = exercise(img, data);
    // as in C, a fetch of a pair counting more entries than ids exist returns NOENT
    expect(out.filter((o) => o !== "ok").length).toBeGreaterThan(0);
  });

  it("a directory pointing at its parent (a directory cycle)", () => {
    const data = craft(img, (root) => [
      { tag: mktag(TYPE_DIRSTRUCT, rootId("cfg"), 8), buffer: pairBytes(root.pair) },
    ]);
    exercise(img, data);
  });

  it.each([
    ["head outside the device", 9999, 100],
    ["absurd size on a real block", 2, 0x7fffffff],
    ["size above file_max", 2, 0xfffffff0],
    ["head on the superblock", 0, 50000],
  ] as const)("a file with %s", (_n, head, size) => {
    const data = craft(img, () => [
      { tag: mktag(TYPE_CTZSTRUCT, rootId("inline65.bin"), 8), buffer: ctz(head, size) },
    ]);
    exercise(img, data);
  });
});
