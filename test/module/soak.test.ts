/**
 * Soak (FLASHBAK_SOAK=1 only; minutes of CPU, so not in CI): hundreds of random steps on one
 * hardened module on littlefs, each step cut short by a power cut at a random write operation
 * (clean or torn) about half of the time. After every step the module powers on again and
 * boots; then every protected file must exist with one of the contents it ever legitimately
 * had, the next boot must restore nothing, and every SecureData index must read one of the
 * values ever stored there.
 */
import { describe, expect, it } from "vitest";
import { isPowerLoss } from "../../firmware-sim/errors.js";
import { Rng } from "../../firmware-sim/flash/faults.js";
import type { FlashSnapshot } from "../../firmware-sim/flash/nor-flash.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { writeFile } from "../../firmware-sim/fs/fs-util.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import { capacityOf } from "../../firmware-sim/module/securedata-layout.js";
import { board, dec, enc, littlefsRig, sampleFiles } from "./helpers.js";

const SOAK = process.env.FLASHBAK_SOAK === "1";
const STEPS = Number(process.env.FLASHBAK_SOAK_STEPS ?? 400);

function powerOn(snap: FlashSnapshot, cutAt?: number, torn = false): Module {
  const plan =
    cutAt === undefined ? undefined : { at: cutAt, when: torn ? ("during" as const) : ("after" as const) };
  const flash = NorFlash.fromSnapshot(snap, { powerCut: plan, seed: cutAt ?? 1 });
  return new Module({ board, flash, fsDriver: new LittleFsDriver(), restoreMode: "hardened" });
}

describe.skipIf(!SOAK)("module soak: random work under random power cuts (FLASHBAK_SOAK=1)", () => {
  it(`survives ${STEPS} random steps`, () => {
    const rng = new Rng(2026);
    const rig = littlefsRig();
    rig.module("hardened").boot();
    let snap = rig.flash.snapshot();
    const allowed = new Map<string, Set<string>>();
    for (const f of sampleFiles().filter((x) => x.backup)) allowed.set(f.path, new Set([dec(f.data)]));
    const secure = new Map<number, Set<string>>();
    const paths = [...allowed.keys()];
    for (let step = 0; step < STEPS; step++) {
      const kind = rng.below(5);
      const path = paths[rng.below(paths.length)]!;
      const text = `step ${step}\n` + "#".repeat(rng.below(3000));
      const index = 1 + rng.below(16);
      const value = new Uint8Array(1 + rng.below(capacityOf(index))).map(() => rng.byte());
      const work = (m: Module): void => {
        m.boot();
        if (kind === 0) {
          writeFile(m.usr, path.slice(4), enc(text));
          m.fileCrc32.calc(path);
        } else if (kind === 1) {
          writeFile(m.usr, path.slice(4), enc("unsanctioned edit"));
        } else if (kind === 2) {
          m.appFota.stage(path, enc(text));
          m.appFota.set_update_flag();
        } else if (kind === 3) {
          m.secureData.Store(index, value, value.length);
        }
      };
      if (kind === 0 || kind === 2) allowed.get(path)!.add(text);
      if (kind === 3) {
        if (!secure.has(index)) secure.set(index, new Set());
        secure.get(index)!.add(Buffer.from(value).toString("hex"));
      }
      const probe = powerOn(snap);
      work(probe);
      const ops = probe.flash.writeOperations;
      const cut = rng.below(2) === 0 && ops > 0 ? 1 + rng.below(ops) : undefined;
      const m = powerOn(snap, cut, rng.below(2) === 0);
      try {
        work(m);
      } catch (e) {
        if (!isPowerLoss(e)) throw e;
      }
      const after = powerOn(m.flash.snapshot());
      after.boot();
      for (const [p, ok] of allowed) {
        expect(after.vfs.exists(p), `step ${step}: ${p} lost`).toBe(true);
        expect(ok.has(dec(after.vfs.readFile(p))), `step ${step}: ${p} corrupt`).toBe(true);
      }
      expect(after.softReboot().restore.restored, `step ${step}`).toEqual([]);
      for (const [i, values] of secure) {
        const got = after.secureData.read(i);
        if (got !== -2)
          expect(values.has(Buffer.from(got as Uint8Array).toString("hex")), `step ${step}: index ${i}`).toBe(
            true,
          );
      }
      snap = after.flash.snapshot();
    }
  });
});
