import { describe, expect, it } from "vitest";
import { copyBytes } from "../../firmware-sim/flash/bytes.js";

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
