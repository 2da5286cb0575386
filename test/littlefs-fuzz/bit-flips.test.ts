/**
 * Corrupt-image hardening of the littlefs library, part 1: seeded bit flips where the data is,
 * on every reference vector and on images built here. Each damaged image is mounted read-only
 * and read in full under a deadline (harness.ts); every case must end in success or FsErrors:
 * no hang, no raw exception, no write.
 *
 * FLASHBAK_SOAK=1 runs 400 seeds per image instead of 12.
 */
import { describe, expect, it } from "vitest";
import { bitFlipCases, builtImages, vectorImages } from "./cases.js";
import { mountAndReadAll } from "./harness.js";
import { LIMIT, SOAK, failures } from "./suite.js";

const FLIP_SEEDS = SOAK ? 400 : 12;
const images = [...vectorImages(), ...builtImages()];

describe("undamaged images read cleanly (the harness itself)", () => {
  it.each(images.map((i) => [i.name, i] as const))("%s", (_n, im) => {
    const o = mountAndReadAll(im.img, im.g);
    expect(o.kind).toBe("ok");
    expect(o.codes).toEqual([]);
  });
});

describe("seeded bit flips", () => {
  it.each(images.map((i) => [i.name, i] as const))(
    `%s: ${FLIP_SEEDS} seeds`,
    (_n, im) => {
      expect(failures(bitFlipCases(im, FLIP_SEEDS))).toEqual([]);
    },
    LIMIT,
  );
});
