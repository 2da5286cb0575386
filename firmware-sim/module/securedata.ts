/**
 * SecureData: the module's raw-flash key store (`SecureData.Store` / `SecureData.Read`,
 * quecpython-behavior.md section 2), kept in the board's `securedata` partition outside any
 * file system so it survives reflashing and reformatting.
 *
 * Design (DESIGN.md "Module and boot", layout in securedata-layout.ts and SPEC.md): a log of
 * records across the region's sectors, with one sector always kept erased for garbage
 * collection, as ESP-IDF NVS and Zephyr NVS do (flash-and-stores.md section 0).
 * - Every Store appends TWO copies (primary and backup) of `{index, seq, len, CRCs, payload}`;
 *   each copy is its header+payload in one program, then a commit word in a second one.
 * - Read returns the newest sequence number with a copy that passes every check, so a Store
 *   cut at any flash operation reads back as the complete old value or the complete new one
 *   (or -2 when there was none).
 * - Nothing is overwritten in place. When the active sector is full, the erased spare is
 *   opened (a new sector header with the next generation) and, if that used the last erased
 *   sector, the oldest sector's newest records are copied forward and it is erased. If power
 *   is lost in between, there is no erased sector at the next write: the newest sector then
 *   holds nothing but those copies, so it is erased and the collection redone.
 * - Content that is not ours (no valid sector header, data beyond a header area) is never
 *   formatted automatically: Store refuses (-1) and `inspect()` reports it.
 */
import { FlashbakError, isPowerLoss } from "../errors.js";
import type { BlockDevice } from "../flash/block-device.js";
import { crc32 } from "./file-crc32.js";
import {
  COMMIT_SIZE,
  RECORD_HEADER_SIZE,
  SD_INDEX_COUNT,
  SECTOR_HEADER_SIZE,
  allErased,
  capacityOf,
  encodeCommit,
  encodeRecordBody,
  encodeSectorHeader,
  isCommitted,
  pad4,
  parseRecordHeader,
  parseSectorHeader,
  recordSize,
} from "./securedata-layout.js";

/** Copies written per Store (primary and backup). */
export const SD_COPIES = 2;

export type SectorState =
  | { kind: "erased" }
  | { kind: "valid"; generation: number; writeOffset: number }
  /** Ours but interrupted (a torn sector header or a torn erase next to valid sectors). */
  | { kind: "garbage" }
  /** A sector header of another layout version: never touched. */
  | { kind: "foreign"; version: number };

export type RegionState = "blank" | "ok" | "unrecognised";

interface Copy {
  sector: number;
  offset: number;
  len: number;
  seq: number;
  payloadCrc: number;
}

export interface SecureDataStatus {
  state: RegionState;
  sectors: Array<SectorState & { sector: number }>;
  /** Per stored index: newest sequence number, its length and how many valid copies exist. */
  records: Array<{ index: number; seq: number; len: number; copies: number }>;
  /** Why the region is unrecognised, when it is. */
  reason?: string;
}

export class SecureData {
  private sectors: SectorState[] = [];
  private copies = new Map<number, Copy[]>();
  private active = -1;
  private nextSeq = 1;
  private nextGen = 1;
  private state: RegionState = "blank";
  private reason: string | undefined;
  private readonly bs: number;
  private readonly ev: number;

  constructor(private readonly bd: BlockDevice) {
    const g = bd.geometry;
    if (g.blockCount < 3) {
      throw new FlashbakError(
        "SECUREDATA_CONFIG",
        `SecureData needs at least 3 sectors, region has ${g.blockCount}`,
      );
    }
    if (g.readSize !== 1 || g.progSize !== 1) {
      throw new FlashbakError(
        "SECUREDATA_CONFIG",
        "SecureData expects byte-addressable reads and programs (NOR)",
      );
    }
    this.bs = g.blockSize;
    this.ev = g.eraseValue;
    this.mount();
  }

