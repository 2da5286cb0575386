/**
 * A random fault campaign: each run injects several line faults (dropped bytes, flipped bits,
 * bursts of frame delimiters, in both directions) and maybe a power cut at a random flash
 * operation. Whatever happens, the module must end up verified after at most a few re-runs of
 * the same flash, and every failure on the way must be a typed, resumable error.
 * 12 seeds run in CI; FLASHBAK_SOAK=1 runs 300.
 */
import { describe, expect, it } from "vitest";
import { FlashbakError } from "../../../firmware-sim/errors.js";
import { Rng } from "../../../firmware-sim/flash/faults.js";
import { flashModule } from "../../../tools/flasher/flash-job.js";
import { planFlash } from "../../../tools/flasher/flash-plan.js";
import type { Direction } from "../../../tools/flasher/virtual-link.js";
import { noise, simUnit, type SimUnit } from "../../download/harness.js";

const MiB = 1 << 20;
const data = Uint8Array.from([
  ...noise(90_000, 21),
  ...new Uint8Array(50_000).fill(0xff),
  ...noise(30_000, 22),
]);
const plan = planFlash([{ name: "app", offset: 0x30000, data }], { flashSize: MiB });
const seeds = Array.from({ length: process.env.FLASHBAK_SOAK ? 300 : 12 }, (_, i) => i + 1);

function campaign(seed: number) {
  const rng = new Rng(seed);
  const faults = Array.from({ length: 1 + rng.below(4) }, () => ({
    dir: (rng.below(3) === 0 ? "module-to-host" : "host-to-module") as Direction,
    at: rng.below(rng.below(3) === 0 ? 3000 : 120_000),
    kind: rng.below(3),
  }));
  const cut =
    rng.below(3) === 0
      ? { at: 1 + rng.below(200), when: (["before", "after", "during"] as const)[rng.below(3)] }
      : undefined;
  const mangle = (dir: Direction, bytes: Uint8Array, offset: number): Uint8Array => {
    let out = bytes;
    for (const f of faults) {
      if (f.dir !== dir || f.at < offset || f.at >= offset + bytes.length) continue;
      const i = f.at - offset;
      if (f.kind === 0) out = Uint8Array.from([...out.subarray(0, i), ...out.subarray(i + 1)]);
      else {
        out = out.slice();
        if (f.kind === 1) out[i]! ^= 1 << rng.below(8);
        else out.fill(0xc0, i, Math.min(out.length, i + 1 + rng.below(40)));
      }
    }
    return out;
  };
  return { mangle, cut };
}

describe("random fault campaign", () => {
  it.each(seeds)("seed %i ends verified", async (seed) => {
    const { mangle, cut } = campaign(seed);
    let unit: SimUnit = simUnit({ flashSize: MiB, mangle, powerCut: cut });
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await flashModule(unit.link, plan, {
          baud: 921600,
          resetAfter: false,
          timeoutMs: 500,
          connectAttempts: 2,
          time: unit.timeline,
        });
        expect(r.writtenBytes + r.skippedBytes).toBe(plan.totalBytes);
        break;
      } catch (e) {
        expect(e).toBeInstanceOf(FlashbakError);
        expect((e as FlashbakError).code).toMatch(/^(ESP_|SERIAL_)/);
        expect(attempt).toBeLessThan(4);
        // A dead module is powered up again from what its flash holds; the line stays as it is.
        if (unit.link.powerLoss !== undefined) unit = unit.repower();
      }
    }
    const img = unit.flash.image().subarray(0x30000, 0x30000 + data.length);
    expect(Buffer.from(img).equals(Buffer.from(data))).toBe(true);
  });
});
