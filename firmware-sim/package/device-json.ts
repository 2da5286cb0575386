/**
 * The two JSON files of the device's backup scheme, written and read exactly as the 2021
 * firmware does (reference quecpython-behavior.md 1.2):
 *
 * - `checksum.json` (`/usr/checksum.json` working copy, `/bak/checksum.json` factory copy): a
 *   JSON array of `{"name": "/usr/<path>", "crc32": "0x<hex>"}`, as MicroPython's `ujson.dumps`
 *   prints it (", " and ": " separators, CRC as Python `hex()`). The device reads at most
 *   16384 bytes of it: a longer file is cut, fails to parse, and restore silently does nothing.
 * - `backup_restore.json` (`/bak` only): `{"enable": 1}`; the device reads at most 64 bytes and
 *   restores when `enable` is non-zero.
 */
import { formatCrc, parseCrc } from "./file-crc32.js";

/** `fp.read(16384)` in checksum.py: bytes of checksum.json the device ever looks at. */
export const CHECKSUM_READ_LIMIT = 16384;
/** `fp.read(64)` in backup_restore.py. */
export const BACKUP_FLAG_READ_LIMIT = 64;
export const CHECKSUM_FILE = "checksum.json";
export const BACKUP_FLAG_FILE = "backup_restore.json";

export interface ChecksumEntry {
  /** Absolute device path including the mount: "/usr/main.py". */
  readonly name: string;
  /** The device's file_crc32 value. */
  readonly crc32: number;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** MicroPython prints str values in JSON like this: quotes and backslashes escaped, rest literal. */
function jsonString(s: string): string {
  return JSON.stringify(s);
}

/** checksum.json bytes as the device writes them: `[{"name": "...", "crc32": "0x..."}, ...]`. */
export function encodeChecksumJson(entries: readonly ChecksumEntry[]): Uint8Array {
  const items = entries.map(
    (e) => `{"name": ${jsonString(e.name)}, "crc32": ${jsonString(formatCrc(e.crc32))}}`,
  );
  return utf8.encode(`[${items.join(", ")}]`);
}

/** backup_restore.json with backup enabled, as QPYcom's merge writes it. */
export function encodeBackupFlag(enable = true): Uint8Array {
  return utf8.encode(`{"enable": ${enable ? 1 : 0}}`);
}

export type ParsedChecksum =
  | {
      readonly ok: true;
      readonly entries: readonly { name: string; crc32: number | undefined; text: string }[];
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Read checksum.json the way the boot does: the first `readLimit` bytes (the faithful device's
 * 16384; 0 = the whole file, as the hardened boot reads it), JSON, a list of objects with
 * "name" and "crc32". `crc32` is undefined where `int(text, 16)` would fail.
 */
export function parseChecksumJson(bytes: Uint8Array, readLimit = CHECKSUM_READ_LIMIT): ParsedChecksum {
  if (bytes.length === 0) return { ok: false, reason: "checksum.json is empty" };
  const seen = readLimit > 0 ? bytes.subarray(0, readLimit) : bytes;
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(seen));
  } catch {
    const cut =
      bytes.length > CHECKSUM_READ_LIMIT
        ? ` (the device reads only the first ${CHECKSUM_READ_LIMIT} bytes)`
        : "";
    return { ok: false, reason: `checksum.json is not valid JSON${cut}` };
  }
  if (!Array.isArray(value)) return { ok: false, reason: "checksum.json is not a JSON array" };
  const entries: { name: string; crc32: number | undefined; text: string }[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "object" || item === null)
      return { ok: false, reason: "an entry of checksum.json is not an object" };
    const rec = item as Record<string, unknown>;
    if (typeof rec.name !== "string")
      return { ok: false, reason: 'an entry of checksum.json has no string "name"' };
    const text = typeof rec.crc32 === "string" ? rec.crc32 : String(rec.crc32);
    entries.push({
      name: rec.name,
      crc32: typeof rec.crc32 === "string" ? parseCrc(rec.crc32) : undefined,
      text,
    });
  }
  return { ok: true, entries };
}

/** True when the boot would run the restore: `ujson.loads(read(64))['enable'] != 0`. */
export function backupEnabled(bytes: Uint8Array | undefined): boolean {
  if (bytes === undefined || bytes.length === 0) return false;
  try {
    const v = JSON.parse(utf8Decoder.decode(bytes.subarray(0, BACKUP_FLAG_READ_LIMIT))) as unknown;
    if (typeof v !== "object" || v === null || !("enable" in v)) return false;
    const enable = (v as Record<string, unknown>).enable;
    // Python `x != 0`: only 0 and False are "off" (None, "" and 0.0-free values are "on").
    return enable !== 0 && enable !== false;
  } catch {
    return false;
  }
}
