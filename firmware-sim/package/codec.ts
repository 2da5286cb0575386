/**
 * Low-level encoding of the package: a growable little-endian byte sink, TLV records
 * (tag u16, flags u16, length u32, value) and the sparse image encoding, plus SHA-256.
 * Layout details are in firmware-sim/SPEC.md ("Firmware package (.fbpkg)").
 */
import { createHash } from "node:crypto";
import { SPARSE_CHUNK, TLV_CRITICAL, TLV_HEAD_SIZE, corrupt, truncated } from "./format.js";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Append-only byte buffer that doubles as it grows. */
export class ByteSink {
  private buf: Uint8Array;
  private dv: DataView;
  length = 0;

  /** `capacity`: bytes to allocate up front (>= 1); a good guess saves regrowing multi-MiB buffers. */
  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(1, capacity));
    this.dv = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  u16(v: number): void {
    this.reserve(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Overwrite a u32 already written (lengths patched in after the value is known). */
  patchU32(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, true);
  }

  /** Write one TLV whose value is produced by `body` (which writes into this sink). */
  tlv(tag: number, critical: boolean, body: (s: ByteSink) => void): void {
    this.u16(tag);
    this.u16(critical ? TLV_CRITICAL : 0);
    const lenAt = this.length;
    this.u32(0);
    const start = this.length;
    body(this);
    this.patchU32(lenAt, this.length - start);
  }

  tlvBytes(tag: number, critical: boolean, value: Uint8Array): void {
    this.tlv(tag, critical, (s) => s.bytes(value));
  }

  tlvString(tag: number, critical: boolean, value: string): void {
    this.tlvBytes(tag, critical, utf8.encode(value));
  }

  tlvU32(tag: number, critical: boolean, value: number): void {
    this.tlv(tag, critical, (s) => s.u32(value));
  }

  /** A view (not a copy) of bytes written so far; invalidated by the next write. */
  view(start = 0, end = this.length): Uint8Array {
    return this.buf.subarray(start, end);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface Tlv {
  readonly tag: number;
  readonly critical: boolean;
  /** Byte offset of the TLV head in the buffer it was read from (for messages). */
  readonly at: number;
  readonly value: Uint8Array;
}

/**
 * Split `bytes` into TLVs. A record running past the end is PKG_TRUNCATED when `bytes` is the
 * whole rest of the file, PKG_CORRUPT when it is a nested value (its length was checked).
 */
export function readTlvs(bytes: Uint8Array, base: number, what: string, nested: boolean): Tlv[] {
  const out: Tlv[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + TLV_HEAD_SIZE > bytes.length) {
      if (nested) throw corrupt(`${what}: field header at byte ${base + pos} runs past its section`);
      throw truncated(`${what} record header at byte ${base + pos}`, TLV_HEAD_SIZE, bytes.length - pos);
    }
    const tag = view.getUint16(pos, true);
    const flags = view.getUint16(pos + 2, true);
    const len = view.getUint32(pos + 4, true);
    const start = pos + TLV_HEAD_SIZE;
    if (start + len > bytes.length) {
      if (nested)
        throw corrupt(`${what}: field 0x${tag.toString(16)} at byte ${base + pos} runs past its section`);
      throw truncated(
        `${what} record 0x${tag.toString(16)} at byte ${base + pos}`,
        len,
        bytes.length - start,
      );
    }
    out.push({
      tag,
      critical: (flags & TLV_CRITICAL) !== 0,
      at: base + pos,
      value: bytes.subarray(start, start + len),
    });
    pos = start + len;
  }
  return out;
}

export function tlvU32(t: Tlv, what: string): number {
  if (t.value.length !== 4) throw corrupt(`${what} is ${t.value.length} bytes, expected 4`);
  return new DataView(t.value.buffer, t.value.byteOffset, 4).getUint32(0, true);
}

export function tlvString(t: Tlv, what: string): string {
  try {
    return strictUtf8.decode(t.value);
  } catch {
    throw corrupt(`${what} is not valid UTF-8`);
  }
}

function erased(chunk: Uint8Array): boolean {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0xff) return false;
  return true;
}

/**
 * Sparse image: u32 chunk size, a bitmap with one bit per chunk (LSB first; 1 = stored), then
 * the stored chunks in order. A chunk is left out exactly when all its bytes are 0xFF (erased
 * NOR), so a mostly empty littlefs partition costs a few KiB. The last chunk may be short.
 */
export function encodeSparse(s: ByteSink, image: Uint8Array): void {
  const chunks = Math.ceil(image.length / SPARSE_CHUNK);
  const bitmap = new Uint8Array(Math.ceil(chunks / 8));
  const stored: Uint8Array[] = [];
  for (let i = 0; i < chunks; i++) {
    const chunk = image.subarray(i * SPARSE_CHUNK, Math.min(image.length, (i + 1) * SPARSE_CHUNK));
    if (!erased(chunk)) {
      bitmap[i >> 3]! |= 1 << (i & 7);
      stored.push(chunk);
    }
  }
  s.u32(SPARSE_CHUNK);
  s.bytes(bitmap);
  for (const c of stored) s.bytes(c);
}

export function decodeSparse(data: Uint8Array, length: number, what: string): Uint8Array {
  if (data.length < 4) throw corrupt(`${what}: sparse image header is ${data.length} bytes`);
  const chunkSize = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
  if (chunkSize === 0 || chunkSize % 256 !== 0) throw corrupt(`${what}: sparse chunk size ${chunkSize}`);
  const chunks = Math.ceil(length / chunkSize);
  const bitmapLen = Math.ceil(chunks / 8);
  if (data.length < 4 + bitmapLen) throw corrupt(`${what}: sparse bitmap cut short`);
  const bitmap = data.subarray(4, 4 + bitmapLen);
  // Check the stored bytes add up before allocating, so a damaged length costs no memory.
  let stored = 0;
  for (let i = 0; i < chunks; i++) {
    if ((bitmap[i >> 3]! & (1 << (i & 7))) !== 0) stored += Math.min(chunkSize, length - i * chunkSize);
  }
  if (4 + bitmapLen + stored !== data.length) {
    throw corrupt(
      `${what}: sparse chunks hold ${data.length - 4 - bitmapLen} bytes, the bitmap says ${stored}`,
    );
  }
  const image = new Uint8Array(length).fill(0xff);
  let pos = 4 + bitmapLen;
  for (let i = 0; i < chunks; i++) {
    if ((bitmap[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const n = Math.min(chunkSize, length - i * chunkSize);
    if (pos + n > data.length) throw corrupt(`${what}: sparse chunk ${i} runs past the image data`);
    image.set(data.subarray(pos, pos + n), i * chunkSize);
    pos += n;
  }
  if (pos !== data.length) throw corrupt(`${what}: ${data.length - pos} stray bytes after the sparse chunks`);
  return image;
}
