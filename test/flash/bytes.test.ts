import { describe, expect, it } from "vitest";
import { copyBytes, firstDifference, firstNotEqual } from "../../firmware-sim/flash/bytes.js";

describe("copyBytes", () => {
  it.each([0, 1, 15, 16, 17, 64, 4096])("copies %i bytes between offsets", (len) => {
    const src = Uint8Array.from({ length: len + 7 }, (_, i) => (i * 37 + 1) & 0xff);
    const dst = new Uint8Array(len + 11).fill(0xee);
    copyBytes(dst, 5, src, 3, len);
    expect([...dst.subarray(0, 5)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect([...dst.subarray(5, 5 + len)]).toEqual([...src.subarray(3, 3 + len)]);
    expect([...dst.subarray(5 + len)]).toEqual(new Array(6).fill(0xee));
  });
});

describe("firstDifference and firstNotEqual", () => {
  it.each([
    [0, 0, 64],
    [1, 3, 64],
    [4, 8, 32],
    [0, 0, 7],
    [2, 2, 13],
  ])("find the first differing byte at any alignment (offsets %i, %i, %i bytes)", (aOff, bOff, len) => {
    const a = Uint8Array.from({ length: aOff + len }, (_, i) => (i * 5) & 0xff);
    const b = new Uint8Array(bOff + len);
    b.set(a.subarray(aOff), bOff);
    expect(firstDifference(a, aOff, b, bOff, len)).toBe(-1);
    for (const at of [0, 1, 3, 4, len - 1]) {
      if (at < 0 || at >= len) continue;
      const c = b.slice();
      c[bOff + at] ^= 0x40;
      expect(firstDifference(a, aOff, c, bOff, len)).toBe(at);
      if (at + 2 < len) c[bOff + at + 2] ^= 0x01; // a later difference does not hide the first
      expect(firstDifference(a, aOff, c, bOff, len)).toBe(at);
    }
  });

  it.each([0xff, 0x00, 0x5a])("find the first byte that is not %i", (value) => {
    const a = new Uint8Array(4096 + 8).fill(value);
    expect(firstNotEqual(a, 0, 4096, value)).toBe(-1);
    expect(firstNotEqual(a, 3, 4096, value)).toBe(-1);
    a[4000] = value ^ 0x80;
    expect(firstNotEqual(a, 0, 4096, value)).toBe(4000);
    expect(firstNotEqual(a, 1, 4096, value)).toBe(3999);
    expect(firstNotEqual(a, 0, 4000, value)).toBe(-1);
  });

  it("works on views that do not start their buffer, as on the buffers themselves", () => {
    const buf = new Uint8Array(256).fill(0xff);
    const view = buf.subarray(16, 144);
    view[100] = 0;
    expect(firstNotEqual(view, 0, 128, 0xff)).toBe(100);
    expect(firstNotEqual(buf, 16, 128, 0xff)).toBe(100);
    const out = new Uint8Array(64);
    copyBytes(out, 0, view, 64, 64);
    expect(out[36]).toBe(0);
  });

  it("keeps working when more arrays pass through than it remembers views of", () => {
    const arrays = Array.from({ length: 20 }, (_, i) => new Uint8Array(64).fill(i));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < arrays.length; i++) {
        const next = arrays[(i + 1) % arrays.length]!;
        expect(firstDifference(arrays[i]!, 0, next, 0, 64)).toBe(0);
        expect(firstNotEqual(arrays[i]!, 0, 64, i)).toBe(-1);
      }
    }
    const out = new Uint8Array(64);
    for (const a of arrays) {
      copyBytes(out, 0, a, 0, 64);
      expect(out).toEqual(a);
    }
  });
});

describe("bytes past 2 GiB", () => {
  it("copies and compares by word in a buffer larger than 2 GiB (offsets above 2^31)", () => {
    // calloc'd and never touched except the two lines used: cheap to allocate
    const big = new Uint8Array(2 ** 31 + 4096);
    const at = 2 ** 31 + 64;
    const line = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    copyBytes(big, at, line, 0, 64);
    expect(firstDifference(big, at, line, 0, 64)).toBe(-1);
    expect(firstNotEqual(big, at + 64, 64, 0)).toBe(-1);
    const back = new Uint8Array(64);
    copyBytes(back, 0, big, at, 64);
    expect(back).toEqual(line);
  });
});
