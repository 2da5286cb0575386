/**
 * A SPI NOR flash with exact physics, a timing model on virtual time, wear, bad sectors and
 * fault injection (see DESIGN.md "NOR flash model" for why each rule exists).
 *
 * Physics: erased bytes read as `eraseValue` (0xff on real NOR); a program can only move bits
 * away from the erased value (1 -> 0 on NOR: the stored byte becomes `old & new`); only an erase
 * of a whole sector brings them back. In strict mode (the default) programming a byte that is
 * not erased is an error, as in littlefs's test block device; relaxed regions allow the
 * re-programs that ESP-IDF NVS-style state flags rely on (only clearing more bits), counted
 * per 4-byte word.
 *
 * Storage is one buffer per sector, shared copy-on-write between a flash and its snapshots, so
 * a snapshot of an 8 MiB chip costs a 2048-entry array and nothing more until the branches
 * write. A sector never written since power-on of the first instance is `undefined` (erased).
 */
import { PowerLoss } from "../errors.js";
import type { Clock } from "../clock.js";
import { VirtualClock } from "../clock.js";
import type { FlashChip } from "./chips.js";
import { FlashError } from "./flash-error.js";
import type { BadSectorBehavior, PowerCutPlan } from "./faults.js";
import { Rng } from "./faults.js";

export interface NorFlashConfig {
  chip: FlashChip;
  /** Programming a byte that is not erased throws FLASH_NOT_ERASED. Default true. */
  strict?: boolean;
  /**
   * Byte ranges where re-programs that only clear more bits are allowed even in strict mode
   * (state flags in the style of ESP-IDF NVS). Offsets and sizes in bytes. Default none.
   */
  relaxedRegions?: ReadonlyArray<{ offset: number; size: number }>;
  /** Re-programs allowed per 4-byte word in a relaxed region before an erase; 0 = no limit. */
  maxReprogramsPerWord?: number;
  /** Program granularity in bytes (1 on SPI NOR; 4..16 models MCU flash with ECC). Default 1. */
  programUnit?: number;
  /** Value of erased bytes: 0xff (NOR) or 0x00 (emulations such as mklittlefs). Default 0xff. */
  eraseValue?: 0xff | 0x00;
  /** Erases a sector survives before it turns bad; 0 = never; default the chip's endurance. */
  endurance?: number;
  /** What a worn-out sector does. Default "prog-error". */
  badSectorBehavior?: BadSectorBehavior;
  /** Virtual clock advanced by every operation. Default: a private VirtualClock. */
  clock?: Clock;
  /** Seed of the PRNG used for torn operations and weak bits. Default 1. */
  seed?: number;
  /** Arm a power cut at a write operation (see faults.ts). */
  powerCut?: PowerCutPlan;
}

export interface FlashStats {
  reads: number;
  programs: number;
  erases: number;
  bytesRead: number;
  bytesProgrammed: number;
  bytesErased: number;
  /** Re-programs of already-programmed words in relaxed regions. */
  reprograms: number;
  /** Virtual time the chip was busy, microseconds. */
  busyUs: number;
}

/** An immutable picture of the flash contents and wear, cheap to take and to branch from. */
export interface FlashSnapshot {
  readonly chip: FlashChip;
  readonly eraseValue: number;
  /** One entry per sector; undefined = erased. Never mutated once in a snapshot. */
  readonly sectors: ReadonlyArray<Uint8Array | undefined>;
  readonly eraseCounts: Uint32Array;
  /** Unstable bits left by torn operations: sector -> (offset in sector -> bit mask). */
  readonly weak: ReadonlyMap<number, ReadonlyMap<number, number>>;
}

const WORD = 4;

export class NorFlash {
  readonly chip: FlashChip;
  readonly eraseValue: number;
  readonly clock: Clock;
  private readonly strict: boolean;
  private readonly relaxed: ReadonlyArray<{ offset: number; size: number }>;
  private readonly maxReprograms: number;
  private readonly programUnit: number;
  private readonly endurance: number;
  private readonly badBehavior: BadSectorBehavior;
  private readonly rng: Rng;
  private readonly sectorShift: number;

