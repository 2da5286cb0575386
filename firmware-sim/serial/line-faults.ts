/**
 * Faults injected on a simulated serial line, by tests and by the `serve` control channel:
 * flipped bits, dropped bytes and a disconnect (the USB cable pulled). Faults are armed for
 * a number of upcoming bytes in one direction and are deterministic for a given seed, so a
 * failing test replays exactly.
 */

/** "rx" = host to module, "tx" = module to host (named from the module's side, as UART pins are). */
export type LineDirection = "rx" | "tx";

interface Armed {
  flip: number;
  drop: number;
}

export class LineFaults {
  private readonly armed: Record<LineDirection, Armed> = {
    rx: { flip: 0, drop: 0 },
    tx: { flip: 0, drop: 0 },
  };
  private seed: number;
  private cut = false;
  /** Counts of bytes damaged so far, for reports. */
  readonly stats = { flipped: 0, dropped: 0 };

  constructor(seed = 0x2c7c) {
    this.seed = seed >>> 0 || 1;
  }

  /** Flip one bit in each of the next `count` bytes (count >= 1) going `dir`. */
  flipBits(dir: LineDirection, count: number): void {
    this.armed[dir].flip += Math.max(0, Math.floor(count));
  }

  /** Lose the next `count` bytes going `dir`. */
  dropBytes(dir: LineDirection, count: number): void {
    this.armed[dir].drop += Math.max(0, Math.floor(count));
  }

  /** Pull the cable: both directions go dead until `reconnect`. */
  disconnect(): void {
    this.cut = true;
  }

  reconnect(): void {
    this.cut = false;
  }

  get disconnected(): boolean {
    return this.cut;
  }

  /** Disarm everything (a power cycle keeps the cable, so this is separate from `reconnect`). */
  clear(): void {
    this.armed.rx = { flip: 0, drop: 0 };
    this.armed.tx = { flip: 0, drop: 0 };
  }

  private random(): number {
    // xorshift32: tiny, seedable, good enough to pick a bit.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  /** Apply armed faults to bytes about to cross the line; returns what arrives. */
  apply(dir: LineDirection, data: Uint8Array): Uint8Array {
    if (this.cut) return new Uint8Array(0);
    const a = this.armed[dir];
    if (a.flip === 0 && a.drop === 0) return data;
    const out: number[] = [];
    for (const b of data) {
      if (a.drop > 0) {
        a.drop--;
        this.stats.dropped++;
        continue;
      }
      if (a.flip > 0) {
        a.flip--;
        this.stats.flipped++;
        out.push(b ^ (1 << (this.random() & 7)));
        continue;
      }
      out.push(b);
    }
    return new Uint8Array(out);
  }
}
