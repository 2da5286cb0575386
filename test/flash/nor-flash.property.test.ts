/**
 * Random operation sequences on the NOR model, checked against a plain reference model
 * (a byte array with the same rules written the obvious way), over erase values, program
 * units and strictness. Snapshots are taken at random points and re-checked at the end.
 */
import { describe, expect, it } from "vitest";
import { chipById, withSize } from "../../firmware-sim/flash/chips.js";
import { Rng } from "../../firmware-sim/flash/faults.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";

const chip = withSize(chipById("w25q32"), 32 * 1024);

/** Byte equality; vitest's deep equality walks typed arrays element by element (slow). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

interface Case {
  eraseValue: 0xff | 0x00;
  programUnit: number;
  strict: boolean;
  seed: number;
}

const cases: Case[] = [];
for (const eraseValue of [0xff, 0x00] as const)
  for (const programUnit of [1, 4])
    for (const strict of [true, false])
      for (const seed of [1, 2, 3]) cases.push({ eraseValue, programUnit, strict, seed });

describe("NOR model against a reference model", () => {
  it.each(cases)("ev=$eraseValue unit=$programUnit strict=$strict seed=$seed", (c) => {
    const rng = new Rng(c.seed * 7919);
    const flash = new NorFlash({
      chip,
      eraseValue: c.eraseValue,
      programUnit: c.programUnit,
      strict: c.strict,
    });
    const model = new Uint8Array(chip.size).fill(c.eraseValue);
    const snaps: { snap: ReturnType<NorFlash["snapshot"]>; bytes: Uint8Array }[] = [];
    for (let step = 0; step < 600; step++) {
      const op = rng.below(10);
      if (op < 5) {
        const len = (1 + rng.below(64)) * c.programUnit;
        const addr = rng.below((chip.size - len) / c.programUnit) * c.programUnit;
        const data = new Uint8Array(len).map(() => rng.byte());
        // Reference rules.
        let violation = false;
        for (let i = 0; i < len; i++) if (c.strict && model[addr + i] !== c.eraseValue) violation = true;
        if (violation) {
          expect(() => flash.program(addr, data)).toThrow(/not erased/);
        } else {
          flash.program(addr, data);
          for (let i = 0; i < len; i++) {
            model[addr + i] =
              c.eraseValue === 0xff ? model[addr + i]! & data[i]! : model[addr + i]! | data[i]!;
          }
        }
      } else if (op < 7) {
        const sector = rng.below(chip.size / chip.sectorSize);
        flash.eraseSector(sector * chip.sectorSize);
        model.fill(c.eraseValue, sector * chip.sectorSize, (sector + 1) * chip.sectorSize);
      } else if (op < 9) {
        const len = 1 + rng.below(5000);
        const addr = rng.below(chip.size - len);
        expect(same(flash.read(addr, len), model.subarray(addr, addr + len))).toBe(true);
      } else {
        snaps.push({ snap: flash.snapshot(), bytes: model.slice() });
      }
    }
    expect(same(flash.image(), model)).toBe(true);
    for (const s of snaps)
      expect(same(NorFlash.fromSnapshot(s.snap, { eraseValue: c.eraseValue }).image(), s.bytes)).toBe(true);
  });
});