  private sectors: (Uint8Array | undefined)[];
  /** 1 when `sectors[i]` belongs to this instance alone and may be written in place. */
  private owned: Uint8Array;
  private eraseCounts: Uint32Array;
  private weak: Map<number, Map<number, number>>;
  private reprogramCounts = new Map<number, number>();
  private cut: PowerCutPlan | undefined;
  private writeOps = 0;
  private deadAt = 0;
  private readonly counters: FlashStats = {
    reads: 0,
    programs: 0,
    erases: 0,
    bytesRead: 0,
    bytesProgrammed: 0,
    bytesErased: 0,
    reprograms: 0,
    busyUs: 0,
  };

  constructor(config: NorFlashConfig, from?: FlashSnapshot) {
    const chip = config.chip;
    if (chip.size % chip.sectorSize !== 0 || (chip.sectorSize & (chip.sectorSize - 1)) !== 0) {
      throw new FlashError(
        "FLASH_CONFIG",
        `chip ${chip.id}: size must be a multiple of a power-of-two sector`,
      );
    }
    this.chip = chip;
    this.eraseValue = config.eraseValue ?? 0xff;
    this.clock = config.clock ?? new VirtualClock();
    this.strict = config.strict ?? true;
    this.relaxed = config.relaxedRegions ?? [];
    this.maxReprograms = config.maxReprogramsPerWord ?? 0;
    this.programUnit = config.programUnit ?? 1;
    this.endurance = config.endurance ?? chip.endurance;
    this.badBehavior = config.badSectorBehavior ?? "prog-error";
    this.rng = new Rng(config.seed ?? 1);
    this.sectorShift = Math.log2(chip.sectorSize);
    this.cut = config.powerCut;
    const n = chip.size / chip.sectorSize;
    if (from !== undefined) {
      if (from.chip.size !== chip.size || from.chip.sectorSize !== chip.sectorSize) {
        throw new FlashError(
          "FLASH_CONFIG",
          `snapshot of a ${from.chip.size}-byte chip loaded as ${chip.size}`,
        );
      }
      if (from.eraseValue !== this.eraseValue) {
        throw new FlashError("FLASH_CONFIG", `snapshot erase value ${from.eraseValue} != ${this.eraseValue}`);
      }
      this.sectors = from.sectors.slice();
      this.eraseCounts = from.eraseCounts.slice();
      this.weak = new Map([...from.weak].map(([s, m]) => [s, new Map(m)]));
    } else {
      this.sectors = new Array<Uint8Array | undefined>(n).fill(undefined);
      this.eraseCounts = new Uint32Array(n);
      this.weak = new Map();
    }
    this.owned = new Uint8Array(n);
  }

  /** Power on a new flash holding a snapshot's contents (the harness's "re-power"). */
  static fromSnapshot(
    snapshot: FlashSnapshot,
    config: Omit<NorFlashConfig, "chip"> & { chip?: FlashChip },
  ): NorFlash {
    return new NorFlash({ ...config, chip: config.chip ?? snapshot.chip }, snapshot);
  }

  /** Power on a flash holding a raw dump (e.g. a flash file). Wear counts start at 0. */
  static fromImage(image: Uint8Array, config: NorFlashConfig): NorFlash {
    const f = new NorFlash(config);
    if (image.length !== config.chip.size) {
      throw new FlashError(
        "FLASH_RANGE",
        `image is ${image.length} bytes but chip ${config.chip.id} holds ${config.chip.size}`,
        { hint: "use a dump of the same chip size, or pick the matching board/chip" },
      );
    }
    const ss = config.chip.sectorSize;
    const ev = f.eraseValue;
    for (let s = 0; s < f.sectors.length; s++) {
      const part = image.subarray(s * ss, (s + 1) * ss);
      if (!part.every((b) => b === ev)) {
        f.sectors[s] = part.slice();
        f.owned[s] = 1;
      }
    }
    return f;
  }

