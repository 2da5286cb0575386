import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { lfsCrc, lfsCrcWord, zlibCrc32 } from "../../firmware-sim/littlefs/crc.js";

describe("littlefs CRC-32", () => {
  it.each([0, 1, 7, 8, 9, 63, 64, 1000])("matches zlib over %i bytes, in one piece or split", (n) => {
    const d = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    expect(zlibCrc32(d)).toBe(crc32(d));
    expect(lfsCrc(lfsCrc(0xffffffff, d, 0, n >> 1), d, n >> 1)).toBe(lfsCrc(0xffffffff, d));
  });
  it("has no final XOR: the CRC over data || le32(crc) is 0", () => {
    const d = new TextEncoder().encode("littlefs");
    const c = lfsCrc(0xffffffff, d);
    expect(lfsCrcWord(c, c)).toBe(0);
  });
  it("continues a CRC over one little-endian word as over its 4 bytes", () => {
    for (let i = 0; i < 2000; i++) {
      const crc = Math.imul(i, 0x9e3779b1) >>> 0;
      const word = Math.imul(i ^ 0x5bd1e995, 0x85ebca6b) >>> 0;
      const le = new Uint8Array([word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]);
      expect(lfsCrcWord(crc, word)).toBe(lfsCrc(crc, le));
    }
  });
  it("the FCRC of 16 erased bytes is 0xc04c39e5 (reference notes, worked example)", () => {
    expect(lfsCrc(0xffffffff, new Uint8Array(16).fill(0xff))).toBe(0xc04c39e5);
  });
});
