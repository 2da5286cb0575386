/**
 * Test helper: every mdir on an image's tail list, fetched, with its log decoded once
 * (mdir-log.ts), for tests that check a decoded-log shortcut against lfs.c's own scan.
 */
import { expect } from "vitest";
import { dirFetch } from "../../firmware-sim/littlefs/mdir-fetch.js";
import { decodeLog, type DecodedLog } from "../../firmware-sim/littlefs/mdir-log.js";
import { newMdir, type Lfs, type MDir } from "../../firmware-sim/littlefs/state.js";
import { pairIsNull } from "../../firmware-sim/littlefs/tag.js";

/** Call `fn` with each mdir on the tail list and its decoded log (released afterwards). */
export function forEachMdirLog(lfs: Lfs, fn: (dir: MDir, log: DecodedLog) => void): void {
  const dir = newMdir();
  dir.tail = [0, 1];
  for (let hops = 0; !pairIsNull(dir.tail); hops++) {
    expect(hops).toBeLessThan(lfs.blockCount);
    expect(dirFetch(lfs, dir, [dir.tail[0], dir.tail[1]])).toBe(0);
    const log = decodeLog(lfs, dir, 0, 0xffffffff);
    if (typeof log === "number") throw new Error(`decodeLog failed: ${log}`);
    try {
      fn(dir, log);
    } finally {
      log.release();
    }
  }
}
