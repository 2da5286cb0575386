import { describe, expect, it } from "vitest";
import { benchRuns } from "../../bench/fs-cli.js";

describe("bench fs-cli: FLASHBAK_BENCH_RUNS", () => {
  it("defaults to 11 paired runs and takes 3 to 101", () => {
    expect(benchRuns(undefined)).toBe(11);
    expect(benchRuns("")).toBe(11);
    expect(benchRuns("3")).toBe(3);
    expect(benchRuns("101")).toBe(101);
  });

  it.each(["2", "102", "7.5", "many", "-5"])("refuses %s with what to give instead", (v) => {
    expect(() => benchRuns(v)).toThrow(/whole number of runs from 3 to 101/);
  });
});
