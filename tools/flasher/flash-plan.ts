/**
 * What a flash writes: input regions (package partitions, or a flat binary at an offset) cut
 * into segments that are checked, written and verified one by one.
 *
 * Why segments: each one is MD5-checked before it is written (identical ones are skipped) and
 * after (verify), so an interrupted flash is resumed by running it again: everything already
 * on the module is skipped, only the rest is sent. Changed segments that follow each other are
 * written as one run; a run is compressed once and the compressed bytes are shared by every
 * module a station flashes with the same plan.
 */
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { FlashbakError, UsageError } from "../../firmware-sim/errors.js";

export interface FlashRegion {
  /** Partition name, or "bin" for a flat binary. */
  name: string;
  /** Byte offset on the flash (a multiple of the 4 KiB sector). */
  offset: number;
  /** Bytes to place at `offset`. */
  data: Uint8Array;
  /** Never written or erased by a flash (SecureData): only its extent matters. */
  preserve?: boolean;
  /** Extent of a preserved region in bytes (its data is empty). */
  size?: number;
}

export interface PlanOptions {
  /** Flash size of the target in bytes; regions past it are refused. */
  flashSize: number;
  /** Erase unit in bytes. Default 4096. */
  sectorSize?: number;
  /**
   * Segment size in bytes: the unit of skip, verify and resume (a multiple of the sector).
   * Default 65536 (one 64 KiB erase block).
   */
  segmentSize?: number;
}

export class Segment {
  private digest: string | undefined;

  constructor(
    /** Region the segment belongs to. */
    readonly region: string,
    readonly offset: number,
    readonly data: Uint8Array,
  ) {}

  private probeDigest: string | undefined;
  private blankValue: boolean | undefined;

  /** True when every byte is 0xFF (erased flash holds it already if the chip is blank there). */
  get blank(): boolean {
    this.blankValue ??= this.data.every((b) => b === 0xff);
    return this.blankValue;
  }

  /** MD5 of the data, lowercase hex (what SPI_FLASH_MD5 must answer). */
  get md5(): string {
    this.digest ??= createHash("md5").update(this.data).digest("hex");
    return this.digest;
  }

  /** MD5 of the first `PROBE_BYTES` of the data (the quick check before the whole one). */
  get probeMd5(): string {
    this.probeDigest ??= createHash("md5").update(this.data.subarray(0, PROBE_BYTES)).digest("hex");
    return this.probeDigest;
  }
}

/**
 * Bytes at the start of a segment checked before the whole segment: on a module that holds
 * something else (a blank or older chip) the quick check already differs, and the module is
 * spared an MD5 over 64 KiB (3.3 ms at 20 MB/s, 1.3% of a 2 Mbaud flash); on a module that
 * holds the same it costs one more short round trip.
 */
export const PROBE_BYTES = 4096;

/**
 * Consecutive segments written in one FLASH_(DEFL_)BEGIN session. Why runs: each session ends
 * with the module finishing its last write before it answers the next command, a pipeline
 * drain of one block's program time; one session per contiguous stretch keeps that to once
 * per stretch instead of once per segment.
 */
export interface Run {
  offset: number;
  segments: Segment[];
  data: Uint8Array;
}

export function runsOf(segments: readonly Segment[]): Run[] {
  const runs: Run[] = [];
  for (const s of segments) {
    const last = runs[runs.length - 1];
    const lastSeg = last?.segments[last.segments.length - 1];
    if (
      last !== undefined &&
      lastSeg !== undefined &&
      lastSeg.offset + lastSeg.data.length === s.offset &&
      lastSeg.region === s.region
    ) {
      last.segments.push(s);
    } else {
      runs.push({ offset: s.offset, segments: [s], data: new Uint8Array(0) });
    }
  }
  for (const r of runs) {
    if (r.segments.length === 1) r.data = r.segments[0]!.data;
    else {
      const n = r.segments.reduce((a, s) => a + s.data.length, 0);
      r.data = new Uint8Array(n);
      let o = 0;
      for (const s of r.segments) {
        r.data.set(s.data, o);
        o += s.data.length;
      }
    }
  }
  return runs;
}

/**
 * zlib level 9 of a run (as esptool sends it), or undefined when compression does not shrink
 * the data. Cached per plan and range, so a station compresses once for all its modules.
 */
export function compressedRun(plan: FlashPlan, run: Run): Uint8Array | undefined {
  const key = `${run.offset}:${run.data.length}`;
  let z = plan.compressed.get(key);
  if (z === undefined) {
    z = new Uint8Array(deflateSync(run.data, { level: 9 }));
    plan.compressed.set(key, z);
  }
  return z.length < run.data.length ? z : undefined;
}

export interface FlashPlan {
  segments: Segment[];
  /** Regions left untouched (preserve-on-flash), for the report. */
  preserved: { name: string; offset: number; size: number }[];
  /** Uncompressed bytes the plan covers. */
  totalBytes: number;
  /** Compressed runs by "offset:length" (see compressedRun). */
  compressed: Map<string, Uint8Array>;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function planFlash(regions: readonly FlashRegion[], opts: PlanOptions): FlashPlan {
  const ss = opts.sectorSize ?? 4096;
  const seg = opts.segmentSize ?? 0x10000;
  if (seg <= 0 || seg % ss !== 0)
    throw new UsageError(`segment size ${seg} is not a multiple of the ${ss}-byte sector`);
  const preserved = regions
    .filter((r) => r.preserve)
    .map((r) => ({ name: r.name, offset: r.offset, size: r.size ?? r.data.length }));
  const written = regions.filter((r) => !r.preserve && r.data.length > 0).sort((a, b) => a.offset - b.offset);
  for (const r of written) {
    if (r.offset % ss !== 0) {
      throw new UsageError(
        `${r.name}: offset ${hex(r.offset)} is not a multiple of the ${ss}-byte sector`,
        "pass a sector-aligned --offset",
      );
    }
    if (r.offset + r.data.length > opts.flashSize) {
      throw new FlashbakError(
        "PKG_FLASH_SIZE",
        `${r.name}: ${hex(r.offset)}+${hex(r.data.length)} does not fit the module's ${opts.flashSize >> 20} MiB flash`,
        { hint: "this image was built for a module with a larger flash: use the package for this board" },
      );
    }
    // The loader erases whole sectors, so a region must not share a sector with a preserved one.
    const lo = r.offset;
    const hi = Math.ceil((r.offset + r.data.length) / ss) * ss;
    for (const p of preserved) {
      if (lo < p.offset + p.size && p.offset < hi) {
        throw new UsageError(
          `${r.name}: ${hex(lo)}..${hex(hi)} would erase preserved region ${p.name} at ${hex(p.offset)}+${hex(p.size)}`,
          `${p.name} is never written by a flash (it survives reflashing); move the image or shorten it`,
        );
      }
    }
  }
  for (let i = 1; i < written.length; i++) {
    const a = written[i - 1]!;
    const b = written[i]!;
    if (Math.ceil((a.offset + a.data.length) / ss) * ss > b.offset) {
      throw new UsageError(`${a.name} and ${b.name} overlap (or share a sector) at ${hex(b.offset)}`);
    }
  }
  const segments: Segment[] = [];
  let totalBytes = 0;
  for (const r of written) {
    for (let o = 0; o < r.data.length; o += seg) {
      segments.push(new Segment(r.name, r.offset + o, r.data.subarray(o, Math.min(o + seg, r.data.length))));
    }
    totalBytes += r.data.length;
  }
  return { segments, preserved, totalBytes, compressed: new Map() };
}