  /** Scan the region and rebuild the in-memory index. Reads only; never writes. */
  mount(): void {
    this.sectors = [];
    this.copies.clear();
    this.active = -1;
    this.reason = undefined;
    let maxSeq = 0;
    let maxGen = 0;
    let garbageBeyondHeader = false;
    for (let s = 0; s < this.bd.geometry.blockCount; s++) {
      const buf = new Uint8Array(this.bs);
      this.bd.read(s, 0, buf);
      const h = parseSectorHeader(buf.subarray(0, SECTOR_HEADER_SIZE));
      if (h.kind === "valid") {
        const scan = this.scanSector(s, buf);
        maxSeq = Math.max(maxSeq, scan.maxSeq);
        maxGen = Math.max(maxGen, h.generation);
        this.sectors.push({ kind: "valid", generation: h.generation, writeOffset: scan.writeOffset });
      } else if (h.kind === "other-version") {
        this.sectors.push({ kind: "foreign", version: h.version });
        this.reason = `sector ${s} has layout version ${h.version}; this firmware writes version 1`;
      } else if (allErased(buf, this.ev)) {
        this.sectors.push({ kind: "erased" });
      } else {
        if (!allErased(buf.subarray(SECTOR_HEADER_SIZE), this.ev)) garbageBeyondHeader = true;
        this.sectors.push({ kind: "garbage" });
      }
    }
    const valid = this.validSectors();
    if (this.reason !== undefined) this.state = "unrecognised";
    else if (valid.length > 0) this.state = "ok";
    else if (garbageBeyondHeader) {
      this.state = "unrecognised";
      this.reason = "the region holds data that is not a SecureData log (kept as it is)";
    } else this.state = "blank";
    if (valid.length > 0) this.active = valid[valid.length - 1]!;
    this.nextSeq = maxSeq + 1;
    this.nextGen = maxGen + 1;
  }

  /**
   * `SecureData.Store(index, databuf, len)`: store `min(len(databuf), len)` bytes. Returns 0,
   * or -1 for a bad parameter (index outside 1..16, a length outside 1..capacity) or when the
   * region cannot be written (unrecognised content, a failing sector).
   */
  Store(index: number, databuf: Uint8Array, len: number): number {
    const cap = capacityOf(index);
    if (!Number.isInteger(index) || cap === 0 || !Number.isInteger(len)) return -1;
    const n = Math.min(databuf.length, len);
    // Helios refuses an empty store; a record is "cleared" by storing zeros (as the docs do).
    if (n <= 0 || n > cap) return -1;
    if (this.state === "unrecognised") return -1;
    const payload = databuf.slice(0, n);
    try {
      this.recoverInterruptedCollection();
      const seq = this.nextSeq++;
      for (let c = 0; c < SD_COPIES; c++) {
        this.ensureRoom(recordSize(n));
        this.append(index, seq, payload);
      }
      this.state = "ok";
      return 0;
    } catch (e) {
      if (isPowerLoss(e) || !(e instanceof FlashbakError)) throw e;
      // A flash failure (worn-out sector): resynchronise with what is really on flash.
      this.mount();
      return -1;
    }
  }

  /**
   * `SecureData.Read(index, databuf, len)`: copy up to `min(len, len(databuf))` bytes of the
   * newest intact value into `databuf`. Returns the number of bytes read, -1 for a bad
   * parameter, -2 when neither the stored data nor its backup exists.
   */
  Read(index: number, databuf: Uint8Array, len: number): number {
    if (!Number.isInteger(index) || capacityOf(index) === 0 || !Number.isInteger(len) || len < 0) return -1;
    const value = this.value(index);
    if (value === undefined) return -2;
    const n = Math.min(len, databuf.length, value.length);
    databuf.set(value.subarray(0, n));
    return n;
  }

  /** `store(index, data)` as the MicroPython runtime's SecureDataStore seam calls it. */
  store(index: number, data: Uint8Array): number {
    return this.Store(index, data, data.length);
  }

