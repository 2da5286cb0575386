/**
 * A fetch that resumes from a memo (fetch-memo.ts) must give exactly what a full scan of the
 * block gives: the same tag or error, the same insertion id, the same mdir state and the same
 * seed; and a memo must never hide a change to the block made behind the file system's back.
 */
import { describe, expect, it } from "vitest";
import { fetchMemoBlocks, memoFor } from "../../firmware-sim/littlefs/fetch-memo.js";
import { dirFetchMatch, dirGetInfo, nameMatcher } from "../../firmware-sim/littlefs/mdir-fetch.js";
import { newMdir, type Lfs, type MDir } from "../../firmware-sim/littlefs/state.js";
import { TYPE_NAME, mktag, pairIsNull, type Pair } from "../../firmware-sim/littlefs/tag.js";
import { churnedImage } from "./scenarios.js";
import { loadManifest, mountVector } from "./vectors.js";

const utf8 = new TextEncoder();

interface Outcome {
  res: number;
  id: number;
  seed: number;
  dir: Omit<MDir, "tail" | "pair"> & { tail: number[]; pair: number[] };
}

/** One fetch of `pair` looking for `name` (null: a plain fetch), from a fixed seed. */
function fetchOnce(lfs: Lfs, pair: Pair, name: Uint8Array | null, fresh: boolean): Outcome {
  if (fresh) lfs.fetchMemos.clear();
  lfs.seed = 0x1234567;
  const dir = newMdir();
  const idOut = { id: -1 };
  const res =
    name === null
      ? dirFetchMatch(lfs, dir, pair, 0xffffffff, 0xffffffff, null, null)
      : dirFetchMatch(
          lfs,
          dir,
          pair,
          mktag(0x780, 0, 0),
          mktag(TYPE_NAME, 0, Math.min(name.length, 0x3ff)),
          idOut,
          nameMatcher(lfs, name),
        );
  return { res, id: idOut.id, seed: lfs.seed, dir: { ...dir, tail: [...dir.tail], pair: [...dir.pair] } };
}

/** Every mdir pair on the tail list, with the names its entries have. */
function mdirs(lfs: Lfs): Array<{ pair: Pair; names: Uint8Array[] }> {
  const out: Array<{ pair: Pair; names: Uint8Array[] }> = [];
  const dir = newMdir();
  dir.tail = [0, 1];
  for (let hops = 0; !pairIsNull(dir.tail); hops++) {
    expect(hops).toBeLessThan(lfs.blockCount);
    const pair: Pair = [dir.tail[0], dir.tail[1]];
    expect(fetchOnce(lfs, pair, null, true).res).toBe(0);
    expect(dirFetchMatch(lfs, dir, pair, 0xffffffff, 0xffffffff, null, null)).toBe(0);
    const names: Uint8Array[] = [];
    for (let id = 0; id < dir.count; id++) {
      const info = { type: 0, size: 0, name: new Uint8Array(0) };
      if (dirGetInfo(lfs, dir, id, info) === 0) names.push(info.name);
    }
    out.push({ pair, names });
  }
  return out;
}

/** Compare memo-resumed fetches with full scans for every mdir and name (and a few absent ones). */
function compareAll(lfs: Lfs): number {
  let compared = 0;
  for (const { pair, names } of mdirs(lfs)) {
    const queries: Array<Uint8Array | null> = [null, ...names, utf8.encode("~absent"), utf8.encode("")];
    for (const q of queries) {
      const full = fetchOnce(lfs, pair, q, true);
      // prime with a different lookup, so that the replayed match is not the one recorded
      fetchOnce(lfs, pair, utf8.encode("primer"), true);
      const memo = lfs.fetchMemos.get(full.dir.pair[0]!);
      expect(memo?.len).toBe(full.dir.off);
      expect(fetchOnce(lfs, pair, q, false)).toEqual(full);
      compared += 1;
    }
  }
  return compared;
}

function churned(blockSize: number, cacheSize: number): ReturnType<typeof churnedImage> {
  return churnedImage(blockSize, cacheSize, 11);
}

describe("fetches resumed from a memo", () => {
  it.each(loadManifest().map((img) => [img.file, img] as const))(
    "%s: same results as a full scan",
    (_, img) => {
      const fs = mountVector(img);
      expect(compareAll(fs.internals())).toBeGreaterThan(0);
    },
  );

  it.each([
    [512, 16],
    [4096, 64],
  ])("churned image (block %i, cache %i): same results as a full scan", (blockSize, cacheSize) => {
    const { fs } = churned(blockSize, cacheSize);
    expect(fs.readdir("/d").length).toBeGreaterThan(30);
    expect(compareAll(fs.internals())).toBeGreaterThan(30);
  });

  it.each([
    ["the revision count", 0],
    ["the first commit", 9],
    ["the last verified commit's CRC", -1],
  ])("sees a byte of %s changed behind the file system's back", (_, at) => {
    const { bd, fs } = churned(4096, 64);
    const lfs = fs.internals();
    const { pair, names } = mdirs(lfs).at(-1)!;
    const name = names[names.length >> 1]!;
    const before = fetchOnce(lfs, pair, name, true);
    const blk = before.dir.pair[0]!;
    const memo = lfs.fetchMemos.get(blk)!;
    expect(memo.len).toBe(before.dir.off);
    // flip a bit inside the memo's verified prefix, straight in the device's memory (-1: in
    // the CRC after the last commit's CRC tag; the padding after it is not checked)
    const off = at >= 0 ? at : memo.offs[memo.n - 1]! + 5;
    bd.data[blk * 4096 + off]! ^= 0x08;
    const after = fetchOnce(lfs, pair, name, false);
    expect(after).toEqual(fetchOnce(lfs, pair, name, true));
    // and the change mattered: a memo trusted blindly would have answered as before
    expect(after).not.toEqual(before);
  });

  it("remembers a bounded number of blocks, most recently fetched kept", () => {
    const { fs } = churned(512, 16);
    const lfs = fs.internals();
    lfs.fetchMemos.clear();
    expect(fetchMemoBlocks(512)).toBe(64);
    expect(fetchMemoBlocks(64 * 1024)).toBe(16);
    expect(fetchMemoBlocks(1 << 20)).toBe(8);
    for (let b = 0; b < 64 + 10; b++) memoFor(lfs, b).len = b + 1;
    expect(lfs.fetchMemos.size).toBe(64);
    expect(lfs.fetchMemos.has(9)).toBe(false);
    expect(lfs.fetchMemos.has(10)).toBe(true);
    // a reused memo starts empty
    expect(memoFor(lfs, 1000).len).toBe(0);
    expect(lfs.fetchMemos.has(10)).toBe(false);
  });
});
