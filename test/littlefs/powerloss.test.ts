import { describe, expect, it } from "vitest";
import { sweep, sweepNested, type CutMode, type Geometry } from "./powerloss-harness.js";
import {
  dirsScenario,
  filesScenario,
  interleavedScenario,
  orphansScenario,
  relocationsScenario,
  splitsScenario,
} from "./scenarios.js";

const soak = process.env["FLASHBAK_SOAK"] === "1";
const geos: Array<[string, Geometry]> = [
  ["erase 0xff", { blocks: 24, eraseValue: 0xff }],
  ["erase 0x00", { blocks: 24, eraseValue: 0x00 }],
];
const modes: CutMode[] = ["after", "torn-prefix", "torn-bits"];

describe.each(geos)("power lost after every write (%s)", (_g, geo) => {
  it.each(modes)("files, %s", (mode) => {
    expect(sweep(filesScenario, geo, mode)).toBeGreaterThan(10);
  });
  it.each(modes)("dirs and renames, %s", (mode) => {
    expect(sweep(dirsScenario, geo, mode)).toBeGreaterThan(10);
  });
  it.each(modes)("interleaved writes, %s", (mode) => {
    expect(sweep(interleavedScenario, geo, mode, { every: soak ? 1 : 2 })).toBeGreaterThan(10);
  });
  it.each(modes)("orphans, %s", (mode) => {
    expect(sweep(orphansScenario, geo, mode)).toBeGreaterThan(10);
  });
  it.each(modes)("splits, %s", (mode) => {
    expect(sweep(splitsScenario, geo, mode, { every: soak ? 1 : 3 })).toBeGreaterThan(10);
  });
  it.each(modes)("relocations and superblock expansion, %s", (mode) => {
    expect(sweep(relocationsScenario(soak ? 40 : 12), geo, mode, { every: soak ? 1 : 2 })).toBeGreaterThan(
      10,
    );
  });
});

describe("two nested power losses: the repairs themselves are interrupted", () => {
  const geo: Geometry = { blocks: 24, eraseValue: 0xff };
  const cases = [
    ["dirs and renames", dirsScenario],
    ["orphans", orphansScenario],
    ["relocations", relocationsScenario(6)],
  ] as const;
  it.each(cases)("%s", (_n, sc) => {
    expect(sweepNested(sc, geo, "after", soak ? 1 : 5, soak ? 1 : 3)).toBeGreaterThan(10);
  });
});
