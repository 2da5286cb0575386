import { describe, expect, it } from "vitest";
import { MemoryBlockDevice, type BlockGeometry } from "../../firmware-sim/flash/block-device.js";

const geometry = (eraseValue: number): BlockGeometry => ({
  readSize: 4,
  progSize: 4,
  blockSize: 256,
  blockCount: 8,
  eraseValue,
});

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

describe("MemoryBlockDevice: a new device is erased without being filled", () => {
  it.each([
    ["0xff", 0xff],
    ["0x00", 0x00],
  ])("erase value %s: untouched blocks read erased, and data and pieces agree", (_name, ev) => {
    const bd = new MemoryBlockDevice(geometry(ev));
    const b = new Uint8Array(8);
    bd.read(5, 16, b);
    expect([...b]).toEqual(new Array(8).fill(ev));
    bd.prog(2, 8, Uint8Array.of(1, 2, 3, 4));
    bd.erase(6); // erasing an untouched block leaves it erased
    bd.prog(7, 252, Uint8Array.of(9, 9, 9, 9));
    const expected = new Uint8Array(256 * 8).fill(ev);
    expected.set([1, 2, 3, 4], 2 * 256 + 8);
    expected.set([9, 9, 9, 9], 7 * 256 + 252);
    expect(concat(bd.pieces())).toEqual(expected);
    expect(bd.data).toEqual(expected);
    // after `data` filled everything the device still behaves the same
    expect(concat(bd.pieces())).toEqual(expected);
    bd.read(2, 8, b.subarray(0, 4));
    expect([...b.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
  });

  it("a programmed block keeps the strict rule, an untouched one accepts its first prog anywhere", () => {
    const bd = new MemoryBlockDevice(geometry(0xff));
    bd.prog(3, 128, Uint8Array.of(0, 0, 0, 0));
    expect(() => bd.prog(3, 128, Uint8Array.of(0, 0, 0, 0))).toThrow(
      expect.objectContaining({ code: "BD_NOT_ERASED" }),
    );
    bd.prog(3, 0, Uint8Array.of(1, 1, 1, 1)); // the rest of the block was filled erased
    bd.erase(3);
    bd.prog(3, 128, Uint8Array.of(5, 5, 5, 5));
    expect(bd.stats).toMatchObject({ progs: 3, erases: 1, progBytes: 12, eraseBytes: 256 });
  });

  it("pieces of a large untouched run stay views of one shared buffer", () => {
    const bd = new MemoryBlockDevice({ ...geometry(0xff), blockSize: 4096, blockCount: 64 });
    bd.prog(0, 0, Uint8Array.of(1, 2, 3, 4));
    const pieces = bd.pieces();
    expect(pieces[0]!.length).toBe(4096);
    expect(pieces.reduce((n, p) => n + p.length, 0)).toBe(4096 * 64);
    expect(new Set(pieces.slice(1).map((p) => p.buffer)).size).toBe(1);
  });

  it("an image given as data is used as it is", () => {
    const data = new Uint8Array(256 * 8).fill(0x5a);
    const bd = new MemoryBlockDevice(geometry(0xff), { data });
    expect(bd.pieces()).toEqual([data]);
    expect(bd.data).toBe(data);
    const b = new Uint8Array(4);
    bd.read(1, 0, b);
    expect([...b]).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
  });
});

describe("MemoryBlockDevice: the erased check trusts only what the device wrote itself", () => {
  const notErased = expect.objectContaining({ code: "BD_NOT_ERASED" });

  it.each([
    ["0xff", 0xff],
    ["0x00", 0x00],
  ])(
    "erase value %s: progs below a block's programmed end are checked, above it are not needed",
    (_n, ev) => {
      const bd = new MemoryBlockDevice(geometry(ev));
      const x = ev ^ 0x5a;
      bd.prog(3, 8, new Uint8Array(8).fill(x));
      expect(() => bd.prog(3, 8, new Uint8Array(4).fill(x))).toThrow(notErased);
      expect(() => bd.prog(3, 12, new Uint8Array(8).fill(x))).toThrow(notErased);
      expect(() => bd.prog(3, 4, new Uint8Array(8).fill(x))).toThrow(notErased);
      // bytes before the first prog are still erased, and so is everything after the end
      bd.prog(3, 0, new Uint8Array(8).fill(x));
      bd.prog(3, 16, new Uint8Array(4).fill(x));
      bd.erase(3);
      bd.prog(3, 8, new Uint8Array(8).fill(x));
      const b = new Uint8Array(24);
      bd.read(3, 0, b);
      expect([...b]).toEqual([...new Array(8).fill(ev), ...new Array(8).fill(x), ...new Array(8).fill(ev)]);
    },
  );

  it.each([
    ["data", 0xff],
    ["pieces()", 0xff],
    ["pieces()", 0x00],
  ])("checks every prog once %s has been handed out (erase value %i)", (how, ev) => {
    const bd = new MemoryBlockDevice(geometry(ev));
    bd.prog(1, 0, Uint8Array.of(1, 2, 3, 4));
    // behind the device's back, after its programmed end
    if (how === "data") bd.data[256 + 64] = 0x5a;
    else {
      let base = 0;
      for (const p of bd.pieces()) {
        if (base <= 256 + 64 && 256 + 64 < base + p.length) p[256 + 64 - base] = 0x5a;
        base += p.length;
      }
    }
    expect(() => bd.prog(1, 64, Uint8Array.of(0x11, 0x11, 0x11, 0x11))).toThrow(notErased);
  });

  it("checks every prog on memory it was given", () => {
    const data = new Uint8Array(256 * 8).fill(0xff);
    data[2 * 256 + 100] = 0;
    const bd = new MemoryBlockDevice(geometry(0xff), { data });
    expect(() => bd.prog(2, 100, Uint8Array.of(0, 0, 0, 0))).toThrow(notErased);
  });
});

describe("MemoryBlockDevice.progLines", () => {
  it("is as many progAndRead calls, counted alike, with the last line read back", () => {
    const bd = new MemoryBlockDevice(geometry(0xff));
    const src = Uint8Array.from({ length: 40 }, (_, i) => i);
    const into = new Uint8Array(8);
    expect(bd.progLines(3, 32, src, 4, 8, 4, into)).toBe(true);
    expect([...bd.data.subarray(3 * 256 + 32, 3 * 256 + 64)]).toEqual([...src.subarray(4, 36)]);
    expect([...into]).toEqual([...src.subarray(28, 36)]);
    expect(bd.stats).toMatchObject({ progs: 4, reads: 4, progBytes: 32, readBytes: 32 });
  });

  it.each([
    ["a target byte not erased", 3, 32, 8],
    ["past the block", 3, 240, 8],
    ["misaligned", 3, 34, 8],
    ["a line size that is no whole unit", 3, 32, 6],
    ["a block outside the device", 99, 0, 8],
  ])("declines %s, doing nothing", (_what, block, off, line) => {
    const bd = new MemoryBlockDevice(geometry(0xff));
    bd.prog(3, 48, Uint8Array.of(1, 2, 3, 4));
    const before = Uint8Array.from(bd.data);
    const stats = { ...bd.stats };
    const into = new Uint8Array(line).fill(7);
    expect(bd.progLines(block, off, new Uint8Array(64), 0, line, 4, into)).toBe(false);
    expect(bd.data).toEqual(before);
    expect(bd.stats).toEqual(stats);
    expect(into.every((v) => v === 7)).toBe(true);
  });
});

describe("MemoryBlockDevice.progAndRead", () => {
  it("is prog then read, counted as both, and leaves `into` alone when the prog fails", () => {
    const bd = new MemoryBlockDevice(geometry(0xff));
    const into = new Uint8Array(8);
    bd.progAndRead(4, 16, Uint8Array.of(1, 2, 3, 4), into);
    expect([...into]).toEqual([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff]);
    expect(bd.stats).toMatchObject({ progs: 1, reads: 1, progBytes: 4, readBytes: 8 });
    into.fill(7);
    expect(() => bd.progAndRead(4, 16, Uint8Array.of(0, 0, 0, 0), into)).toThrow(
      expect.objectContaining({ code: "BD_NOT_ERASED" }),
    );
    expect(into.every((v) => v === 7)).toBe(true);
    expect(() => bd.progAndRead(4, 252, Uint8Array.of(5, 5, 5, 5), new Uint8Array(8))).toThrow(
      expect.objectContaining({ code: "BD_RANGE" }),
    );
  });
});
