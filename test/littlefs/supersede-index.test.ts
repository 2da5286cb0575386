/**
 * SupersedeIndex.scan must answer exactly what lfs.c's tag-by-tag filter scan answers
 * (supersededScan): superseded or not, and the id the splices moved the tag to. Checked on every
 * mdir log of every reference image and of logs we churn ourselves, and on random logs built to
 * hit the corners: splices at, below and above the candidate's id, deletes, deleted tags (size
 * 0x3ff), ids at 0 and 0x3ff, odd splice chunks, and the logs and ids the index leaves to the
 * scan (it must say so, FALLBACK, rather than answer).
 */
import { describe, expect, it } from "vitest";
import { supersededScan } from "../../firmware-sim/littlefs/mdir-traverse.js";
import type { Lfs } from "../../firmware-sim/littlefs/state.js";
import { FALLBACK, SupersedeIndex } from "../../firmware-sim/littlefs/supersede-index.js";
import { mktag } from "../../firmware-sim/littlefs/tag.js";
import { rng } from "../littlefs-fuzz/craft.js";
import { forEachMdirLog } from "./mdir-walk.js";
import { churnedImage } from "./scenarios.js";
import { loadManifest, mountVector } from "./vectors.js";

interface Tally {
  compared: number;
  superseded: number;
  moved: number;
  /** Answers left to the scan, and how many of those were for candidates not at id 0x3ff. */
  fallbacks: number;
  fallbacksBelow3ff: number;
}

/** Compare the index with the scan for `candidates` against the log `tags[0..n)`, from every position. */
function compareLog(tags: Int32Array, n: number, candidates: (i: number) => number[], t: Tally): void {
  const index = new SupersedeIndex(Math.max(n, 1));
  index.build(tags, n);
  for (let i = 0; i <= n; i++) {
    for (const tag of candidates(i)) {
      const want = supersededScan(tag, tags, i + 1, n);
      const got = index.usable ? index.scan(tags, tag, i + 1) : FALLBACK;
      if (got === FALLBACK) {
        t.fallbacks += 1;
        if (((tag >>> 10) & 0x3ff) !== 0x3ff) t.fallbacksBelow3ff += 1;
        continue;
      }
      if (got !== want) {
        const log = Array.from(tags.subarray(0, n), (x) => (x >>> 0).toString(16));
        expect({ i, tag: (tag >>> 0).toString(16), got, log }).toEqual({
          i,
          tag: (tag >>> 0).toString(16),
          got: want,
          log,
        });
      }
      t.compared += 1;
      if (want < 0) t.superseded += 1;
      else if (((want >>> 10) & 0x3ff) !== ((tag >>> 10) & 0x3ff)) t.moved += 1;
    }
  }
}

/** Every mdir on the tail list: each logged tag as the candidate, from its own position. */
function compareImage(lfs: Lfs): Tally {
  const t: Tally = { compared: 0, superseded: 0, moved: 0, fallbacks: 0, fallbacksBelow3ff: 0 };
  forEachMdirLog(lfs, (_, log) => {
    const tags = log.tags;
    compareLog(tags, log.count, (i) => (i < log.count ? [tags[i]!] : []), t);
  });
  return t;
}

/** Tag types a log can hold, weighted towards what an mdir holds. */
const TYPES = [
  0x001, 0x001, 0x002, 0x200, 0x201, 0x202, 0x202, 0x300, 0x374, 0x3ff, 0x401, 0x401, 0x401, 0x4ff, 0x4ff,
  0x400, 0x402, 0x4fe, 0x500, 0x600, 0x601, 0x7ff, 0x0ff, 0x103,
];
/** Tags only the plain scan handles (NOOP, MOVE, USERATTRS). */
const FROM_TYPES = [0x000, 0x101, 0x102];

function randomLog(
  r: () => number,
  n: number,
  fromTags: boolean,
  idRange: number,
  idBase: number,
): Int32Array {
  const tags = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let type = TYPES[Math.floor(r() * TYPES.length)]!;
    if (fromTags && r() < 0.02) type = FROM_TYPES[Math.floor(r() * FROM_TYPES.length)]!;
    const id = r() < 0.05 ? 0x3ff : Math.min(0x3ff, idBase + Math.floor(r() * idRange));
    const size = r() < 0.05 ? 0x3ff : Math.floor(r() * 64);
    tags[j] = mktag(type, id, size) | 0x80000000;
  }
  return tags;
}

describe("SupersedeIndex", () => {
  it.each(loadManifest().map((img) => [img.file, img] as const))("%s: same answers as the scan", (_, img) => {
    const t = compareImage(mountVector(img).internals());
    expect(t.compared).toBeGreaterThan(0);
    // only global tags (id 0x3ff: tail, CRC, gstate) go to the scan: a create moves them past
    // 0x3ff, where lfs.c's arithmetic carries into the type; compactions never ask about them
    expect(t.fallbacksBelow3ff).toBe(0);
  });

  it.each([
    [512, 16],
    [4096, 64],
  ])("churned image (block %i, cache %i): same answers as the scan", (blockSize, cacheSize) => {
    const { fs } = churnedImage(blockSize, cacheSize, 7);
    const t = compareImage(fs.internals());
    expect(t.compared).toBeGreaterThan(100);
    // the churn leaves superseded tags and splices that move later ids
    expect(t.superseded).toBeGreaterThan(10);
    expect(t.moved).toBeGreaterThan(10);
    expect(t.fallbacksBelow3ff).toBe(0);
  });

  it.each([
    ["few ids", 4, 0],
    ["many ids", 40, 0],
    ["ids near 0x3ff", 6, 0x3fa],
  ])("random logs, %s: same answers as the scan", (_, idRange, idBase) => {
    const r = rng(idRange * 7 + idBase);
    const t: Tally = { compared: 0, superseded: 0, moved: 0, fallbacks: 0, fallbacksBelow3ff: 0 };
    for (let round = 0; round < 150; round++) {
      const n = 1 + Math.floor(r() * 120);
      const tags = randomLog(r, n, round % 5 === 4, idRange, idBase);
      // each logged tag, and candidates that are not in the log (other types, ids, sizes)
      compareLog(
        tags,
        n,
        (i) => {
          const own = i < n ? [tags[i]!] : [];
          const id = Math.min(0x3ff, idBase + Math.floor(r() * idRange));
          const type = TYPES[Math.floor(r() * 10)]!;
          return [...own, mktag(type, id, Math.floor(r() * 32)) | 0x80000000];
        },
        t,
      );
    }
    expect(t.compared).toBeGreaterThan(5000);
    expect(t.superseded).toBeGreaterThan(500);
    expect(t.moved).toBeGreaterThan(200);
    // logs with NOOP/MOVE/USERATTRS tags and ids pushed past 0..0x3ff go to the scan
    expect(t.fallbacks).toBeGreaterThan(0);
  });

  it("refuses a log longer than its room", () => {
    expect(() => new SupersedeIndex(4).build(new Int32Array(8), 8)).toThrow(RangeError);
  });
});
