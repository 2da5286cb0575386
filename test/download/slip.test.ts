import { describe, expect, it } from "vitest";
import { SlipDecoder, slipEncode } from "../../firmware-sim/download/slip.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("SLIP framing", () => {
  it("escapes 0xC0 and 0xDB inside a frame (reference example)", () => {
    expect(hex(slipEncode(Uint8Array.from([0x00, 0xc0, 0xdb, 0x01])))).toBe("c000dbdcdbdd01c0");
  });

  it.each([
    ["empty body", []],
    ["only specials", [0xc0, 0xdb, 0xc0, 0xdb]],
    ["escape-like plain bytes", [0xdc, 0xdd, 0xdb, 0xdc]],
    ["all byte values", [...Array(256).keys()]],
  ])("round-trips %s split at every position", (_n, body) => {
    const frame = slipEncode(Uint8Array.from([1, ...body]));
    for (let cut = 0; cut <= frame.length; cut++) {
      const d = new SlipDecoder();
      const got = [...d.push(frame.subarray(0, cut)), ...d.push(frame.subarray(cut))];
      expect(got.map(hex)).toEqual([hex(Uint8Array.from([1, ...body]))]);
    }
  });

  it("reports text between frames as stray and keeps decoding", () => {
    const d = new SlipDecoder();
    const stray: string[] = [];
    const bytes = Uint8Array.from([
      ...Buffer.from("boot:0x3\r\n"),
      ...slipEncode(Uint8Array.of(5)),
      ...slipEncode(Uint8Array.of(6)),
    ]);
    const packets = d.push(bytes, (n) => n.stray && stray.push(Buffer.from(n.stray).toString()));
    expect(packets.map(hex)).toEqual(["05", "06"]);
    expect(stray).toEqual(["boot:0x3\r\n"]);
  });

  it("drops a frame with a broken escape, then resynchronises", () => {
    const d = new SlipDecoder();
    let bad = 0;
    const packets = d.push(
      Uint8Array.from([0xc0, 1, 0xdb, 0x42, 2, 0xc0, ...slipEncode(Uint8Array.of(7))]),
      (n) => {
        if (n.badEscape) bad++;
      },
    );
    expect(packets.map(hex)).toEqual(["07"]);
    expect(bad).toBe(1);
  });

  it("recovers when the opening delimiter was lost", () => {
    const d = new SlipDecoder();
    const frame = slipEncode(Uint8Array.of(9, 9));
    const packets = d.push(Uint8Array.from([...frame.subarray(1), ...slipEncode(Uint8Array.of(3))]));
    expect(packets.map(hex)).toEqual(["03"]);
  });
});
