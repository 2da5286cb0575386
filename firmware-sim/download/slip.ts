/**
 * SLIP framing (RFC 1055) as the ESP serial loader uses it: every packet starts and ends with
 * 0xC0; inside a packet 0xC0 travels as 0xDB 0xDC and 0xDB as 0xDB 0xDD. Escaping is applied
 * after lengths and checksums are computed, so a frame on the wire can be longer than its
 * packet (shared/reference/esp-serial-protocol.md section 1.2). Used by both ends of the line.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Wrap one packet in a frame: leading and trailing 0xC0, escapes inside. */
export function slipEncode(packet: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of packet) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = new Uint8Array(packet.length + extra + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of packet) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else {
      out[o++] = b;
    }
  }
  out[o] = SLIP_END;
  return out;
}

/** What the decoder saw besides packets: text between frames, broken escapes. */
export interface SlipNoise {
  /** Bytes received outside any frame (boot banners, panic text, line noise). */
  stray?: Uint8Array;
  /** A frame held an escape byte followed by something other than 0xDC/0xDD. */
  badEscape?: boolean;
}

/**
 * A streaming decoder. Feed it bytes as they arrive; it returns the complete packets. Bytes
 * outside a frame are reported as `stray` (esptool scans them for panic text), and an empty
 * frame (two 0xC0 in a row) is the normal gap between frames, not a packet.
 */
export class SlipDecoder {
  private inFrame = false;
  private escaped = false;
  private badEscape = false;
  private buf: number[] = [];
  private stray: number[] = [];
  /** Largest packet accepted; a longer frame is dropped (line noise lost the closing 0xC0). */
  constructor(private readonly maxPacket = 0x10000 + 64) {}

  /** True while a frame has been opened and not closed. */
  get midFrame(): boolean {
    return this.inFrame;
  }

  push(data: Uint8Array, noise?: (n: SlipNoise) => void): Uint8Array[] {
    const packets: Uint8Array[] = [];
    for (const b of data) {
      if (!this.inFrame) {
        if (b === SLIP_END) {
          this.flushStray(noise);
          this.inFrame = true;
          this.buf = [];
          this.escaped = false;
          this.badEscape = false;
        } else {
          this.stray.push(b);
        }
        continue;
      }
      if (b === SLIP_END) {
        if (this.buf.length === 0) continue; // 0xC0 0xC0: end of one frame is the start of the next
        if (this.badEscape) noise?.({ badEscape: true });
        else packets.push(Uint8Array.from(this.buf));
        this.buf = [];
        this.inFrame = false;
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) this.buf.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.buf.push(SLIP_ESC);
        else this.badEscape = true;
      } else if (b === SLIP_ESC) {
        this.escaped = true;
      } else {
        this.buf.push(b);
      }
      if (this.buf.length > this.maxPacket) {
        // A lost closing 0xC0 would otherwise glue every later frame into this one.
        this.buf = [];
        this.inFrame = false;
        noise?.({ badEscape: true });
      }
    }
    if (!this.inFrame) this.flushStray(noise);
    return packets;
  }

  /** Forget a half-received frame (after a baud change or a reset). */
  reset(): void {
    this.inFrame = false;
    this.escaped = false;
    this.badEscape = false;
    this.buf = [];
    this.stray = [];
  }

  private flushStray(noise?: (n: SlipNoise) => void): void {
    if (this.stray.length === 0) return;
    const s = Uint8Array.from(this.stray);
    this.stray = [];
    noise?.({ stray: s });
  }
}
