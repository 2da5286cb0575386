/**
 * Byte layout of the SecureData region (firmware-sim/SPEC.md "SecureData region"). All
 * integers are little-endian; CRCs are the standard CRC-32 (zlib `crc32(data)`, seed 0).
 *
 * Sector header, 16 bytes at offset 0 of every sector in use:
 *   0  u32 magic "FBSD" (bytes 46 42 53 44)
 *   4  u8  layout version (1)
 *   5  u8[3] 0xff (reserved, left erased)
 *   8  u32 generation: 1 for the first sector ever opened, +1 for each sector opened after it
 *   12 u32 CRC-32 of bytes 0..11
 *
 * Record, 4-byte aligned, appended after the header:
 *   0  u8  tag 0x52 ('R')
 *   1  u8  index 1..16
 *   2  u16 payload length (0..capacity of the index)
 *   4  u32 sequence number (global, +1 per Store; both copies of a Store share it)
 *   8  u32 CRC-32 of the payload
 *   12 u32 CRC-32 of bytes 0..11
 *   16 payload, then erased padding up to a multiple of 4
 *   16+pad4(len)  u32 commit word 0x00000000, programmed last
 *
 * A record counts only when its header CRC, its commit word and its payload CRC are all
 * correct. The commit word is all zero bits so that any torn program of it (a prefix, or only
 * some bits cleared) reads as something else.
 */
import { crc32 } from "./file-crc32.js";

export const SD_MAGIC = Uint8Array.of(0x46, 0x42, 0x53, 0x44);
export const SD_VERSION = 1;
export const SECTOR_HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 16;
export const COMMIT_SIZE = 4;
export const RECORD_TAG = 0x52;
export const COMMIT_VALUE = 0x00000000;

/** SecureData indexes 1..16 and their capacities in bytes (quecpython-behavior.md section 2). */
export const SD_INDEX_COUNT = 16;
export function capacityOf(index: number): number {
  if (index >= 1 && index <= 8) return 52;
  if (index >= 9 && index <= 12) return 100;
  if (index >= 13 && index <= 14) return 500;
  if (index >= 15 && index <= 16) return 1000;
  return 0;
}
/** 8x52 + 4x100 + 2x500 + 2x1000. */
export const SD_TOTAL_CAPACITY = 3816;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Bytes one copy of a record of `len` payload bytes occupies. */
export function recordSize(len: number): number {
  return RECORD_HEADER_SIZE + pad4(len) + COMMIT_SIZE;
}

export function encodeSectorHeader(generation: number): Uint8Array {
  const b = new Uint8Array(SECTOR_HEADER_SIZE).fill(0xff);
  b.set(SD_MAGIC, 0);
  b[4] = SD_VERSION;
  const v = new DataView(b.buffer);
  v.setUint32(8, generation >>> 0, true);
  v.setUint32(12, crc32(b.subarray(0, 12)), true);
  return b;
}

export type SectorHeaderParse =
  | { kind: "valid"; generation: number }
  | { kind: "other-version"; version: number; generation: number }
  | { kind: "invalid" };

export function parseSectorHeader(b: Uint8Array): SectorHeaderParse {
  if (b.length < SECTOR_HEADER_SIZE) return { kind: "invalid" };
  for (let i = 0; i < 4; i++) if (b[i] !== SD_MAGIC[i]) return { kind: "invalid" };
  const v = new DataView(b.buffer, b.byteOffset, SECTOR_HEADER_SIZE);
  if (v.getUint32(12, true) !== crc32(b.subarray(0, 12))) return { kind: "invalid" };
  const generation = v.getUint32(8, true);
  if (b[4] !== SD_VERSION) return { kind: "other-version", version: b[4]!, generation };
  return { kind: "valid", generation };
}

export interface RecordHeader {
  index: number;
  len: number;
  seq: number;
  payloadCrc: number;
}

/** Header and payload as one buffer (one program operation), padding left out. */
export function encodeRecordBody(index: number, seq: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(RECORD_HEADER_SIZE + payload.length);
  const v = new DataView(b.buffer);
  b[0] = RECORD_TAG;
  b[1] = index;
  v.setUint16(2, payload.length, true);
  v.setUint32(4, seq >>> 0, true);
  v.setUint32(8, crc32(payload), true);
  v.setUint32(12, crc32(b.subarray(0, 12)), true);
  b.set(payload, RECORD_HEADER_SIZE);
  return b;
}

export function encodeCommit(): Uint8Array {
  const b = new Uint8Array(COMMIT_SIZE);
  new DataView(b.buffer).setUint32(0, COMMIT_VALUE, true);
  return b;
}

/** A record header whose own CRC is right and whose fields are in range, or undefined. */
export function parseRecordHeader(b: Uint8Array): RecordHeader | undefined {
  if (b.length < RECORD_HEADER_SIZE || b[0] !== RECORD_TAG) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, RECORD_HEADER_SIZE);
  if (v.getUint32(12, true) !== crc32(b.subarray(0, 12))) return undefined;
  const index = b[1]!;
  const len = v.getUint16(2, true);
  if (capacityOf(index) === 0 || len > capacityOf(index)) return undefined;
  return { index, len, seq: v.getUint32(4, true), payloadCrc: v.getUint32(8, true) };
}

export function isCommitted(b: Uint8Array): boolean {
  return (
    b.length === COMMIT_SIZE && new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) === COMMIT_VALUE
  );
}

export function allErased(b: Uint8Array, eraseValue: number): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== eraseValue) return false;
  return true;
}
