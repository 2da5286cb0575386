/**
 * Cut-point sweeps over a module on littlefs: run a workload on a fresh power-on of a flash
 * snapshot with power cut after write operation N, then power on again from what the cut left.
 */
import { expect } from "vitest";
import { isPowerLoss } from "../../firmware-sim/errors.js";
import type { CutWhen } from "../../firmware-sim/flash/faults.js";
import type { FlashSnapshot } from "../../firmware-sim/flash/nor-flash.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { board } from "./helpers.js";

export function powerOn(
  snap: FlashSnapshot,
  mode: RestoreMode,
  cut?: { at: number; when?: CutWhen },
): Module {
  const flash = NorFlash.fromSnapshot(snap, cut === undefined ? {} : { powerCut: cut, seed: cut.at });
  return new Module({ board, flash, fsDriver: new LittleFsDriver(), restoreMode: mode });
}

/** Write operations the workload performs without a cut. */
export function countOps(snap: FlashSnapshot, mode: RestoreMode, work: (m: Module) => void): number {
  const m = powerOn(snap, mode);
  work(m);
  return m.flash.writeOperations;
}

/** Run `work` with a cut at `at`; returns the snapshot after the cut and whether it was hit. */
export function cutAt(
  snap: FlashSnapshot,
  mode: RestoreMode,
  at: number,
  work: (m: Module) => void,
  when: CutWhen = "after",
): { snap: FlashSnapshot; cut: boolean } {
  const m = powerOn(snap, mode, { at, when });
  try {
    work(m);
    return { snap: m.flash.snapshot(), cut: false };
  } catch (e) {
    if (!isPowerLoss(e)) throw e;
    return { snap: m.flash.snapshot(), cut: true };
  }
}

/**
 * For every cut point 1..N: cut, power on again and boot, then call `judge` with the booted
 * module; returns the cut points `judge` rejected (with its reason).
 */
export function sweep(
  snap: FlashSnapshot,
  mode: RestoreMode,
  work: (m: Module) => void,
  judge: (m: Module) => string | undefined,
  when: CutWhen = "after",
): { total: number; failures: Array<{ at: number; why: string }> } {
  const total = countOps(snap, mode, work);
  expect(total).toBeGreaterThan(0);
  const failures: Array<{ at: number; why: string }> = [];
  for (let at = 1; at <= total; at++) {
    const r = cutAt(snap, mode, at, work, when);
    expect(r.cut).toBe(true);
    const m = powerOn(r.snap, mode);
    m.boot();
    const why = judge(m);
    if (why !== undefined) failures.push({ at, why });
  }
  return { total, failures };
}
