import * as assert from "node:assert";
import { describe, expect, it } from "vitest";
import { notStrictEqual, strictEqual } from "../../../tools/build/assert-lite.js";

const PAIRS: Array<[unknown, unknown]> = [
  [1, 1],
  [1, "1"],
  [NaN, NaN],
  [0, -0],
  [null, undefined],
  ["a", "a"],
  [true, true],
];

describe("assert-lite (yargs' invariants in the bundle)", () => {
  it.each(PAIRS)("decides %j vs %j as node:assert does", (a, b) => {
    const node = (fn: () => void): boolean => {
      try {
        fn();
        return true;
      } catch {
        return false;
      }
    };
    expect(node(() => strictEqual(a, b))).toBe(node(() => assert.strictEqual(a, b)));
    expect(node(() => notStrictEqual(a, b))).toBe(node(() => assert.notStrictEqual(a, b)));
  });

  it("throws the message it is given", () => {
    expect(() => notStrictEqual(true, true, "frozen")).toThrow("frozen");
    expect(() => strictEqual(typeof 1, "string")).toThrow(/strictly equal/);
  });
});
