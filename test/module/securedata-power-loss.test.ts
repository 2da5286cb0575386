/**
 * SecureData under power loss: cut after (and during) every flash write operation of a Store
 * workload that crosses several garbage collections; the next power-on must read every index
 * as its complete old value or its complete new value (-2 if it had none), and keep working.
 */
import { describe, expect, it } from "vitest";
import { isPowerLoss } from "../../firmware-sim/errors.js";
import type { PowerCutPlan } from "../../firmware-sim/flash/faults.js";
import { Rng } from "../../firmware-sim/flash/faults.js";
import type { FlashSnapshot } from "../../firmware-sim/flash/nor-flash.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import { SecureData } from "../../firmware-sim/module/securedata.js";
import { capacityOf } from "../../firmware-sim/module/securedata-layout.js";
import { board } from "./helpers.js";

const region = board.partitions.find((p) => p.type === "securedata")!;
const open = (flash: NorFlash): SecureData => new SecureData(partitionDevice(flash, board, region.name));

function valueFor(index: number, k: number): Uint8Array {
  const len = capacityOf(index) - (k % 5);
  return new Uint8Array(len).map((_, j) => (k * 101 + j * 7 + index) & 0xff);
}

function readAll(sd: SecureData): Map<number, Uint8Array | number> {
  const out = new Map<number, Uint8Array | number>();
  for (let i = 1; i <= 16; i++) {
    const buf = new Uint8Array(capacityOf(i));
    const n = sd.Read(i, buf, buf.length);
    out.set(i, n < 0 ? n : buf.slice(0, n));
  }
  return out;
}

/** A base flash with some indexes already stored, and a workload that runs several GCs. */
function setup(): {
  base: FlashSnapshot;
  before: Map<number, Uint8Array | number>;
  work: Array<[number, Uint8Array]>;
} {
  const flash = boardFlash(board);
  const sd = open(flash);
  for (let k = 0; k < 10; k++) sd.Store((k % 16) + 1, valueFor((k % 16) + 1, k), 1000);
  const work: Array<[number, Uint8Array]> = [];
  for (let k = 0; k < 21; k++) {
    const index = [15, 3, 16, 9, 13, 11, 1][k % 7]!;
    work.push([index, valueFor(index, 100 + k)]);
  }
  return { base: flash.snapshot(), before: readAll(sd), work };
}

function opsOf(base: FlashSnapshot, work: Array<[number, Uint8Array]>): number {
  const f = NorFlash.fromSnapshot(base, {});
  const sd = open(f);
  for (const [i, v] of work) expect(sd.Store(i, v, v.length)).toBe(0);
  return f.writeOperations;
}

/** Run the workload with a cut; check the old-or-new oracle on the next power-on. */
function runCut(
  base: FlashSnapshot,
  before: Map<number, Uint8Array | number>,
  work: Array<[number, Uint8Array]>,
  plan: PowerCutPlan,
): FlashSnapshot {
  const f = NorFlash.fromSnapshot(base, { powerCut: plan, seed: plan.at });
  const committed = new Map(before);
  let inFlight: [number, Uint8Array] | undefined;
  try {
    const sd = open(f);
    for (const w of work) {
      inFlight = w;
      sd.Store(w[0], w[1], w[1].length);
      committed.set(w[0], w[1]);
      inFlight = undefined;
    }
  } catch (e) {
    if (!isPowerLoss(e)) throw e;
  }
  const after = NorFlash.fromSnapshot(f.snapshot(), {});
  const got = readAll(open(after));
  for (let i = 1; i <= 16; i++) {
    const allowed = [committed.get(i)!];
    if (inFlight !== undefined && inFlight[0] === i) allowed.push(inFlight[1]);
    expect(allowed, `cut ${JSON.stringify(plan)}, index ${i}`).toContainEqual(got.get(i));
  }
  return after.snapshot();
}

describe("SecureData power-loss sweep", () => {
  const { base, before, work } = setup();
  const total = opsOf(base, work);

  it("the workload crosses garbage collections (erases happen)", () => {
    const f = NorFlash.fromSnapshot(base, {});
    const sd = open(f);
    for (const [i, v] of work) sd.Store(i, v, v.length);
    expect(f.stats().erases).toBeGreaterThanOrEqual(3);
    expect(total).toBeGreaterThan(50);
  });

  it.each(["after", "before"] as const)("a clean cut %s every write operation leaves old or new", (when) => {
    for (let at = 1; at <= total; at++) {
      const next = runCut(base, before, work, { at, when });
      // The store keeps working after the cut: the whole workload again, through more GCs.
      const f = NorFlash.fromSnapshot(next, {});
      const sd = open(f);
      const last = new Map<number, Uint8Array>();
      for (const [i, v] of work) {
        expect(sd.Store(i, v, v.length)).toBe(0);
        last.set(i, v);
      }
      const again = readAll(open(NorFlash.fromSnapshot(f.snapshot(), {})));
      for (const [i, v] of last) expect(again.get(i)).toEqual(v);
    }
  });

  it.each(["prefix", "bits"] as const)(
    "a torn write operation (%s) at every point leaves old or new",
    (tear) => {
      for (let at = 1; at <= total; at++) runCut(base, before, work, { at, when: "during", tear });
    },
  );

  it("repeated cuts, including cuts during the recovery of an earlier cut, never tear a record", () => {
    const rng = new Rng(7);
    for (let run = 0; run < 25; run++) {
      let snap = base;
      let known = new Map(before);
      for (let cut = 0; cut < 4; cut++) {
        const at = 1 + rng.below(Math.max(1, total / 2));
        const next = runCut(snap, known, work, { at, when: rng.below(2) === 0 ? "after" : "during" });
        snap = next;
        known = readAll(open(NorFlash.fromSnapshot(snap, {})));
      }
    }
  });
});
