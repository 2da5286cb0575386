/**
 * Damaged packages never crash the reader: random byte flips, truncations and insertions of
 * the ec600u base package give a PackageError (PKG_*) and are never accepted. Seeded, so a
 * failure names a reproducible case.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PackageError } from "../../firmware-sim/package/format.js";
import { inspectPackage } from "../../firmware-sim/package/inspect.js";
import { readPackage } from "../../firmware-sim/package/reader.js";

const original = new Uint8Array(readFileSync(join(import.meta.dirname, "../../images/ec600u.fbpkg")));

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** One random damage: flip bits, overwrite a u32, cut the file, or insert bytes. */
function damage(bytes: Uint8Array, r: () => number): Uint8Array {
  const at = Math.floor(r() * bytes.length);
  const kind = Math.floor(r() * 4);
  const out = bytes.slice();
  if (kind === 0) {
    out[at] ^= 1 << Math.floor(r() * 8);
    return out;
  }
  if (kind === 1) {
    const v = new DataView(out.buffer);
    if (at + 4 <= out.length) v.setUint32(at, Math.floor(r() * 0x100000000), true);
    return out;
  }
  if (kind === 2) return bytes.slice(0, at);
  const extra = new Uint8Array(1 + Math.floor(r() * 16)).map(() => Math.floor(r() * 256));
  return Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]);
}

describe("reader robustness", () => {
  it.each(Array.from({ length: 6 }, (_, i) => 7000 + i))(
    "seed %i: 60 damaged packages give typed errors only",
    (seed) => {
      const r = rng(seed);
      for (let i = 0; i < 60; i++) {
        const bad = damage(original, r);
        // inspect reports checksum failures instead of throwing; anything it throws must be typed.
        for (const read of [() => readPackage(bad), () => inspectPackage(bad)]) {
          try {
            read();
          } catch (e) {
            if (!(e instanceof PackageError)) throw new Error(`seed ${seed} case ${i}: ${String(e)}`);
          }
        }
        let accepted = true;
        try {
          readPackage(bad);
        } catch {
          accepted = false;
        }
        if (accepted) expect(Buffer.from(bad).equals(Buffer.from(original))).toBe(true);
      }
    },
  );
});
