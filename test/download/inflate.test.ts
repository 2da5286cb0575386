import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InflateError, ZlibInflater } from "../../firmware-sim/download/inflate.js";
import { noise } from "./harness.js";

function inflateInChunks(z: Uint8Array, chunk: number): { out: Uint8Array; inf: ZlibInflater } {
  const inf = new ZlibInflater();
  const parts: Uint8Array[] = [];
  for (let i = 0; i < z.length; i += chunk) parts.push(inf.push(z.subarray(i, i + chunk)));
  return { out: Uint8Array.from(Buffer.concat(parts)), inf };
}

const text = new TextEncoder().encode("import machine\nprint('hello from /usr/main.py')\n".repeat(400));
const mixed = Uint8Array.from([...noise(3000, 2), ...new Uint8Array(40000).fill(0xff), ...text]);

describe("streaming zlib inflate", () => {
  it.each([
    ["incompressible", noise(70_000, 1)],
    ["erased flash", new Uint8Array(100_000).fill(0xff)],
    ["text", text],
    ["mixed", mixed],
  ])("decodes %s at every zlib level and slice size", (_n, data) => {
    for (const level of [0, 1, 6, 9]) {
      const z = new Uint8Array(deflateSync(data, { level }));
      for (const chunk of [1, 13, 1024, 0x4000]) {
        if (chunk === 1 && data.length > 50_000) continue; // byte-by-byte on big inputs: covered by small ones
        const { out, inf } = inflateInChunks(z, chunk);
        expect(inf.done).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it("reports a corrupted Adler-32 trailer", () => {
    const z = new Uint8Array(deflateSync(text));
    z[z.length - 1]! ^= 1;
    expect(() => new ZlibInflater().push(z)).toThrow(expect.objectContaining({ kind: "adler32" }));
  });

  it("reports a stream that is not zlib", () => {
    expect(() => new ZlibInflater().push(Uint8Array.of(0x12, 0x34, 0x56))).toThrow(InflateError);
  });

  it("is not done on a truncated stream, and waits for the rest", () => {
    const z = new Uint8Array(deflateSync(mixed, { level: 9 }));
    const inf = new ZlibInflater();
    const first = inf.push(z.subarray(0, z.length - 10));
    expect(inf.done).toBe(false);
    const rest = inf.push(z.subarray(z.length - 10));
    expect(inf.done).toBe(true);
    expect(first.length + rest.length).toBe(mixed.length);
  });
});
