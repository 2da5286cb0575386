import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { PowerLoss } from "../../firmware-sim/errors.js";
import type { FlashChip } from "../../firmware-sim/flash/chips.js";
import { chipById, withSize } from "../../firmware-sim/flash/chips.js";
import type { BadSectorBehavior } from "../../firmware-sim/flash/faults.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";

const small: FlashChip = withSize(chipById("w25q32"), 64 * 1024); // 16 sectors

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect((e as { code?: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected an error with code ${code}`);
}

describe("NOR physics", () => {
  it.each([0xff, 0x00] as const)("reads erased as 0x%s and programs move bits away from it", (ev) => {
    const f = new NorFlash({ chip: small, eraseValue: ev, strict: false });
    expect(f.read(0, 4)).toEqual(new Uint8Array(4).fill(ev));
    f.program(0, Uint8Array.of(0xf0, 0x0f, 0x55, ev));
    f.program(0, Uint8Array.of(0x3c, 0x3c, 0xaa, ev));
    const want =
      ev === 0xff ? [0xf0 & 0x3c, 0x0f & 0x3c, 0x55 & 0xaa, 0xff] : [0xf0 | 0x3c, 0x0f | 0x3c, 0xff, 0];
    expect([...f.read(0, 4)]).toEqual(want);
    f.eraseSector(0);
    expect(f.read(0, 4)).toEqual(new Uint8Array(4).fill(ev));
  });

  it("strict mode refuses to program a byte that is not erased, and changes nothing", () => {
    const f = new NorFlash({ chip: small });
    f.program(10, Uint8Array.of(0x12));
    expectCode(() => f.program(8, Uint8Array.of(0x00, 0x00, 0x00)), "FLASH_NOT_ERASED");
    expect([...f.read(8, 3)]).toEqual([0xff, 0xff, 0x12]);
  });

  it("strict mode allows programming erased bytes next to programmed ones", () => {
    const f = new NorFlash({ chip: small });
    f.program(0, Uint8Array.of(1, 2));
    f.program(2, Uint8Array.of(3, 4));
    expect([...f.read(0, 4)]).toEqual([1, 2, 3, 4]);
  });

  it("relaxed regions allow re-programs that only clear bits, counted per word", () => {
    const f = new NorFlash({
      chip: small,
      relaxedRegions: [{ offset: 4096, size: 4096 }],
      maxReprogramsPerWord: 2,
    });
    f.program(4096, Uint8Array.of(0xfe));
    f.program(4096, Uint8Array.of(0xfc));
    expect(f.read(4096, 1)[0]).toBe(0xfc);
    expectCode(() => f.program(4096, Uint8Array.of(0xfd)), "FLASH_BIT_SET");
    f.program(4097, Uint8Array.of(0xf8)); // same word, second re-program of that word
    expect(f.stats().reprograms).toBe(2);
    expectCode(() => f.program(4096, Uint8Array.of(0xf0)), "FLASH_REPROGRAM_LIMIT");
    f.eraseSector(4096);
    f.program(4096, Uint8Array.of(0xfe));
    f.program(4096, Uint8Array.of(0xfc)); // the count restarts after an erase
    // Outside the region the strict rule still holds.
    f.program(0, Uint8Array.of(0xfe));
    expectCode(() => f.program(0, Uint8Array.of(0xfc)), "FLASH_NOT_ERASED");
  });

  it("checks program alignment to the program unit and ranges", () => {
    const f = new NorFlash({ chip: small, programUnit: 4 });
    expectCode(() => f.program(2, new Uint8Array(4)), "FLASH_ALIGN");
    expectCode(() => f.program(0, new Uint8Array(3)), "FLASH_ALIGN");
    expectCode(() => f.program(small.size - 4, new Uint8Array(8)), "FLASH_RANGE");
    expectCode(() => f.read(-1, 1), "FLASH_RANGE");
    expectCode(() => f.erase(100, 4096), "FLASH_ALIGN");
    expectCode(() => f.erase(0, 100), "FLASH_ALIGN");
    expectCode(() => f.erase(small.size, 4096), "FLASH_RANGE");
  });

  it("a page program wraps inside its page, and keeps only the last page of a longer burst", () => {
    const f = new NorFlash({ chip: small });
    const data = new Uint8Array(8).map((_, i) => i);
    f.pageProgram(252, data); // 4 bytes at 252..255, then wraps to 0..3
    expect([...f.read(252, 4)]).toEqual([0, 1, 2, 3]);
    expect([...f.read(0, 4)]).toEqual([4, 5, 6, 7]);
    expect(f.read(256, 1)[0]).toBe(0xff);

    const g = new NorFlash({ chip: small });
    const burst = new Uint8Array(300).map((_, i) => i & 0xff);
    g.pageProgram(512, burst); // the last 256 bytes (44..299) land from offset 44 of the page
    const page = g.read(512, 256);
    for (let i = 0; i < 256; i++) expect(page[(44 + i) % 256]).toBe((44 + i) & 0xff);
  });

  it("program() crosses page boundaries without wrapping and counts as one operation", () => {
    const f = new NorFlash({ chip: small });
    const data = new Uint8Array(600).map((_, i) => i & 0x7f);
    f.program(200, data);
    expect(f.read(200, 600)).toEqual(data);
    expect(f.writeOperations).toBe(1);
    expect(f.stats().programs).toBe(1);
  });
});

describe("counters, wear and timing", () => {
  it("counts operations and bytes", () => {
    const f = new NorFlash({ chip: small });
    f.program(0, new Uint8Array(16));
    f.read(0, 100);
    f.erase(0, 8192);
    expect(f.stats()).toMatchObject({
      reads: 1,
      programs: 1,
      erases: 1,
      bytesRead: 100,
      bytesProgrammed: 16,
      bytesErased: 8192,
    });
    expect([...f.wear().subarray(0, 3)]).toEqual([1, 1, 0]);
  });

  it("advances a virtual clock by datasheet times, using block erase where aligned", () => {
    const clock = new VirtualClock();
    const f = new NorFlash({ chip: chipById("w25q32"), clock });
    f.erase(0, 4096);
    const t1 = clock.now();
    expect(t1).toBeGreaterThanOrEqual(45_000);
    f.erase(65536, 65536); // one 64 KiB block erase: cheaper than 16 sector erases
    expect(clock.now() - t1).toBeLessThan(16 * 45_000);
    const t2 = clock.now();
    f.program(0, new Uint8Array(256).fill(0));
    expect(clock.now() - t2).toBeGreaterThanOrEqual(700);
    expect(f.stats().busyUs).toBeCloseTo(clock.now());
  });

  const behaviors: BadSectorBehavior[] = [
    "prog-error",
    "erase-error",
    "read-error",
    "prog-noop",
    "erase-noop",
  ];
  it.each(behaviors)("a worn-out sector behaves as %s", (b) => {
    const f = new NorFlash({ chip: small, endurance: 3, badSectorBehavior: b });
    for (let i = 0; i < 3; i++) f.eraseSector(0);
    expect(f.isBad(0)).toBe(true);
    expect(f.isBad(1)).toBe(false);
    const data = Uint8Array.of(0x12, 0x34);
    switch (b) {
      case "prog-error":
        expectCode(() => f.program(0, data), "FLASH_BAD_PROG");
        break;
      case "prog-noop":
        f.program(0, data);
        expect([...f.read(0, 2)]).toEqual([0xff, 0xff]);
        break;
      case "erase-error":
        f.program(0, data);
        expectCode(() => f.eraseSector(0), "FLASH_BAD_ERASE");
        break;
      case "erase-noop":
        f.program(0, data);
        f.eraseSector(0);
        expect([...f.read(0, 2)]).toEqual([0x12, 0x34]);
        break;
      case "read-error":
        expectCode(() => f.read(0, 1), "FLASH_BAD_READ");
        expect(f.read(4096, 1)[0]).toBe(0xff);
        break;
    }
    // Healthy sectors keep working.
    f.program(4096, data);
    expect([...f.read(4096, 2)]).toEqual([0x12, 0x34]);
  });
});

describe("fault injection", () => {
  it("power lost before operation N: it never happens and the flash is dead", () => {
    const f = new NorFlash({ chip: small, powerCut: { at: 2, when: "before" } });
    f.program(0, Uint8Array.of(1));
    expect(() => f.program(1, Uint8Array.of(2))).toThrow(PowerLoss);
    expect(f.dead).toBe(true);
    expect(() => f.read(0, 1)).toThrow(PowerLoss);
    expect(() => f.eraseSector(0)).toThrow(PowerLoss);
    const after = NorFlash.fromSnapshot(f.snapshot(), {});
    expect([...after.read(0, 2)]).toEqual([1, 0xff]);
  });

  it("power lost after operation N: it completed", () => {
    const f = new NorFlash({ chip: small, powerCut: { at: 1 } });
    expect(() => f.program(0, Uint8Array.of(7))).toThrow(PowerLoss);
    expect(f.image()[0]).toBe(7);
    expect(() => f.program(1, Uint8Array.of(8))).toThrow(PowerLoss);
    expect(f.image()[1]).toBe(0xff);
  });

  it("a torn program applies a prefix", () => {
    const f = new NorFlash({ chip: small, powerCut: { at: 1, when: "during", tearBytes: 3 } });
    expect(() => f.program(0, Uint8Array.of(1, 2, 3, 4, 5))).toThrow(PowerLoss);
    expect([...f.image().subarray(0, 5)]).toEqual([1, 2, 3, 0xff, 0xff]);
  });

  it("a torn program in bits mode only clears bits the program meant to clear", () => {
    for (let seed = 1; seed < 20; seed++) {
      const f = new NorFlash({
        chip: small,
        seed,
        powerCut: { at: 1, when: "during", tear: "bits", tearBytes: 0 },
      });
      const data = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
      expect(() => f.program(0, data)).toThrow(PowerLoss);
      const got = f.image().subarray(0, 64);
      for (let i = 0; i < 64; i++) {
        // Every cleared bit is one the data clears: got is a superset (in 1-bits) of data.
        expect(got[i]! & data[i]!).toBe(data[i]);
      }
    }
  });

  it("a torn erase leaves arbitrary contents; weak bits read unstably until erased", () => {
    const f = new NorFlash({ chip: small, seed: 7, powerCut: { at: 2, when: "during", weakBits: true } });
    f.program(0, new Uint8Array(4096).fill(0x00));
    expect(() => f.eraseSector(0)).toThrow(PowerLoss);
    const g = NorFlash.fromSnapshot(f.snapshot(), { seed: 99 });
    const a = g.read(0, 4096);
    const b = g.read(0, 4096);
    expect(a.some((x) => x !== 0 && x !== 0xff)).toBe(true);
    expect(a).not.toEqual(b); // weak bits flicker
    g.eraseSector(0);
    expect(g.read(0, 4096)).toEqual(new Uint8Array(4096).fill(0xff));
    expect(g.read(0, 4096)).toEqual(g.read(0, 4096));
  });

  it("counts only writes for the cut index, and armPowerCut counts from power-on", () => {
    const f = new NorFlash({ chip: small });
    f.program(0, Uint8Array.of(1));
    f.read(0, 1);
    f.armPowerCut({ at: 3 });
    f.program(1, Uint8Array.of(2));
    expect(() => f.program(2, Uint8Array.of(3))).toThrow(PowerLoss);
    expect(f.writeOperations).toBe(3);
  });
});

describe("snapshots and images", () => {
  it("snapshots are isolated from later writes and from each other", () => {
    const f = new NorFlash({ chip: small });
    f.program(0, Uint8Array.of(1));
    const s1 = f.snapshot();
    f.program(1, Uint8Array.of(2));
    const a = NorFlash.fromSnapshot(s1, {});
    const b = NorFlash.fromSnapshot(s1, {});
    a.program(2, Uint8Array.of(3));
    b.eraseSector(0);
    expect([...f.read(0, 3)]).toEqual([1, 2, 0xff]);
    expect([...a.read(0, 3)]).toEqual([1, 0xff, 3]);
    expect([...b.read(0, 3)]).toEqual([0xff, 0xff, 0xff]);
    expect([...NorFlash.fromSnapshot(s1, {}).read(0, 3)]).toEqual([1, 0xff, 0xff]);
    expect(b.wear()[0]).toBe(1);
    expect(a.wear()[0]).toBe(0);
  });

  it("image() and fromImage() round-trip and refuse a wrong size", () => {
    const f = new NorFlash({ chip: small });
    f.program(5000, Uint8Array.of(9, 8, 7));
    const img = f.image();
    const g = NorFlash.fromImage(img, { chip: small });
    expect(g.image()).toEqual(img);
    expectCode(() => NorFlash.fromImage(img.subarray(1), { chip: small }), "FLASH_RANGE");
  });
});
