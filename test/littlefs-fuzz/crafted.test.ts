/**
 * Corrupt-image hardening of the littlefs library, part 2: truncated images, and hand-crafted
 * commits with correct CRCs (looping tails, pointers beyond the disk, absurd file sizes,
 * impossible superblocks, bad global state) and random CRC-valid commits, mounted read-only and read in full under a
 * deadline. Every case must end in success or FsErrors: no hang, no raw exception, no write.
 *
 * FLASHBAK_SOAK=1 runs 300 random commits per image instead of 10.
 */
import { describe, expect, it } from "vitest";
import { builtImages, craftedCases, randomCommitCases, truncationCases, vectorImages } from "./cases.js";
import { LIMIT, SOAK, failures, knownIssues, runCase } from "./suite.js";

const images = [...vectorImages(), ...builtImages()];

describe("truncated images", () => {
  const picks = images.filter((i) =>
    /^(basic-v21|basic-b512|many|sbexpand|history|torn-3|built)/.test(i.name),
  );
  it.each(picks.map((i) => [i.name, i] as const))("%s", (_n, im) => {
    expect(failures(truncationCases(im))).toEqual([]);
  });
});

describe("crafted commits with correct CRCs", () => {
  // basic-*: /data/blob.bin is a 100 000-byte CTZ file; history has no multi-block file
  const picks = images.filter((i) => /^(basic-v21|basic-b512|basic-v20|basic-erase00|history)/.test(i.name));
  const cases = picks.flatMap((im) =>
    craftedCases(im, {
      sub: "/cfg",
      deep: "/deep",
      ctzFile: im.name.startsWith("basic") ? "/data/blob.bin" : undefined,
    }),
  );
  it.each(cases.filter((c) => !knownIssues.has(c.key)).map((c) => [c.key, c] as const))("%s", (key, c) => {
    const o = runCase(c);
    // undefined: no room left in that metadata block for the crafted commit
    if (o === undefined) return;
    expect(o.kind, `${key}: ${o.detail ?? ""}`).toMatch(/^(ok|fs-error)$/);
  });

  it("the crafted damage is seen: most crafted images fail to mount or read", () => {
    const outcomes = cases.map((c) => runCase(c)).filter((o) => o !== undefined);
    const noticed = outcomes.filter((o) => o.kind === "fs-error").length;
    expect(outcomes.length).toBeGreaterThan(100);
    expect(noticed / outcomes.length).toBeGreaterThan(0.5);
  });
});

describe("random CRC-valid commits", () => {
  const seeds = SOAK ? 300 : 10;
  const picks = images.filter((i) => /^(basic-v21|basic-b512|many|sbexpand|history|built)/.test(i.name));
  it.each(picks.map((i) => [i.name, i] as const))(
    `%s: ${seeds} seeds`,
    (_n, im) => {
      expect(failures(randomCommitCases(im, seeds))).toEqual([]);
    },
    LIMIT,
  );
});