  get size(): number {
    return this.chip.size;
  }
  get sectorSize(): number {
    return this.chip.sectorSize;
  }
  get sectorCount(): number {
    return this.sectors.length;
  }
  /** Number of write operations (programs and erases) since power-on. */
  get writeOperations(): number {
    return this.writeOps;
  }
  /** True once power was cut: every operation throws PowerLoss. */
  get dead(): boolean {
    return this.deadAt > 0;
  }

  stats(): FlashStats {
    return { ...this.counters };
  }

  resetStats(): void {
    for (const k of Object.keys(this.counters) as (keyof FlashStats)[]) this.counters[k] = 0;
  }

  /** Erase count of every sector (a copy). */
  wear(): Uint32Array {
    return this.eraseCounts.slice();
  }

  isBad(sector: number): boolean {
    return this.endurance > 0 && this.eraseCounts[sector]! >= this.endurance;
  }

  /** Arm (or with undefined, disarm) a power cut, counted from the operations done so far. */
  armPowerCut(plan: PowerCutPlan | undefined): void {
    this.cut = plan;
  }

  /** Cut power now, outside any operation. */
  powerOff(): void {
    if (this.deadAt === 0) this.deadAt = this.writeOps + 1;
  }

  snapshot(): FlashSnapshot {
    this.owned.fill(0);
    return {
      chip: this.chip,
      eraseValue: this.eraseValue,
      sectors: this.sectors.slice(),
      eraseCounts: this.eraseCounts.slice(),
      weak: new Map([...this.weak].map(([s, m]) => [s, new Map(m)])),
    };
  }

  /** A full copy of the contents (weak bits read as stored). Works on a dead flash too. */
  image(): Uint8Array {
    const out = new Uint8Array(this.chip.size).fill(this.eraseValue);
    const ss = this.chip.sectorSize;
    this.sectors.forEach((s, i) => {
      if (s !== undefined) out.set(s, i * ss);
    });
    return out;
  }

