/**
 * The stub's READ_FLASH (0xD2) data flow (shared/reference/esp-serial-protocol.md 1.7): after
 * the normal reply the stub streams raw SLIP frames of `packet_size` bytes with no header; the
 * host answers each with a 4-byte frame holding the total bytes received so far; the stub
 * keeps at most `max_unacked` frames in flight; after the last acknowledgement it sends the
 * 16-byte MD5 of the whole range.
 */
import { createHash, type Hash } from "node:crypto";
import type { NorFlash } from "../flash/nor-flash.js";

export interface ReadFlashParams {
  offset: number;
  length: number;
  /** Bytes per data frame (esptool and esptool-js ask for 0x1000). */
  packetSize: number;
  /** Frames allowed in flight before an acknowledgement; 0 is treated as 1. */
  maxUnacked: number;
  /** Module MD5 throughput, bytes per microsecond; 0 = free. */
  md5BytesPerUs: number;
}

export class ReadFlashStream {
  private sent = 0;
  private acked = 0;
  private readonly hash: Hash = createHash("md5");
  private finished = false;

  constructor(
    private readonly flash: NorFlash,
    private readonly sendFrame: (frame: Uint8Array) => void,
    private readonly p: ReadFlashParams,
  ) {}

  /** Send the first window of frames. True when the whole transfer is already over. */
  start(): boolean {
    if (this.p.packetSize === 0 || this.p.offset + this.p.length > this.flash.size) {
      // Nothing sensible to stream: finish at once with the digest of what was asked (none).
      this.finish();
      return true;
    }
    this.pump();
    return this.finished;
  }

  /** A host acknowledgement carrying the total received. True when the transfer is over. */
  ack(total: number): boolean {
    if (total > this.acked && total <= this.sent) this.acked = total;
    this.pump();
    return this.finished;
  }

  private pump(): void {
    const window = Math.max(1, this.p.maxUnacked) * this.p.packetSize;
    while (this.sent < this.p.length && this.sent - this.acked < window) {
      const n = Math.min(this.p.packetSize, this.p.length - this.sent);
      const buf = new Uint8Array(n);
      this.flash.readInto(this.p.offset + this.sent, buf);
      this.hash.update(buf);
      if (this.p.md5BytesPerUs > 0) this.flash.clock.advance(n / this.p.md5BytesPerUs);
      this.sent += n;
      this.sendFrame(buf);
    }
    if (this.sent >= this.p.length && this.acked >= this.p.length) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.sendFrame(new Uint8Array(this.hash.digest()));
  }
}
