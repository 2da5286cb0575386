/**
 * Corrupt-image hardening of the littlefs library: damaged images (seeded bit flips where the
 * data is, truncation, hand-crafted commits with correct CRCs: looping tails, pointers beyond
 * the disk, absurd sizes, impossible superblocks) are mounted read-only and read in full under
 * a deadline. Every case must end in success or FsErrors: no hang, no raw exception, no write.
 *
 * FLASHBAK_SOAK=1 runs many more bit-flip seeds per image.
 */
import { describe, expect, it } from "vitest";
import { bitFlipCases, craftedCases, truncationCases, vectorImages, type FuzzCase } from "./cases.js";
import { mountAndReadAll, type Outcome } from "./harness.js";

const SOAK = process.env.FLASHBAK_SOAK === "1";
const FLIP_SEEDS = SOAK ? 400 : 12;
/** Per-test time limit: the soak runs hundreds of cases per test. */
const LIMIT = SOAK ? 1_800_000 : 60_000;

/**
 * Inputs on which the library misbehaves today (hang, raw exception or write), excluded so the
 * suite stays green; each is reported to the littlefs owner with its outcome. Keys are
 * "<image> <kind> <seed|name>" as built in cases.ts.
 */
export const knownIssues: ReadonlyMap<string, string> = new Map<string, string>([]);

const images = vectorImages();

function run(c: FuzzCase): Outcome | undefined {
  const img = c.build();
  if (img === undefined) return undefined;
  return mountAndReadAll(img, c.g);
}

function failures(cases: FuzzCase[]): string[] {
  const bad: string[] = [];
  for (const c of cases) {
    if (knownIssues.has(c.key)) continue;
    const o = run(c);
    if (o === undefined) continue;
    if (o.kind !== "ok" && o.kind !== "fs-error") bad.push(`${c.key}: ${o.kind} ${o.detail ?? ""}`);
  }
  return bad;
}

describe("the reference images read cleanly (the harness itself)", () => {
  it.each(images.map((i) => [i.name, i] as const))("%s", (_n, im) => {
    const o = mountAndReadAll(im.img, im.g);
    expect(o.kind).toBe("ok");
    expect(o.entries).toBeGreaterThanOrEqual(0);
  });
});

describe("seeded bit flips", () => {
  it.each(images.map((i) => [i.name, i] as const))(`%s: ${FLIP_SEEDS} seeds`, (_n, im) => {
    expect(failures(bitFlipCases(im, FLIP_SEEDS))).toEqual([]);
  }, LIMIT);
});

describe("truncated images", () => {
  const picks = images.filter((i) => /^(basic-v21|basic-b512|many|sbexpand|history|torn-3)/.test(i.name));
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
  it.each(cases.map((c) => [c.key, c] as const))("%s", (key, c) => {
    if (knownIssues.has(key)) return;
    const o = run(c);
    if (o === undefined) return;
    expect(o.kind, `${key}: ${o.detail ?? ""}`).toMatch(/^(ok|fs-error)$/);
  });
});