  // ---- reads -------------------------------------------------------------------------------

  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(addr, out);
    return out;
  }

  readInto(addr: number, into: Uint8Array): void {
    this.alive();
    const len = into.length;
    this.range(addr, len, "read");
    const ss = this.chip.sectorSize;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const s = a >>> this.sectorShift;
      const off = a & (ss - 1);
      const n = Math.min(ss - off, len - done);
      if (this.badBehavior === "read-error" && this.isBad(s)) {
        throw new FlashError(
          "FLASH_BAD_READ",
          `read: sector ${s} is worn out (${this.eraseCounts[s]} erases)`,
        );
      }
      const buf = this.sectors[s];
      if (buf === undefined) into.fill(this.eraseValue, done, done + n);
      else into.set(buf.subarray(off, off + n), done);
      const weak = this.weak.get(s);
      if (weak !== undefined) {
        for (const [o, mask] of weak) {
          if (o >= off && o < off + n) into[done + o - off]! ^= mask & this.rng.byte();
        }
      }
      done += n;
    }
    this.counters.reads++;
    this.counters.bytesRead += len;
    this.busy(this.chip.timing.commandUs + len / this.chip.timing.readBytesPerUs);
  }

  // ---- programs ----------------------------------------------------------------------------

  /**
   * One program operation as a flash driver issues it: split at page boundaries into page
   * program commands, never wrapping. Counts as one write operation for fault injection.
   */
  program(addr: number, data: Uint8Array): void {
    this.range(addr, data.length, "program");
    if (addr % this.programUnit !== 0 || data.length % this.programUnit !== 0) {
      throw new FlashError(
        "FLASH_ALIGN",
        `program: 0x${addr.toString(16)}+${data.length} not aligned to the ${this.programUnit}-byte program unit`,
      );
    }
    const ps = this.chip.pageSize;
    let t = 0;
    for (let i = 0; i < data.length;) {
      const n = Math.min(ps - ((addr + i) % ps), data.length - i);
      t += this.pageTime(addr + i, n);
      i += n;
    }
    this.programOp([{ addr, data }], t);
  }

  /**
   * One SPI PAGE PROGRAM command (0x02) with the chip's exact addressing: bytes past the end of
   * the page wrap to its start, and when more than a page is sent only the last page-size
   * bytes are kept (W25Q/SST26 datasheets).
   */
  pageProgram(addr: number, data: Uint8Array): void {
    this.range(addr, 1, "program");
    const ps = this.chip.pageSize;
    const kept = data.length > ps ? data.subarray(data.length - ps) : data;
    const base = addr - (addr % ps);
    const start = data.length > ps ? (addr - base + data.length - ps) % ps : addr - base;
    const first = Math.min(kept.length, ps - start);
    const segments = [{ addr: base + start, data: kept.subarray(0, first) }];
    if (first < kept.length) segments.push({ addr: base, data: kept.subarray(first) });
    this.programOp(segments, this.pageTime(addr, kept.length));
  }

  private pageTime(addr: number, n: number): number {
    const t = this.chip.timing;
    const wearFrac =
      this.endurance > 0 ? Math.min(1, this.eraseCounts[addr >>> this.sectorShift]! / this.endurance) : 0;
    const tpp = t.pageProgramUs + (t.pageProgramMaxUs - t.pageProgramUs) * wearFrac;
    return t.commandUs + Math.max(t.byteProgramUs, (tpp * n) / this.chip.pageSize) + n / t.writeBytesPerUs;
  }

  /** Visit each (sector, offset-in-sector, chunk) piece of the segments, in order. */
  private forEachPiece(
    segments: ReadonlyArray<{ addr: number; data: Uint8Array }>,
    visit: (sector: number, off: number, chunk: Uint8Array, index: number) => void,
  ): void {
    const ss = this.chip.sectorSize;
    let index = 0;
    for (const seg of segments) {
      for (let i = 0; i < seg.data.length;) {
        const a = seg.addr + i;
        const off = a & (ss - 1);
        const n = Math.min(ss - off, seg.data.length - i);
        visit(a >>> this.sectorShift, off, seg.data.subarray(i, i + n), index);
        index += n;
        i += n;
      }
    }
  }

  private programOp(segments: ReadonlyArray<{ addr: number; data: Uint8Array }>, timeUs: number): void {
    const op = this.beginWrite();
    const ev = this.eraseValue;
    const ss = this.chip.sectorSize;
    let len = 0;
    let touchesBad = false;
    // Check every byte first so a rule violation changes nothing.
    this.forEachPiece(segments, (s, off, chunk) => {
      len += chunk.length;
      if (this.isBad(s)) touchesBad = true;
      const buf = this.sectors[s];
      if (buf === undefined) return;
      for (let i = 0; i < chunk.length; i++) {
        const cur = buf[off + i]!;
        if (cur === ev) continue;
        const a = s * ss + off + i;
        if (this.inRelaxed(a)) {
          if (((cur ^ ev) & ~(chunk[i]! ^ ev) & 0xff) !== 0) {
            throw new FlashError(
              "FLASH_BIT_SET",
              `program: byte 0x${a.toString(16)} holds 0x${cur.toString(16)}; writing 0x${chunk[i]!.toString(16)} needs an erase`,
            );
          }
        } else if (this.strict) {
          throw new FlashError(
            "FLASH_NOT_ERASED",
            `program: byte 0x${a.toString(16)} is not erased (holds 0x${cur.toString(16).padStart(2, "0")})`,
            { hint: "NOR flash must be erased before it is programmed again" },
          );
        }
      }
    });
    if (touchesBad && this.badBehavior === "prog-error") {
      throw new FlashError(
        "FLASH_BAD_PROG",
        `program: sector ${segments[0]!.addr >>> this.sectorShift} is worn out`,
      );
    }
    if (this.relaxed.length > 0) this.countReprograms(segments);
    let applied = len;
    let tornBits = false;
    if (op.torn) {
      const plan = this.cut!;
      const want = plan.tearBytes ?? -1;
      applied = want >= 0 ? Math.min(len, want) : this.rng.below(len);
      applied -= applied % this.programUnit;
      tornBits = plan.tear === "bits";
    }
    this.forEachPiece(segments, (s, off, chunk, index) => {
      if (touchesBad && this.badBehavior === "prog-noop" && this.isBad(s)) return;
      if (index >= applied && !tornBits) return;
      const buf = this.writable(s);
      const whole = index + chunk.length <= applied;
      for (let i = 0; i < chunk.length; i++) {
        let bits = (chunk[i]! ^ ev) & 0xff;
        if (!whole && index + i >= applied) {
          if (!tornBits) break;
          const intended = bits;
          bits &= this.rng.byte();
          if (this.cut?.weakBits && intended !== 0) this.markWeak(s * ss + off + i, intended);
        }
        if (bits !== 0) buf[off + i] = ((buf[off + i]! ^ ev) | bits) ^ ev;
      }
    });
    this.counters.programs++;
    this.counters.bytesProgrammed += len;
    this.busy(timeUs);
    this.endWrite(op);
  }

  private countReprograms(segments: ReadonlyArray<{ addr: number; data: Uint8Array }>): void {
    const seen = new Set<number>();
    for (const seg of segments) {
      for (let i = 0; i < seg.data.length; i++) {
        const a = seg.addr + i;
        const word = a - (a % WORD);
        if (seen.has(word) || !this.inRelaxed(a)) continue;
        seen.add(word);
        // A program touching a word that already holds programmed bits re-programs the word
        // (word-line disturb limits count per word, not per byte).
        let programmed = false;
        for (let k = 0; k < WORD && word + k < this.chip.size; k++) {
          if (this.byteAt(word + k) !== this.eraseValue) programmed = true;
        }
        if (!programmed) continue;
        const n = (this.reprogramCounts.get(word) ?? 0) + 1;
        if (this.maxReprograms > 0 && n > this.maxReprograms) {
          throw new FlashError(
            "FLASH_REPROGRAM_LIMIT",
            `program: word 0x${word.toString(16)} re-programmed ${n} times (limit ${this.maxReprograms})`,
          );
        }
        this.reprogramCounts.set(word, n);
        this.counters.reprograms++;
      }
    }
  }

  // ---- erases ------------------------------------------------------------------------------

  /**
   * Erase `size` bytes at `addr` (both multiples of the sector size) as one operation, using
   * the largest block-erase commands the alignment allows for the timing.
   */
  erase(addr: number, size: number): void {
    const ss = this.chip.sectorSize;
    this.range(addr, size, "erase");
    if (addr % ss !== 0 || size % ss !== 0 || size === 0) {
      throw new FlashError(
        "FLASH_ALIGN",
        `erase: 0x${addr.toString(16)}+${size} is not whole ${ss}-byte sectors`,
      );
    }
    const op = this.beginWrite();
    const first = addr / ss;
    const count = size / ss;
    const badHit = [...Array(count).keys()].some((i) => this.isBad(first + i));
    if (badHit && this.badBehavior === "erase-error") {
      throw new FlashError(
        "FLASH_BAD_ERASE",
        `erase: a sector in 0x${addr.toString(16)}+${size} is worn out`,
      );
    }
    const tornFrom = op.torn ? this.rng.below(count) : count;
    for (let i = 0; i < count; i++) {
      const s = first + i;
      if (badHit && this.badBehavior === "erase-noop" && this.isBad(s)) continue;
      if (i < tornFrom) this.eraseSectorNow(s);
      else if (i === tornFrom) this.tearSector(s);
      else break;
    }
    this.counters.erases++;
    this.counters.bytesErased += size;
    this.busy(this.eraseTime(addr, size));
    this.endWrite(op);
  }

  eraseSector(addr: number): void {
    this.erase(addr, this.chip.sectorSize);
  }

  eraseChip(): void {
    this.erase(0, this.chip.size);
  }

  private eraseSectorNow(s: number): void {
    this.sectors[s] = undefined;
    this.owned[s] = 0;
    this.weak.delete(s);
    this.eraseCounts[s]!++;
    if (this.reprogramCounts.size > 0) {
      const lo = s * this.chip.sectorSize;
      const hi = lo + this.chip.sectorSize;
      for (const w of [...this.reprogramCounts.keys()]) if (w >= lo && w < hi) this.reprogramCounts.delete(w);
    }
  }

  /** An interrupted erase leaves arbitrary contents (erase pre-programs to 0 first). */
  private tearSector(s: number): void {
    const buf = this.writable(s);
    for (let i = 0; i < buf.length; i++) buf[i] = this.rng.byte();
    if (this.cut?.weakBits) {
      const m = new Map<number, number>();
      for (let i = 0; i < buf.length; i++) {
        const mask = this.rng.byte() & this.rng.byte();
        if (mask !== 0) m.set(i, mask);
      }
      this.weak.set(s, m);
    }
  }

  private eraseTime(addr: number, size: number): number {
    const t = this.chip.timing;
    const ss = this.chip.sectorSize;
    if (addr === 0 && size === this.chip.size) return t.chipEraseUs;
    let us = 0;
    for (let a = addr; a < addr + size;) {
      const left = addr + size - a;
      if (t.block64EraseUs > 0 && a % 65536 === 0 && left >= 65536) {
        us += t.commandUs + t.block64EraseUs;
        a += 65536;
      } else if (t.block32EraseUs > 0 && a % 32768 === 0 && left >= 32768) {
        us += t.commandUs + t.block32EraseUs;
        a += 32768;
      } else {
        const wear = this.endurance > 0 ? Math.min(1, this.eraseCounts[a / ss]! / this.endurance) : 0;
        us += t.commandUs + t.sectorEraseUs + (t.sectorEraseMaxUs - t.sectorEraseUs) * wear;
        a += ss;
      }
    }
    return us;
  }

  // ---- internals ---------------------------------------------------------------------------

  private alive(): void {
    if (this.deadAt > 0)
      throw new PowerLoss(this.deadAt, `power is off (lost at write operation ${this.deadAt})`);
  }

  private beginWrite(): { n: number; torn: boolean } {
    this.alive();
    const n = ++this.writeOps;
    const plan = this.cut;
    if (plan !== undefined && plan.at === n) {
      const when = plan.when ?? "after";
      if (when === "before") {
        this.deadAt = n;
        throw new PowerLoss(n, `power lost before write operation ${n}`);
      }
      return { n, torn: when === "during" };
    }
    return { n, torn: false };
  }

  private endWrite(op: { n: number; torn: boolean }): void {
    const plan = this.cut;
    if (plan !== undefined && plan.at === op.n) {
      this.deadAt = op.n;
      throw new PowerLoss(op.n, op.torn ? `power lost during write operation ${op.n}` : undefined);
    }
  }

  private busy(us: number): void {
    this.counters.busyUs += us;
    this.clock.advance(us);
  }

  private range(addr: number, len: number, what: string): void {
    if (
      !Number.isInteger(addr) ||
      !Number.isInteger(len) ||
      addr < 0 ||
      len < 0 ||
      addr + len > this.chip.size
    ) {
      throw new FlashError(
        "FLASH_RANGE",
        `${what}: 0x${addr.toString(16)}+${len} is outside the ${this.chip.size}-byte flash`,
      );
    }
  }

  private byteAt(a: number): number {
    const buf = this.sectors[a >>> this.sectorShift];
    return buf === undefined ? this.eraseValue : buf[a & (this.chip.sectorSize - 1)]!;
  }

  private inRelaxed(a: number): boolean {
    for (const r of this.relaxed) if (a >= r.offset && a < r.offset + r.size) return true;
    return false;
  }

  private writable(s: number): Uint8Array {
    let buf = this.sectors[s];
    if (buf === undefined) {
      buf = new Uint8Array(this.chip.sectorSize).fill(this.eraseValue);
    } else if (this.owned[s] === 0) {
      buf = buf.slice();
    } else {
      return buf;
    }
    this.sectors[s] = buf;
    this.owned[s] = 1;
    return buf;
  }

  private markWeak(a: number, mask: number): void {
    const s = a >>> this.sectorShift;
    let m = this.weak.get(s);
    if (m === undefined) {
      m = new Map();
      this.weak.set(s, m);
    }
    const o = a & (this.chip.sectorSize - 1);
    m.set(o, (m.get(o) ?? 0) | mask);
  }
}
