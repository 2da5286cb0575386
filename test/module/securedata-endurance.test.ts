/**
 * The endurance figure stated in DESIGN.md ("Module and boot", SecureData): the region is 4
 * sectors of 100,000 erase cycles; the log spreads erases evenly, so it survives
 * 4 x 100,000 / (erases per Store) Stores. This measures erases per Store on the NOR model for
 * the stated workloads and checks the published figures against the measurement.
 */
import { describe, expect, it } from "vitest";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import { SecureData } from "../../firmware-sim/module/securedata.js";
import { capacityOf } from "../../firmware-sim/module/securedata-layout.js";
import { board } from "./helpers.js";

const region = board.partitions.find((p) => p.type === "securedata")!;
const ENDURANCE = 100_000;

/** Published in DESIGN.md: Stores the 16 KiB region survives, per workload. */
const STATED = {
  "1000-byte Stores (indexes 15/16 alternating)": 800_000,
  "full-capacity round robin over all 16 indexes": 1_400_000,
  "52-byte Stores to one index": 11_000_000,
} as const;

function measure(workload: keyof typeof STATED, stores: number): { erasesPerStore: number; spread: number } {
  const flash = boardFlash(board);
  const sd = new SecureData(partitionDevice(flash, board, region.name));
  for (let k = 0; k < stores; k++) {
    let index: number;
    if (workload.startsWith("1000")) index = 15 + (k % 2);
    else if (workload.startsWith("full")) index = (k % 16) + 1;
    else index = 1;
    const v = new Uint8Array(capacityOf(index)).fill(k & 0xff);
    expect(sd.Store(index, v, v.length)).toBe(0);
  }
  const first = region.offset / flash.sectorSize;
  const wear = [...flash.wear().subarray(first, first + region.size / flash.sectorSize)];
  const erases = wear.reduce((a, b) => a + b, 0);
  return { erasesPerStore: erases / stores, spread: Math.max(...wear) - Math.min(...wear) };
}

describe("SecureData endurance", () => {
  it.each(Object.keys(STATED) as Array<keyof typeof STATED>)(
    "%s: the stated figure matches the measurement",
    (w) => {
      const { erasesPerStore, spread } = measure(w, 3000);
      const sectors = region.size / 4096;
      const survives = (sectors * ENDURANCE) / erasesPerStore;
      // Wear is even, so the first sector to wear out does so when the total reaches the figure.
      expect(spread).toBeLessThanOrEqual(1);
      // The figure is stated rounded down to two significant digits.
      expect(STATED[w]).toBeLessThanOrEqual(survives);
      expect(STATED[w]).toBeGreaterThan(survives * 0.9);
    },
  );
});
