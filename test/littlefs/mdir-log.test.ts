/**
 * Lookups over a decoded log (mdir-log.ts) must give exactly what lfs.c's backward scan over the
 * device gives: the same tag (id adjusted, valid bit clear), the same payload, the same NOENT.
 * Checked for every id of every mdir of every reference image and of images we churn ourselves
 * (deletes, renames and splits leave splices and superseded tags in the logs).
 */
import { describe, expect, it } from "vitest";
import { dirGet } from "../../firmware-sim/littlefs/mdir-fetch.js";
import type { Lfs } from "../../firmware-sim/littlefs/state.js";
import {
  TYPE_CREATE,
  TYPE_NAME,
  TYPE_STRUCT,
  TYPE_TAIL,
  TYPE_USERATTR,
  mktag,
} from "../../firmware-sim/littlefs/tag.js";
import { forEachMdirLog } from "./mdir-walk.js";
import { churnedImage } from "./scenarios.js";
import { loadManifest, mountVector } from "./vectors.js";

/** The lookups a file system makes: by type class, by exact type, global (id-less) ones. */
const LOOKUPS: Array<{ what: string; gmask: number; type: number; size: number; perId: boolean }> = [
  { what: "struct", gmask: mktag(0x700, 0x3ff, 0), type: TYPE_STRUCT, size: 8, perId: true },
  { what: "name", gmask: mktag(0x780, 0x3ff, 0), type: TYPE_NAME, size: 32, perId: true },
  { what: "create", gmask: mktag(0x7ff, 0x3ff, 0), type: TYPE_CREATE, size: 0, perId: true },
  { what: "mtime attr", gmask: mktag(0x7ff, 0x3ff, 0), type: TYPE_USERATTR + 0x74, size: 4, perId: true },
  { what: "tail", gmask: mktag(0x700, 0x000, 0), type: TYPE_TAIL, size: 8, perId: false },
];

/** Compare both lookups for every id (and one past the end) of every mdir on the tail list. */
function compareAll(lfs: Lfs): number {
  let compared = 0;
  forEachMdirLog(lfs, (dir, log) => {
    for (const l of LOOKUPS) {
      const ids = l.perId ? dir.count + 1 : 1;
      for (let id = 0; id < ids; id++) {
        const gtag = mktag(l.type, l.perId ? id : 0x3ff, l.size);
        const a = new Uint8Array(l.size).fill(0xaa);
        const b = new Uint8Array(l.size).fill(0x55);
        const scanned = dirGet(lfs, dir, l.gmask, gtag, a);
        const decoded = dirGet(lfs, dir, l.gmask, gtag, b, log);
        expect({ what: l.what, id, tag: decoded }).toEqual({ what: l.what, id, tag: scanned });
        if (scanned >= 0) expect(b).toEqual(a);
        compared += 1;
      }
    }
  });
  return compared;
}

describe("dirGet over a decoded log", () => {
  it.each(loadManifest().map((img) => [img.file, img] as const))("%s: same results as the scan", (_, img) => {
    const fs = mountVector(img);
    expect(compareAll(fs.internals())).toBeGreaterThan(0);
  });

  it.each([
    [512, 16],
    [4096, 64],
  ])("churned image (block %i, cache %i): same results as the scan", (blockSize, cacheSize) => {
    const { fs } = churnedImage(blockSize, cacheSize, 7);
    expect(fs.readdir("/d").length).toBeGreaterThan(30);
    expect(compareAll(fs.internals())).toBeGreaterThan(100);
  });
});
