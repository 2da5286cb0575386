/**
 * Fault injection for the NOR model (shared/reference/flash-and-stores.md section 5.6).
 *
 * Write operations (program and erase commands; reads do not count) are numbered from 1 since
 * the flash was powered on. A plan cuts power at one of them:
 * - `before`: operation N never starts (clean cut before);
 * - `after`: operation N completes, then power is lost (littlefs emubd's NOOP mode);
 * - `during`: operation N is torn: for a program, a prefix of the data is applied and, with
 *   `tear: "bits"`, random bits of the rest of the range that the program would have cleared
 *   are cleared too; for an erase, the sector is left with arbitrary contents (an erase starts
 *   by pre-programming every bit to 0, so an early cut leaves more zeros than before).
 * With `weakBits`, bits left in between by a torn operation read back unstably (a random value
 * on each read) until their sector is erased again.
 *
 * After the cut the flash is dead: every further operation throws `PowerLoss`.
 */

export type CutWhen = "before" | "after" | "during";
export type TearMode = "prefix" | "bits";

export interface PowerCutPlan {
  /** 1-based index of the write operation (program or erase) at which power is lost. */
  at: number;
  /** Default "after". */
  when?: CutWhen;
  /** How an interrupted program tears (only with when = "during"). Default "prefix". */
  tear?: TearMode;
  /**
   * For "prefix" tears: how many bytes of the program land, rounded down to the program
   * granularity. -1 (default) = a random length below the full length.
   */
  tearBytes?: number;
  /** Torn bits read back unstably until erased. Default false. */
  weakBits?: boolean;
}

/** What a worn-out sector (erase count >= endurance) does, as littlefs emubd's badblock modes. */
export type BadSectorBehavior =
  | "prog-error" // programs fail with FLASH_BAD_PROG
  | "erase-error" // erases fail with FLASH_BAD_ERASE
  | "read-error" // reads fail with FLASH_BAD_READ
  | "prog-noop" // programs silently do nothing
  | "erase-noop"; // erases silently do nothing

/** Small deterministic PRNG (xorshift32) so every fault can be replayed from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  byte(): number {
    return this.next() & 0xff;
  }
  /** `n` bytes of the stream (incompressible, reproducible test data). */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}
