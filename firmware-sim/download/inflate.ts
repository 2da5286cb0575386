/**
 * A streaming zlib (RFC 1950) / DEFLATE (RFC 1951) decoder that accepts its input in arbitrary
 * slices and answers synchronously, as the loader needs: esptool sends ONE zlib stream cut
 * into FLASH_DEFL_DATA packets, and deflate blocks span packets. node:zlib cannot do this
 * synchronously without re-inflating everything received so far on every packet.
 *
 * Resumability without a coroutine: every decoding step (a block header, a dynamic table
 * description, one literal, one length/distance pair, a run of stored bytes) is atomic. The
 * bit position is saved before a step; when the input runs out in the middle of it, the
 * position is restored and the step is retried once more input arrives.
 *
 * The trailer's Adler-32 is checked, so a corrupted stream is reported the way the ROM reports
 * it ("Deflate Adler32 error").
 */

export class InflateError extends Error {
  constructor(
    readonly kind: "data" | "adler32",
    message: string,
  ) {
    super(message);
    this.name = "InflateError";
  }
}

/** Thrown inside a step when the input ends; never escapes `push`. */
const NEED_MORE = Symbol("need-more");

interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
}

const LEN_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
/** Order in which code-length code lengths are sent (RFC 1951 3.2.7). */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function buildHuffman(lengths: ArrayLike<number>, n: number): Huffman {
  const counts = new Uint16Array(16);
  for (let i = 0; i < n; i++) counts[lengths[i]!]!++;
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len]! + counts[len]!;
  const symbols = new Uint16Array(n);
  for (let i = 0; i < n; i++) if (lengths[i]! !== 0) symbols[offs[lengths[i]!]!++] = i;
  return { counts, symbols };
}

function fixedTables(): { lit: Huffman; dist: Huffman } {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  return { lit: buildHuffman(l, 288), dist: buildHuffman(new Uint8Array(30).fill(5), 30) };
}
const FIXED = fixedTables();

type State = "header" | "block" | "stored" | "codes" | "trailer" | "done";

const WINDOW = 1 << 15;

export class ZlibInflater {
  private input = new Uint8Array(0);
  private pos = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  private state: State = "header";
  private final = false;
  private storedLeft = 0;
  private lit: Huffman = FIXED.lit;
  private dist: Huffman = FIXED.dist;
  private readonly ring = new Uint8Array(WINDOW);
  private ringPos = 0;
  private total = 0;
  private out = new Uint8Array(0);
  private outLen = 0;
  private adlerA = 1;
  private adlerB = 0;

  /** True once the final block and a matching Adler-32 trailer were read. */
  get done(): boolean {
    return this.state === "done";
  }

  /** Uncompressed bytes produced so far. */
  get totalOut(): number {
    return this.total;
  }

  /** Compressed bytes received but not yet decoded (a step waiting for the rest). */
  get pendingIn(): number {
    return this.input.length - this.pos;
  }

  /** Feed the next slice of the stream; returns the bytes it completes. Throws InflateError. */
  push(chunk: Uint8Array): Uint8Array {
    const rest = this.input.subarray(this.pos);
    const joined = new Uint8Array(rest.length + chunk.length);
    joined.set(rest, 0);
    joined.set(chunk, rest.length);
    this.input = joined;
    this.pos = 0;
    this.out = new Uint8Array(Math.max(1024, chunk.length * 4));
    this.outLen = 0;
    for (;;) {
      const saved = { pos: this.pos, bitBuf: this.bitBuf, bitCnt: this.bitCnt, outLen: this.outLen };
      try {
        if (!this.step()) break;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        this.pos = saved.pos;
        this.bitBuf = saved.bitBuf;
        this.bitCnt = saved.bitCnt;
        // A step that ran out of input emitted nothing the caller will see twice: roll back.
        this.rollbackOutput(saved.outLen);
        break;
      }
    }
    return this.out.slice(0, this.outLen);
  }

