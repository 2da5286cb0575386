/**
 * `file_crc32.calc(path)` (quecpython-behavior.md section 1.3): the device CRC of a file, read
 * 4096 bytes at a time, as Python's `hex()` string; None (null) for a missing, unreadable or
 * empty file.
 *
 * The QuecPython docs tell users to call `file_crc32.calc()` after editing a protected file so
 * the next boot does not revert it; this simulator follows the documented contract: `calc` also
 * records the new CRC for a file that `/usr/checksum.json` already lists (it never adds one).
 *
 * The CRC itself: the C helper `utils_crc32` is the reflected CRC-32 (polynomial 0xEDB88320) with zlib's
 * convention: it inverts the register on entry and on exit. `file_crc32.py` passes 0xFFFFFFFF
 * as the running value, so the register really starts at 0 and the result equals
 * `zlib.crc32(data, 0xFFFFFFFF)`, NOT the standard CRC-32 (check value for "123456789":
 * 0xd202d277 instead of 0xcbf43926). A generator of checksum.json must use this function or
 * the first boot "restores" every protected file.
 */
import { FsError, isPowerLoss } from "../errors.js";
import type { DeviceVfs } from "./device-vfs.js";

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib's `crc32(crc, buf)`: continue a CRC-32 given the previous (already inverted) value. */
export function crc32Update(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The seed `file_crc32.calc` starts from. */
export const DEVICE_CRC_SEED = 0xffffffff;

/** `zlib.crc32(data, 0xFFFFFFFF)`: the module's file CRC of `data` (whole file at once). */
export function deviceCrc32(data: Uint8Array): number {
  return crc32Update(DEVICE_CRC_SEED, data);
}

/** Standard CRC-32 (seed 0), used for the SecureData records and our own integrity checks. */
export function crc32(data: Uint8Array, seed = 0): number {
  return crc32Update(seed, data);
}

/** Python's `hex()` of a non-negative integer: lowercase, `0x` prefix, no zero padding. */
export function pyHex(n: number): string {
  return "0x" + (n >>> 0).toString(16);
}

/**
 * Parse a checksum.json `crc32` value the way `int(value, 16)` does: optional `0x`/`0X`
 * prefix, any case, optional padding, surrounding whitespace and underscores between digits.
 * Returns undefined for anything `int()` would reject (or a non-string).
 */
export function parsePyHex(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  let s = value.trim();
  if (/^0x/i.test(s)) s = s.slice(2);
  if (!/^[0-9a-f]+(_[0-9a-f]+)*$/i.test(s)) return undefined;
  const n = Number.parseInt(s.replace(/_/g, ""), 16);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Block size `file_crc32.calc` reads with. */
export const CRC_BLOCK = 4096;

/** The device CRC of a file's contents as `'0x...'`, or null (None). Never throws for I/O. */
export function computeFileCrc(vfs: DeviceVfs, path: string): string | null {
  let f;
  try {
    f = vfs.open(path, { read: true });
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    if (e instanceof FsError) return null;
    throw e;
  }
  try {
    let crc = DEVICE_CRC_SEED;
    let blocks = 0;
    const buf = new Uint8Array(CRC_BLOCK);
    for (;;) {
      const n = f.read(buf);
      if (n === 0) break;
      crc = crc32Update(crc, buf.subarray(0, n));
      blocks++;
    }
    return blocks > 0 ? pyHex(crc) : null;
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    if (e instanceof FsError) return null;
    throw e;
  } finally {
    f.close();
  }
}

/** What `calc` needs from the checksum module: record a CRC for an already-listed name. */
export interface CrcRecorder {
  setCrc(name: string, crc: string | null): boolean;
}

export class FileCrc32 {
  constructor(
    private readonly vfs: DeviceVfs,
    private readonly recorder: CrcRecorder,
  ) {}

  /** `file_crc32.calc(path)`: `'0x...'` or null (None); updates a listed checksum.json entry. */
  calc(path: string): string | null {
    const crc = computeFileCrc(this.vfs, path);
    if (crc !== null) this.recorder.setCrc(path, crc);
    return crc;
  }
}
