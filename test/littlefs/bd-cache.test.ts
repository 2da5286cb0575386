/**
 * bdProg programs whole cache lines straight from the caller's data. That must be invisible:
 * the same device operations, the same result and the same cache state as copying the data
 * into the program cache and flushing it (which is what happens when the data arrives in
 * pieces smaller than a cache line), on success, on a failed prog, on a failed read-back and
 * when the device throws what bd-cache does not turn into a code.
 */
import { describe, expect, it } from "vitest";
import { FlashbakError } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice, type BlockDevice } from "../../firmware-sim/flash/block-device.js";
import { bdProg } from "../../firmware-sim/littlefs/bd-cache.js";
import { resolveConfig } from "../../firmware-sim/littlefs/config.js";
import { initLfs, type Cache, type Lfs } from "../../firmware-sim/littlefs/state.js";

type Fault = "none" | "prog-error" | "prog-noop" | "prog-not-erased";

/** A RAM device that logs every operation and fails the prog at `failAt` (block, offset). */
function device(fault: Fault, failAt: [number, number]): { bd: BlockDevice; log: string[] } {
  const mem = new MemoryBlockDevice({
    readSize: 1,
    progSize: 1,
    blockSize: 4096,
    blockCount: 8,
    eraseValue: 0xff,
  });
  const log: string[] = [];
  const bd: BlockDevice = {
    geometry: mem.geometry,
    readOnly: false,
    read(block, off, into) {
      log.push(`read ${block}:${off}+${into.length}`);
      mem.read(block, off, into);
    },
    prog(block, off, data) {
      log.push(`prog ${block}:${off}+${data.length} ${Buffer.from(data).toString("hex")}`);
      if (block === failAt[0] && off === failAt[1]) {
        if (fault === "prog-error") throw new FlashbakError("FLASH_BAD_SECTOR", "worn out");
        if (fault === "prog-noop") return;
        // a contract violation: bd-cache rethrows it instead of returning CORRUPT
        if (fault === "prog-not-erased") throw new FlashbakError("BD_NOT_ERASED", "not erased");
      }
      mem.prog(block, off, data);
    },
    erase(block) {
      log.push(`erase ${block}`);
      mem.erase(block);
    },
    sync() {},
  };
  return { bd, log };
}

function state(c: Cache): object {
  return { block: c.block, off: c.off, size: c.size, buffer: [...c.buffer] };
}

/** Write `data` at (block, off) through a file-style cache in pieces of `piece` bytes. */
function run(
  fault: Fault,
  cacheSize: number,
  progSize: number,
  off: number,
  data: Uint8Array,
  piece: number,
) {
  const { bd, log } = device(fault, [3, off + cacheSize]);
  const lfs: Lfs = initLfs(
    bd,
    resolveConfig({ readSize: progSize, progSize, cacheSize }, bd.geometry),
    false,
  );
  const fileCache: Cache = {
    block: 0xffffffff,
    off: 0,
    size: 0,
    buffer: new Uint8Array(cacheSize).fill(0xab),
    views: [],
  };
  let err: number | string = 0;
  try {
    for (let at = 0; at < data.length && err === 0; at += piece) {
      err = bdProg(
        lfs,
        fileCache,
        lfs.rcache,
        true,
        3,
        off + at,
        data,
        at,
        Math.min(piece, data.length - at),
      );
    }
  } catch (e) {
    err = (e as FlashbakError).code;
  }
  return { err, log, pcache: state(fileCache), rcache: state(lfs.rcache) };
}

describe("bdProg: whole lines from the data behave as lines through the cache", () => {
  it.each([
    ["none", 64, 16],
    ["prog-error", 64, 16],
    ["prog-noop", 64, 16],
    ["none", 512, 128],
    ["prog-error", 512, 128],
    ["prog-noop", 512, 128],
    ["prog-not-erased", 64, 16],
    ["prog-not-erased", 512, 128],
  ] as [Fault, number, number][])("%s, cache %i, prog %i", (fault, cacheSize, progSize) => {
    for (const [off, length] of [
      [0, 3 * cacheSize + progSize + 5],
      [progSize, 3 * cacheSize + progSize + 5],
      [0, 2 * cacheSize],
    ] as const) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 13 + 7) & 0xff);
      const whole = run(fault, cacheSize, progSize, off, data, data.length);
      // pieces of half a line never fill a line in one go, so they always go through the cache
      const pieces = run(fault, cacheSize, progSize, off, data, cacheSize / 2);
      expect(whole.err).toBe(
        { none: 0, "prog-error": -84, "prog-noop": -84, "prog-not-erased": "BD_NOT_ERASED" }[fault],
      );
      expect(whole).toEqual(pieces);
    }
  });
});
