/**
 * Worn-out sectors on the NOR model (littlefs's bad-block behaviours): programs or erases that
 * fail, or programs that silently do nothing. littlefs must relocate (read-back mismatch or
 * error -> CORRUPT -> new block) and keep every completed write readable until NOSPC.
 */
import { describe, expect, it } from "vitest";
import { FsError } from "../../firmware-sim/errors.js";
import { chips, withSize } from "../../firmware-sim/flash/chips.js";
import type { BadSectorBehavior } from "../../firmware-sim/flash/faults.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { PartitionBlockDevice } from "../../firmware-sim/flash/partition-block-device.js";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { bytes } from "./scenarios.js";

const behaviours: BadSectorBehavior[] = ["prog-error", "erase-error", "prog-noop"];
const cycles = [-1, 5];

describe.each(behaviours)("bad sectors that %s", (behaviour) => {
  it.each(cycles)("block_cycles %i: data survives until NOSPC", (blockCycles) => {
    const blocks = 20;
    const flash = new NorFlash({
      chip: withSize(chips.w25q32!, blocks * 4096),
      endurance: 6,
      badSectorBehavior: behaviour,
    });
    const bd = new PartitionBlockDevice(flash, { name: "lfs", offset: 0, size: blocks * 4096 });
    const cfg = { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 16, blockCycles };
    LittleFs.format(bd, cfg);
    const fs = LittleFs.mount(bd, cfg);
    fs.mkdir("/d");
    const last = new Map<string, Uint8Array>();
    let writes = 0;
    let stop = "";
    for (let i = 0; i < 150 && stop === ""; i++) {
      const path = i % 3 === 0 ? "/d/b.bin" : i % 3 === 1 ? "/a.txt" : "/d/c.txt";
      const data = bytes(i, i % 3 === 0 ? 3000 : 30 + (i % 50));
      try {
        writeFile(fs, path, data);
        last.set(path, data);
        writes += 1;
        expect(readFile(fs, path)).toEqual(data);
      } catch (e) {
        if (!(e instanceof FsError)) throw e;
        stop = e.code;
      }
    }
    // wear must have been exercised: some sectors went bad before the end
    expect([...Array(blocks).keys()].some((s) => flash.isBad(s))).toBe(true);
    expect(writes).toBeGreaterThan(20);
    if (stop !== "") expect(stop).toBe("LFS_NOSPC");
    // everything that was written successfully is still there after a remount
    const again = LittleFs.mount(bd, cfg, { readOnly: true });
    for (const [p, d] of last) expect(readFile(again, p)).toEqual(d);
    expect(again.check().ok).toBe(true);
  });
});
