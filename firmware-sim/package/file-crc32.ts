/**
 * CRC-32 as the device computes it, and the standard CRC-32 the package format uses.
 *
 * Both are the reflected CRC-32 (polynomial 0xEDB88320) with zlib's calling convention:
 * `crc32(data, value)` XORs `value` with 0xFFFFFFFF on entry and the result with 0xFFFFFFFF
 * on exit, so chunks can be fed one after the other by passing the previous result back.
 *
 * The device's `file_crc32.calc(path)` (reference 1.3) seeds every file with 0xFFFFFFFF,
 * i.e. `zlib.crc32(data, 0xFFFFFFFF)`: the register starts at 0 instead of the standard
 * 0xFFFFFFFF. Check values for b"123456789": device 0xd202d277, standard 0xcbf43926.
 * `checksum.json` must carry the device's value, or the first boot "restores" every file.
 */
import { crc32 as zlibCrc32 } from "node:zlib";

/**
 * zlib.crc32(data, value): continue a CRC-32 over `data`; pass 0 to start a standard CRC.
 * Node's zlib binding is the implementation (about 1 GB/s, twenty times a table loop in JS,
 * which matters for packages of 16 MiB flashes); tests check it against a bitwise reference.
 */
export function crc32(data: Uint8Array, value = 0): number {
  // Node's binding returns 0 instead of `value` for a view on a zero-length ArrayBuffer
  // (TextEncoder's output for ""), so no bytes is answered here: the value passes through.
  if (data.length === 0) return value >>> 0;
  return zlibCrc32(data, value >>> 0) >>> 0;
}

/** The seed `file_crc32.calc` passes for the first 4096-byte block of every file. */
export const FILE_CRC32_SEED = 0xffffffff;

/**
 * The value `file_crc32.calc(path)` computes for a file holding `data`, as a number, or
 * `undefined` for an empty file (the device returns None, which always counts as a mismatch).
 */
export function fileCrc32(data: Uint8Array): number | undefined {
  if (data.length === 0) return undefined;
  return crc32(data, FILE_CRC32_SEED);
}

/** Python `hex()` of a CRC: "0x" + lowercase hex digits, no zero padding ('0xaf2d6db8', '0x3f'). */
export function formatCrc(value: number): string {
  return "0x" + (value >>> 0).toString(16);
}

/**
 * Parse a CRC the way the device compares it, `int(text, 16)`: with or without "0x", any case,
 * padded or not, surrounding whitespace and one '_' between digits allowed as in Python.
 * Returns undefined when Python would raise ValueError (so the entry counts as a mismatch).
 */
export function parseCrc(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  const digits = t.startsWith("0x") ? t.slice(2) : t;
  if (!/^[0-9a-f]+(_[0-9a-f]+)*$/.test(digits)) return undefined;
  const v = Number.parseInt(digits.replace(/_/g, ""), 16);
  return Number.isSafeInteger(v) ? v : undefined;
}