  /** `read(index)` for the runtime's seam: all stored bytes, -1 for a bad index, -2 if none. */
  read(index: number): Uint8Array | -1 | -2 {
    if (!Number.isInteger(index) || capacityOf(index) === 0) return -1;
    return this.value(index) ?? -2;
  }

  /** The newest intact value of an index (all its bytes), or undefined. */
  value(index: number): Uint8Array | undefined {
    const list = [...(this.copies.get(index) ?? [])].sort((a, b) => b.seq - a.seq);
    for (const c of list) {
      const payload = this.readPayload(c);
      if (payload !== undefined) return payload;
    }
    return undefined;
  }

  inspect(): SecureDataStatus {
    const records: SecureDataStatus["records"] = [];
    for (let i = 1; i <= SD_INDEX_COUNT; i++) {
      const list = this.copies.get(i);
      if (list === undefined || list.length === 0) continue;
      const seq = Math.max(...list.map((c) => c.seq));
      const newest = list.filter((c) => c.seq === seq);
      records.push({ index: i, seq, len: newest[0]!.len, copies: newest.length });
    }
    const out: SecureDataStatus = {
      state: this.state,
      sectors: this.sectors.map((s, sector) => ({ ...s, sector })),
      records,
    };
    if (this.reason !== undefined) out.reason = this.reason;
    return out;
  }

  /** Erase the whole region. Only on explicit request: unknown content is never formatted. */
  format(): void {
    for (let s = 0; s < this.bd.geometry.blockCount; s++) this.bd.erase(s);
    this.mount();
  }

  // ---- internals ---------------------------------------------------------------------------

  private scanSector(s: number, buf: Uint8Array): { writeOffset: number; maxSeq: number } {
    let p = SECTOR_HEADER_SIZE;
    let maxSeq = 0;
    while (p + RECORD_HEADER_SIZE <= this.bs) {
      const head = buf.subarray(p, p + RECORD_HEADER_SIZE);
      if (allErased(head, this.ev)) {
        // The end of the log, unless something was programmed further on (then never reuse).
        return { writeOffset: allErased(buf.subarray(p), this.ev) ? p : this.bs, maxSeq };
      }
      const h = parseRecordHeader(head);
      if (h === undefined || p + recordSize(h.len) > this.bs) return { writeOffset: this.bs, maxSeq };
      maxSeq = Math.max(maxSeq, h.seq);
      const payload = buf.subarray(p + RECORD_HEADER_SIZE, p + RECORD_HEADER_SIZE + h.len);
      const commitAt = p + RECORD_HEADER_SIZE + pad4(h.len);
      if (isCommitted(buf.subarray(commitAt, commitAt + COMMIT_SIZE)) && crc32(payload) === h.payloadCrc) {
        this.addCopy({ sector: s, offset: p, len: h.len, seq: h.seq, payloadCrc: h.payloadCrc }, h.index);
      }
      p += recordSize(h.len);
    }
    return { writeOffset: p, maxSeq };
  }

  private addCopy(c: Copy, index: number): void {
    let list = this.copies.get(index);
    if (list === undefined) {
      list = [];
      this.copies.set(index, list);
    }
    list.push(c);
  }

  private readPayload(c: Copy): Uint8Array | undefined {
    const out = new Uint8Array(c.len);
    if (c.len > 0) this.bd.read(c.sector, c.offset + RECORD_HEADER_SIZE, out);
    return crc32(out) === c.payloadCrc ? out : undefined;
  }

  /** Valid sectors, oldest generation first. */
  private validSectors(): number[] {
    return this.sectors
      .map((st, i) => ({ st, i }))
      .filter((x) => x.st.kind === "valid")
      .sort((a, b) => gen(a.st) - gen(b.st))
      .map((x) => x.i);
  }

  private freeSectors(): number[] {
    return this.sectors
      .map((st, i) => ({ st, i }))
      .filter((x) => x.st.kind === "erased" || x.st.kind === "garbage")
      .map((x) => x.i);
  }