  /** One atomic step; false when there is nothing more to do (done). */
  private step(): boolean {
    switch (this.state) {
      case "header": {
        const cmf = this.byte();
        const flg = this.byte();
        if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
          throw new InflateError("data", "not a zlib stream (bad header)");
        }
        this.state = "block";
        return true;
      }
      case "block": {
        const fin = this.bits(1);
        const type = this.bits(2);
        if (type === 0) {
          this.bitBuf = 0;
          this.bitCnt = 0;
          const len = this.byte() | (this.byte() << 8);
          const nlen = this.byte() | (this.byte() << 8);
          if ((len ^ 0xffff) !== nlen) throw new InflateError("data", "stored block length check failed");
          this.storedLeft = len;
          this.state = "stored";
        } else if (type === 1) {
          this.lit = FIXED.lit;
          this.dist = FIXED.dist;
          this.state = "codes";
        } else if (type === 2) {
          this.readDynamic();
          this.state = "codes";
        } else {
          throw new InflateError("data", "invalid block type 3");
        }
        this.final = fin === 1;
        return true;
      }
      case "stored": {
        if (this.storedLeft === 0) {
          this.endBlock();
          return true;
        }
        const n = Math.min(this.storedLeft, this.input.length - this.pos);
        if (n === 0) throw NEED_MORE;
        for (let i = 0; i < n; i++) this.emit(this.input[this.pos + i]!);
        this.pos += n;
        this.storedLeft -= n;
        return true;
      }
      case "codes": {
        // Decode many symbols per step while input lasts; each symbol is its own save point.
        for (let k = 0; k < 4096; k++) {
          const saved = { pos: this.pos, bitBuf: this.bitBuf, bitCnt: this.bitCnt };
          try {
            if (!this.symbol()) return true;
          } catch (e) {
            if (e !== NEED_MORE) throw e;
            this.pos = saved.pos;
            this.bitBuf = saved.bitBuf;
            this.bitCnt = saved.bitCnt;
            if (k === 0) throw e;
            return true;
          }
        }
        return true;
      }
      case "trailer": {
        this.bitBuf = 0;
        this.bitCnt = 0;
        const want = ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
        const got = ((this.adlerB << 16) | this.adlerA) >>> 0;
        if (want !== got) {
          throw new InflateError(
            "adler32",
            `Adler-32 mismatch: stream says 0x${want.toString(16)}, data gives 0x${got.toString(16)}`,
          );
        }
        this.state = "done";
        return false;
      }
      case "done":
        return false;
    }
  }

  /** Decode one literal/length symbol (with its distance); false at the end of the block. */
  private symbol(): boolean {
    const sym = this.decode(this.lit);
    if (sym < 256) {
      this.emit(sym);
      return true;
    }
    if (sym === 256) {
      this.endBlock();
      return false;
    }
    const li = sym - 257;
    if (li >= 29) throw new InflateError("data", `invalid length symbol ${sym}`);
    const len = LEN_BASE[li]! + this.bits(LEN_EXTRA[li]!);
    const ds = this.decode(this.dist);
    if (ds >= 30) throw new InflateError("data", `invalid distance symbol ${ds}`);
    const d = DIST_BASE[ds]! + this.bits(DIST_EXTRA[ds]!);
    if (d > this.total || d > WINDOW)
      throw new InflateError("data", `distance ${d} reaches before the stream start`);
    for (let i = 0; i < len; i++) this.emit(this.ring[(this.ringPos - d) & (WINDOW - 1)]!);
    return true;
  }

  private endBlock(): void {
    this.state = this.final ? "trailer" : "block";
  }

  private readDynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError("data", "too many length or distance codes");
    const cl = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) cl[CLEN_ORDER[i]!] = this.bits(3);
    const clh = buildHuffman(cl, 19);
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist;) {
      const sym = this.decode(clh);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let rep = 0;
      let val = 0;
      if (sym === 16) {
        if (i === 0) throw new InflateError("data", "repeat with no previous length");
        val = lengths[i - 1]!;
        rep = 3 + this.bits(2);
      } else if (sym === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (i + rep > nlen + ndist) throw new InflateError("data", "too many code lengths");
      lengths.fill(val, i, i + rep);
      i += rep;
    }
    if (lengths[256] === 0) throw new InflateError("data", "no end-of-block code");
    this.lit = buildHuffman(lengths.subarray(0, nlen), nlen);
    this.dist = buildHuffman(lengths.subarray(nlen), ndist);
  }

  private decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bits(1);
      const count = h.counts[len]!;
      if (code - count < first) return h.symbols[index + (code - first)]!;
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    throw new InflateError("data", "invalid Huffman code");
  }

  private bits(n: number): number {
    while (this.bitCnt < n) {
      if (this.pos >= this.input.length) throw NEED_MORE;
      this.bitBuf |= this.input[this.pos++]! << this.bitCnt;
      this.bitCnt += 8;
    }
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCnt -= n;
    return v;
  }

  private byte(): number {
    if (this.pos >= this.input.length) throw NEED_MORE;
    return this.input[this.pos++]!;
  }

  private emit(b: number): void {
    if (this.outLen === this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.outLen++] = b;
    this.ring[this.ringPos] = b;
    this.ringPos = (this.ringPos + 1) & (WINDOW - 1);
    this.total++;
    this.adlerA = (this.adlerA + b) % 65521;
    this.adlerB = (this.adlerB + this.adlerA) % 65521;
  }

  /**
   * Undo output of a step that ran out of input. Only "stored" steps can emit before running
   * out, and they never do (they copy what is there), so this only guards the invariant.
   */
  private rollbackOutput(outLen: number): void {
    if (outLen !== this.outLen) throw new Error("inflate: a step emitted output before needing more input");
  }
}
