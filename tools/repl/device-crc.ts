/**
 * The CRC that QuecPython's `file_crc32.calc` returns (reference 1.3): CRC-32 (reflected,
 * 0xEDB88320) with the register seeded so that it equals `zlib.crc32(data, 0xFFFFFFFF)`,
 * formatted as Python's `hex()` (lowercase, no padding), or null for an empty file.
 */
import CRC32 from "crc-32";

export function deviceCrc32(data: Uint8Array): string | null {
  if (data.length === 0) return null;
  return "0x" + (CRC32.buf(data, 0xffffffff) >>> 0).toString(16);
}
