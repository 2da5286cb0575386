/**
 * Modification-time attribute conventions of the littlefs users the project meets:
 * - MicroPython VfsLfs2 (`mtime=True`): user attribute type 1, le64 nanoseconds since 1970;
 * - ESP-IDF esp_littlefs and mklittlefs: type 't' (0x74), a little-endian 64-bit `time_t`
 *   in seconds (mklittlefs also writes 'c', creation time, the same way).
 */

export type MtimeConvention = "micropython" | "esp-idf" | "mklittlefs";

/** Attribute type each convention stores the modification time under. */
export const MTIME_ATTR: Readonly<Record<MtimeConvention, number>> = {
  micropython: 1,
  "esp-idf": 0x74,
  mklittlefs: 0x74,
};

/** mklittlefs's creation-time attribute ('c'). */
export const CTIME_ATTR_MKLITTLEFS = 0x63;

/** Encode a time (milliseconds since 1970, as Date.getTime()) in the convention's 8 bytes. */
export function encodeMtime(convention: MtimeConvention, epochMs: number): Uint8Array {
  const out = new Uint8Array(8);
  const v =
    convention === "micropython"
      ? BigInt(Math.round(epochMs)) * 1_000_000n
      : BigInt(Math.floor(epochMs / 1000));
  new DataView(out.buffer).setBigInt64(0, v, true);
  return out;
}

/** Decode to milliseconds since 1970; undefined when the attribute is not 8 bytes. */
export function decodeMtime(convention: MtimeConvention, value: Uint8Array): number | undefined {
  if (value.length !== 8) return undefined;
  const v = new DataView(value.buffer, value.byteOffset, 8).getBigInt64(0, true);
  return convention === "micropython" ? Number(v / 1_000_000n) : Number(v) * 1000;
}
