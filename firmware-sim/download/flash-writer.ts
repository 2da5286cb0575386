/**
 * One FLASH_BEGIN..FLASH_END (or FLASH_DEFL_*) session of the loader: where the data goes, how
 * the region is erased, and the decompression of a zlib stream that spans packets.
 *
 * The two personalities erase differently (shared/reference/esp-serial-protocol.md 1.5, 1.7):
 * - ROM: FLASH_BEGIN erases the whole region at once, before answering;
 * - stub: erases just in time, ahead of the data, with 64 KiB block erases where the region
 *   allows and 4 KiB sector erases elsewhere, and skips sectors that are already blank (as the
 *   v2 stub does). Our stub also skips programming 256-byte pages that are all 0xFF on erased
 *   flash: the result is identical and a blank file system image then costs only its erase.
 * Every flash operation goes through NorFlash, which advances the module's virtual clock by
 * the chip's datasheet timings, so writing takes as long as it would on the part.
 */
import type { NorFlash } from "../flash/nor-flash.js";
import { InflateError, ZlibInflater } from "./inflate.js";

export interface WriteSessionParams {
  /** First flash byte written. */
  offset: number;
  /**
   * Bytes the data will cover: for plain writes `erase_size` from FLASH_BEGIN; for compressed
   * writes the uncompressed size (exact on the stub, rounded up to blocks on the ROM).
   */
  size: number;
  numBlocks: number;
  blockSize: number;
  compressed: boolean;
  /** ROM personality: erase the whole region now. Stub: erase just in time. */
  eraseUpFront: boolean;
}

/** Why a session rejected data; the loader turns it into its personality's status code. */
export class WriteSessionError extends Error {
  constructor(
    readonly kind: "too-much-data" | "inflate" | "adler32" | "range",
    message: string,
  ) {
    super(message);
    this.name = "WriteSessionError";
  }
}

const BLOCK64 = 0x10000;

export class WriteSession {
  readonly params: WriteSessionParams;
  /** Sequence number the next *_DATA packet must carry. */
  nextSeq = 0;
  /** Bytes (uncompressed) written into flash so far. */
  written = 0;
  /** Compressed bytes received (deflate sessions). */
  received = 0;
  private readonly inflater: ZlibInflater | undefined;
  /** End of the region already erased (stub just-in-time erase), absolute address. */
  private erasedTo: number;

  constructor(
    private readonly flash: NorFlash,
    params: WriteSessionParams,
  ) {
    this.params = params;
    const ss = flash.sectorSize;
    if (params.offset % ss !== 0) {
      throw new WriteSessionError("range", `offset 0x${params.offset.toString(16)} is not sector aligned`);
    }
    const end = this.eraseEnd(params.offset + params.size);
    if (end > flash.size) {
      throw new WriteSessionError(
        "range",
        `0x${params.offset.toString(16)}+${params.size} is past the end of flash`,
      );
    }
    this.inflater = params.compressed ? new ZlibInflater() : undefined;
    this.erasedTo = params.offset;
    if (params.eraseUpFront && end > params.offset) {
      flash.erase(params.offset, end - params.offset);
      this.erasedTo = end;
    }
  }

  /** True when every byte announced by FLASH_BEGIN has been written. */
  get complete(): boolean {
    if (this.inflater !== undefined) return this.inflater.done;
    return this.written >= this.params.numBlocks * this.params.blockSize || this.written >= this.params.size;
  }

  /** Accept the payload of one *_DATA packet (already checksum- and sequence-checked). */
  accept(block: Uint8Array): void {
    this.nextSeq++;
    if (this.inflater === undefined) {
      this.write(block);
      return;
    }
    this.received += block.length;
    let out: Uint8Array;
    try {
      out = this.inflater.push(block);
    } catch (e) {
      if (e instanceof InflateError)
        throw new WriteSessionError(e.kind === "adler32" ? "adler32" : "inflate", e.message);
      throw e;
    }
    this.write(out);
  }

  private write(data: Uint8Array): void {
    if (data.length === 0) return;
    const p = this.params;
    // Plain ROM writes arrive padded to the block size; the pad past erase_size is dropped,
    // as the chip never programs outside the region it erased.
    const room = this.inflater === undefined ? Math.max(p.size, 0) - this.written : p.size - this.written;
    if (data.length > room) {
      const padOnly =
        this.inflater === undefined && data.subarray(Math.max(room, 0)).every((b) => b === 0xff);
      if (!padOnly)
        throw new WriteSessionError("too-much-data", `${data.length - room} bytes past the announced size`);
      data = data.subarray(0, Math.max(room, 0));
      if (data.length === 0) return;
    }
    const addr = p.offset + this.written;
    this.ensureErased(addr + data.length);
    const page = this.flash.chip.pageSize;
    for (let i = 0; i < data.length;) {
      const n = Math.min(page - ((addr + i) % page), data.length - i);
      const piece = data.subarray(i, i + n);
      if (!piece.every((b) => b === 0xff)) this.flash.program(addr + i, piece);
      i += n;
    }
    this.written += data.length;
  }

  /** Stub just-in-time erase up to `end` (absolute), whole sectors, skipping blank ones. */
  private ensureErased(end: number): void {
    const target = this.eraseEnd(end);
    const regionEnd = this.eraseEnd(this.params.offset + this.params.size);
    while (this.erasedTo < target) {
      const a = this.erasedTo;
      // A 64 KiB block erase when aligned and the region covers it: 150 ms instead of 16 x 45 ms.
      const size = a % BLOCK64 === 0 && regionEnd - a >= BLOCK64 ? BLOCK64 : this.flash.sectorSize;
      if (size === BLOCK64 && this.allBlank(a, size)) {
        this.erasedTo += size;
        continue;
      }
      if (size === BLOCK64) {
        this.flash.erase(a, size);
      } else if (!this.allBlank(a, size)) {
        this.flash.erase(a, size);
      }
      this.erasedTo += size;
    }
  }

  private allBlank(addr: number, size: number): boolean {
    const buf = new Uint8Array(size);
    this.flash.readInto(addr, buf);
    return buf.every((b) => b === 0xff);
  }

  private eraseEnd(end: number): number {
    const ss = this.flash.sectorSize;
    return Math.ceil(end / ss) * ss;
  }
}