  /**
   * No erased (or reusable) sector left means power was lost after a new sector was opened and
   * before the oldest one was erased: the newest sector holds only copies of records that are
   * still in the oldest one. Erase it; the next rotation redoes the collection.
   */
  private recoverInterruptedCollection(): void {
    if (this.freeSectors().length > 0 || this.active < 0) return;
    const victim = this.active;
    this.dropSector(victim);
    this.bd.erase(victim);
    this.sectors[victim] = { kind: "erased" };
    const valid = this.validSectors();
    this.active = valid.length > 0 ? valid[valid.length - 1]! : -1;
  }

  private ensureRoom(size: number): void {
    for (let guard = 0; ; guard++) {
      const st = this.active >= 0 ? this.sectors[this.active]! : undefined;
      if (st !== undefined && st.kind === "valid" && st.writeOffset + size <= this.bs) return;
      if (guard > this.sectors.length) {
        throw new FlashbakError("SECUREDATA_FULL", "no room for the record after garbage collection");
      }
      this.rotate();
    }
  }

  /** Open the spare sector as the new active one; collect the oldest if no spare is left. */
  private rotate(): void {
    const free = this.freeSectors();
    if (free.length === 0) throw new FlashbakError("SECUREDATA_FULL", "no erased sector to open");
    // Ring order after the active sector, so wear rotates evenly over the region.
    const n = this.sectors.length;
    const target = free.sort((a, b) => ((a - this.active + n) % n) - ((b - this.active + n) % n))[0]!;
    if (this.sectors[target]!.kind === "garbage") this.bd.erase(target);
    this.sectors[target] = { kind: "erased" };
    const generation = this.nextGen++;
    this.bd.prog(target, 0, encodeSectorHeader(generation));
    this.sectors[target] = { kind: "valid", generation, writeOffset: SECTOR_HEADER_SIZE };
    this.active = target;
    if (this.freeSectors().length === 0) this.collect(this.validSectors()[0]!);
  }

  /** Copy the newest records that live in `victim` into the active sector, then erase it. */
  private collect(victim: number): void {
    for (const [index, list] of this.copies) {
      const seq = Math.max(...list.map((c) => c.seq));
      const inVictim = list.filter((c) => c.seq === seq && c.sector === victim);
      const outside = list.filter((c) => c.seq === seq && c.sector !== victim).length;
      const wanted = Math.min(inVictim.length, SD_COPIES - outside);
      if (wanted <= 0) continue;
      const payload = inVictim.map((c) => this.readPayload(c)).find((p) => p !== undefined);
      if (payload === undefined) continue;
      for (let k = 0; k < wanted; k++) this.append(index, seq, payload);
    }
    this.dropSector(victim);
    this.bd.erase(victim);
    this.sectors[victim] = { kind: "erased" };
  }

  private dropSector(s: number): void {
    for (const [index, list] of this.copies) {
      const kept = list.filter((c) => c.sector !== s);
      if (kept.length > 0) this.copies.set(index, kept);
      else this.copies.delete(index);
    }
  }

  /** Append one copy at the active sector's write offset: body, then the commit word. */
  private append(index: number, seq: number, payload: Uint8Array): void {
    const st = this.sectors[this.active];
    const size = recordSize(payload.length);
    if (st === undefined || st.kind !== "valid" || st.writeOffset + size > this.bs) {
      throw new FlashbakError("SECUREDATA_FULL", "active sector has no room for the record");
    }
    const off = st.writeOffset;
    // Claim the space first: a failing program must not make the next record reuse it.
    st.writeOffset += size;
    this.bd.prog(this.active, off, encodeRecordBody(index, seq, payload));
    this.bd.prog(this.active, off + RECORD_HEADER_SIZE + pad4(payload.length), encodeCommit());
    this.addCopy(
      { sector: this.active, offset: off, len: payload.length, seq, payloadCrc: crc32(payload) },
      index,
    );
  }
}

function gen(st: SectorState): number {
  return st.kind === "valid" ? st.generation : 0;
}
