/**
 * Geometry and littlefs configuration of a host image file, from the command line.
 *
 * Layers, later wins: the preset (`--preset`, default `reference`, the vector tool's and the
 * library's own defaults) or the board's configuration (`--board`, firmware-sim/module/boards.ts),
 * then each explicit option. Block size and count of an existing image come from the image
 * itself (detect.ts) unless given; a new image needs a size (`--image-size` or `--block-count`),
 * except with `--board`, where it defaults to the board's `/usr` partition.
 */
import { UsageError } from "../../firmware-sim/errors.js";
import {
  DISK_VERSION_2_0,
  DISK_VERSION_2_1,
  presets,
  type LfsConfig,
  type PresetName,
} from "../../firmware-sim/littlefs/config.js";
import { lfsConfigOf } from "../../firmware-sim/package/lfs-image.js";
import { boardById } from "../../firmware-sim/module/boards.js";

/** What the user asked for; every field is optional (undefined = not given). */
export interface FsGeometryOptions {
  /** Erase block in bytes, >= 128. Undefined: detected (existing image) or 4096 / the board's (new). */
  blockSize?: number;
  /**
   * Blocks in the file system, > 0. Undefined: from the superblock (existing image, mounted with
   * block_count 0) or image size / block size (new image).
   */
  blockCount?: number;
  /** Minimum read unit in bytes (> 0). Undefined: the preset's. */
  readSize?: number;
  /** Minimum program unit in bytes (> 0); pads every commit. Undefined: the preset's. */
  progSize?: number;
  /** Cache bytes (multiple of read and prog size, divides the block). Undefined: the preset's. */
  cacheSize?: number;
  /** Lookahead buffer in bytes (8 blocks per byte), > 0. Undefined: the preset's. */
  lookahead?: number;
  /** Erase cycles before a metadata pair moves; -1 disables wear levelling. Undefined: the preset's. */
  blockCycles?: number;
  /** "2.0" or "2.1". Undefined: 2.1 for new images, the image's own version for existing ones. */
  diskVersion?: string;
  /** Byte value of erased flash, 0xff or 0x00. Undefined: 0xff (new) or detected (existing). */
  eraseValue?: number;
  /** Longest name in bytes, 1..1022, written to the superblock at format. Undefined: 255. */
  nameMax?: number;
  /** Image file size in bytes (new images only), a whole number of blocks. */
  imageSize?: number;
  /** A named littlefs configuration (see `presets` in firmware-sim/littlefs/config.ts). */
  preset?: string;
  /** A board id whose littlefs configuration (and `/usr` size for new images) is used. */
  board?: string;
}

export const PRESET_NAMES = Object.keys(presets) as PresetName[];
export const DEFAULT_BLOCK_SIZE = 4096;

/** The base configuration before explicit options: the board's, the preset's or `reference`. */
export function baseConfig(o: FsGeometryOptions): LfsConfig & { boardFsSize?: number } {
  if (o.board !== undefined && o.preset !== undefined) {
    throw new UsageError(
      "give either --board or --preset, not both",
      "a board implies its own configuration",
    );
  }
  if (o.board !== undefined) {
    const b = boardById(o.board);
    const usr = b.partitions.find((p) => p.mount === "/usr");
    return { ...lfsConfigOf(b.littlefs), boardFsSize: usr?.size };
  }
  const name = o.preset ?? "reference";
  if (!(PRESET_NAMES as string[]).includes(name)) {
    throw new UsageError(`unknown preset "${name}"`, `presets: ${PRESET_NAMES.join(", ")}`);
  }
  return { ...presets[name as PresetName] };
}

/** "2.0" / "2.1" (or the hex forms) to LFS_DISK_VERSION; undefined stays undefined. */
export function parseDiskVersion(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === "2.0" || s === "0x20000" || s === "0x00020000") return DISK_VERSION_2_0;
  if (s === "2.1" || s === "0x20001" || s === "0x00020001") return DISK_VERSION_2_1;
  throw new UsageError(`unsupported --disk-version "${v}"`, "use 2.0 or 2.1");
}

export function formatDiskVersion(v: number): string {
  return `${v >>> 16}.${v & 0xffff}`;
}

