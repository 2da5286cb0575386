/** The '/'-path helpers; here, littlefs name order against the UTF-8 bytes it is defined on. */
import { describe, expect, it } from "vitest";
import { compareNames, utf8Length } from "../../firmware-sim/fs/path.js";

const utf8 = new TextEncoder();

/** littlefs order by definition: memcmp of the common prefix, then the longer name first. */
function byBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return y.length - x.length;
}

/** Units where UTF-16 order and UTF-8 order part: ASCII, 2- and 3-byte, around the surrogates. */
const UNITS = [
  "a",
  "b",
  "z",
  "~",
  "\u00e9",
  "\u07ff",
  "\u0800",
  "\u4e2d",
  "\ud7ff",
  "\ue000",
  "\ufffd",
  "\uffff",
  "\ud83d\ude00",
  "\ud800\udc00",
  "\udbff\udfff",
  "\ud83d",
  "\ude00",
];

/** A deterministic pseudo-random name of 0-4 units. */
function name(seed: number): string {
  let s = "";
  let x = seed * 2654435761;
  const n = (x >>> 5) % 5;
  for (let i = 0; i < n; i++) {
    x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) >>> 0;
    s += UNITS[x % UNITS.length];
  }
  return s;
}

describe("compareNames", () => {
  it("orders strings exactly as their UTF-8 bytes, surrogates and lone surrogates included", () => {
    for (let i = 0; i < 3000; i++) {
      const a = name(i);
      const b = name(i * 7 + 1);
      expect([a, b, Math.sign(compareNames(a, b))]).toEqual([a, b, Math.sign(byBytes(a, b))]);
      expect(Math.sign(compareNames(utf8.encode(a), b))).toBe(Math.sign(byBytes(a, b)));
    }
  });

  it.each([
    ["\uffff", "\ud83d\ude00"],
    ["\ue000", "\ud800\udc00"],
    ["x\ud83d", "x\ud83d\ude00"],
    ["ab", "a"],
  ])("puts %j before %j", (first, second) => {
    expect(compareNames(first, second)).toBeLessThan(0);
    expect(compareNames(second, first)).toBeGreaterThan(0);
  });
});

describe("utf8Length", () => {
  it("is the length TextEncoder gives, surrogates and lone surrogates included", () => {
    for (let i = 0; i < 3000; i++) {
      const s = name(i) + name(i * 3 + 2);
      expect([s, utf8Length(s)]).toEqual([s, utf8.encode(s).length]);
    }
  });
});