/** Parse a byte count: a plain number, hex (0x...), or with a K/M/G suffix (KiB, MiB, GiB). */
export function parseSize(text: string | number, what: string): number {
  if (typeof text === "number") {
    if (!Number.isSafeInteger(text) || text < 0)
      throw new UsageError(`${what} must be a whole number of bytes`);
    return text;
  }
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (m === null) {
    throw new UsageError(
      `${what} "${text}" is not a size`,
      "give bytes, or a number with K, M or G (1024-based)",
    );
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase()[0];
  const mul = unit === "k" ? 1024 : unit === "m" ? 1 << 20 : unit === "g" ? 1 << 30 : 1;
  const v = n * mul;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${what} "${text}" is too large`);
  return v;
}

/** 0xff / 255 / 0 / 0x00 to the erase byte. */
export function parseEraseValue(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  if (n !== 0 && n !== 0xff) {
    throw new UsageError(
      `--erase-value ${String(v)} unsupported`,
      "NOR flash erases to 0xff; some emulations to 0x00",
    );
  }
  return n;
}

/** The littlefs configuration from the base plus explicit options (block size/count excluded). */
export function tunables(o: FsGeometryOptions): LfsConfig {
  const base = baseConfig(o);
  const cfg: LfsConfig = {
    readSize: o.readSize ?? base.readSize,
    progSize: o.progSize ?? base.progSize,
    cacheSize: o.cacheSize ?? base.cacheSize,
    lookaheadSize: o.lookahead ?? base.lookaheadSize,
    blockCycles: o.blockCycles ?? base.blockCycles,
  };
  // the cache must be a multiple of read and prog size: grow it with them when only those were given
  if (o.cacheSize === undefined && cfg.cacheSize !== undefined) {
    const unit = Math.max(cfg.readSize ?? 16, cfg.progSize ?? 16);
    if (cfg.cacheSize % unit !== 0) cfg.cacheSize = Math.ceil(cfg.cacheSize / unit) * unit;
  }
  const dv = parseDiskVersion(o.diskVersion);
  if (dv !== undefined) cfg.diskVersion = dv;
  else if (base.diskVersion !== undefined) cfg.diskVersion = base.diskVersion;
  if (o.nameMax !== undefined) {
    if (!Number.isInteger(o.nameMax) || o.nameMax < 1 || o.nameMax > 1022) {
      throw new UsageError(`--name-max ${o.nameMax} outside 1..1022`);
    }
    cfg.nameMax = o.nameMax;
  } else if (base.nameMax !== undefined) cfg.nameMax = base.nameMax;
  for (const [k, v] of Object.entries(cfg)) {
    if (v !== undefined && (!Number.isInteger(v) || (v <= 0 && !(k === "blockCycles" && v === -1)))) {
      throw new UsageError(`${k} ${String(v)} must be a positive whole number`);
    }
  }
  return cfg;
}

/** Geometry of a new image: block size, count and erase value, from the options. */
export interface NewImageGeometry {
  blockSize: number;
  blockCount: number;
  eraseValue: number;
}

export function newImageGeometry(o: FsGeometryOptions): NewImageGeometry {
  const base = baseConfig(o);
  const blockSize = o.blockSize ?? base.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 128) {
    throw new UsageError(`--block-size ${blockSize} is below littlefs's minimum of 128 bytes`);
  }
  let blockCount: number;
  if (o.imageSize !== undefined) {
    if (o.imageSize % blockSize !== 0 || o.imageSize === 0) {
      throw new UsageError(
        `--image-size ${o.imageSize} is not a whole number of ${blockSize}-byte blocks`,
        `try ${Math.max(1, Math.round(o.imageSize / blockSize)) * blockSize}`,
      );
    }
    blockCount = o.imageSize / blockSize;
    if (o.blockCount !== undefined && o.blockCount !== blockCount) {
      throw new UsageError(
        `--block-count ${o.blockCount} disagrees with --image-size ${o.imageSize} (${blockCount} blocks)`,
      );
    }
  } else if (o.blockCount !== undefined) {
    blockCount = o.blockCount;
  } else if (base.boardFsSize !== undefined) {
    blockCount = base.boardFsSize / blockSize;
  } else {
    throw new UsageError(
      "a new image needs a size",
      "give --image-size (e.g. 1M) or --block-count, or --board for the board's /usr size",
    );
  }
  if (!Number.isInteger(blockCount) || blockCount < 2) {
    throw new UsageError(`the image needs at least 2 blocks (got ${blockCount})`);
  }
  return { blockSize, blockCount, eraseValue: parseEraseValue(o.eraseValue) ?? 0xff };
}
