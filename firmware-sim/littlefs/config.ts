/**
 * `LfsConfig`: the tunables of `struct lfs_config` (lfs.h) that matter to a simulator, with the
 * real-world presets the project meets (MicroPython, ESP-IDF, mklittlefs, the vector tool).
 *
 * Block size and count come from the block device unless given. Callbacks and buffers of the C
 * struct are replaced by the `BlockDevice` seam and internal allocations.
 */
import { FsError } from "../errors.js";
import type { BlockGeometry } from "../flash/block-device.js";

/** The on-disk format versions this library reads and writes (LFS_DISK_VERSION). */
export const DISK_VERSION_2_0 = 0x00020000;
export const DISK_VERSION_2_1 = 0x00020001;
/** Library ceilings (LFS_NAME_MAX, LFS_FILE_MAX, LFS_ATTR_MAX) and defaults for 0. */
export const LFS_NAME_MAX = 255;
export const LFS_FILE_MAX = 2147483647;
export const LFS_ATTR_MAX = 1022;
const NAME_MAX_CEILING = 1022;

export interface LfsConfig {
  /** Bytes per block; must equal the device's block size and be >= 128. Default: the device's. */
  blockSize?: number;
  /**
   * Blocks in the file system. 0 = take the count from the superblock at mount (format needs a
   * real count). Default: the device's block count.
   */
  blockCount?: number;
  /** Minimum read unit in bytes (a multiple of the device's read size). Default 16, clamped up. */
  readSize?: number;
  /**
   * Minimum program unit in bytes (a multiple of the device's prog size). Shapes commit padding
   * and the FCRC, so it must match the reference's for byte-exact images. Default 16, clamped up.
   */
  progSize?: number;
  /** Bytes of each cache (read, prog, per file); a multiple of read/prog size dividing the block. Default 64. */
  cacheSize?: number;
  /** Bytes of the allocator's lookahead bitmap (8 blocks per byte), > 0. Default 32. */
  lookaheadSize?: number;
  /**
   * Erase cycles before a metadata pair is moved (wear levelling), e.g. 100..1000.
   * -1 disables wear levelling; 0 is invalid (as in littlefs >= 2.5). Default 500.
   */
  blockCycles?: number;
  /** Longest file name in bytes, <= 1022. 0 = 255. Written to the superblock at format. */
  nameMax?: number;
  /** Largest file in bytes, <= 2^31-1. 0 = 2^31-1. Written to the superblock. */
  fileMax?: number;
  /** Largest user attribute in bytes, <= 1022. 0 = 1022. Written to the superblock. */
  attrMax?: number;
  /**
   * Largest inline file in bytes (not on disk). 0 = min(cacheSize, attrMax, metadataMax/8);
   * -1 disables inline files. Must not exceed that default.
   */
  inlineMax?: number;
  /** Usable bytes of a metadata block (<= blockSize). 0 = blockSize. */
  metadataMax?: number;
  /**
   * Metadata fill level (bytes) above which `gc()` compacts a pair. 0 = blockSize - blockSize/8;
   * -1 = never compact in gc. Otherwise >= blockSize/2 and <= blockSize.
   */
  compactThresh?: number;
  /** On-disk version to write: 0x00020001 (2.1, default) or 0x00020000 (2.0, no FCRC tags). 0 = 2.1. */
  diskVersion?: number;
}

/** A fully defaulted and validated configuration. */
export interface ResolvedConfig {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly readSize: number;
  readonly progSize: number;
  readonly cacheSize: number;
  readonly lookaheadSize: number;
  readonly blockCycles: number;
  readonly nameMax: number;
  readonly fileMax: number;
  readonly attrMax: number;
  /** Raw inline_max as given: 0 default, -1 disabled, else bytes. */
  readonly inlineMax: number;
  readonly metadataMax: number;
  /** Raw compact_thresh: 0 default, -1 never, else bytes. */
  readonly compactThresh: number;
  readonly diskVersion: number;
}

export type PresetName = "micropython" | "esp-idf" | "mklittlefs" | "reference";

/** Field values of the real-world configurations (see reference/littlefs-format.md section 5). */
export const presets: Readonly<Record<PresetName, Readonly<LfsConfig>>> = {
  /** MicroPython VfsLfs2: read/prog 32, cache 4*32, lookahead 32, block_cycles 100. */
  micropython: { readSize: 32, progSize: 32, cacheSize: 128, lookaheadSize: 32, blockCycles: 100 },
  /** esp_littlefs Kconfig defaults: 128/128, cache 512, lookahead 128, block_cycles 512. */
  "esp-idf": { readSize: 128, progSize: 128, cacheSize: 512, lookaheadSize: 128, blockCycles: 512 },
  /** mklittlefs defaults: read = prog 64, cache 64, lookahead 64, block_cycles 16. */
  mklittlefs: { readSize: 64, progSize: 64, cacheSize: 64, lookaheadSize: 64, blockCycles: 16 },
  /** The vector tool's defaults: 16/16, cache 64, lookahead 32, block_cycles 500. */
  reference: { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 32, blockCycles: 500 },
};

export function preset(name: PresetName, overrides: LfsConfig = {}): LfsConfig {
  return { ...presets[name], ...overrides };
}

function inval(message: string): FsError {
  return new FsError("INVAL", `littlefs config: ${message}`, { hint: "check the littlefs configuration" });
}

function roundUpTo(v: number, unit: number): number {
  return Math.ceil(v / unit) * unit;
}

/** Fill defaults from the device geometry and check the constraints lfs_init asserts. */
export function resolveConfig(cfg: LfsConfig, g: BlockGeometry): ResolvedConfig {
  const blockSize = cfg.blockSize ?? g.blockSize;
  const blockCount = cfg.blockCount ?? g.blockCount;
  const readSize = roundUpTo(cfg.readSize ?? 16, g.readSize);
  const progSize = roundUpTo(cfg.progSize ?? 16, g.progSize);
  const cacheSize = cfg.cacheSize ?? Math.max(64, readSize, progSize);
  const r: ResolvedConfig = {
    blockSize,
    blockCount,
    readSize,
    progSize,
    cacheSize,
    lookaheadSize: cfg.lookaheadSize ?? 32,
    blockCycles: cfg.blockCycles ?? 500,
    nameMax: cfg.nameMax || LFS_NAME_MAX,
    fileMax: cfg.fileMax || LFS_FILE_MAX,
    attrMax: cfg.attrMax || LFS_ATTR_MAX,
    inlineMax: cfg.inlineMax ?? 0,
    metadataMax: cfg.metadataMax ?? 0,
    compactThresh: cfg.compactThresh ?? 0,
    diskVersion: cfg.diskVersion || DISK_VERSION_2_1,
  };
  const ints: Array<[string, number]> = Object.entries(r);
  for (const [k, v] of ints) if (!Number.isInteger(v)) throw inval(`${k} must be an integer, got ${v}`);
  if (blockSize !== g.blockSize)
    throw inval(`blockSize ${blockSize} differs from the device's ${g.blockSize}`);
  if (blockSize < 128) throw inval(`blockSize ${blockSize} is below littlefs's minimum of 128`);
  if (blockCount < 0 || blockCount > g.blockCount) {
    throw inval(`blockCount ${blockCount} outside 0..${g.blockCount} (the device's size)`);
  }
  if (readSize <= 0 || progSize <= 0 || cacheSize <= 0) throw inval("read, prog and cache sizes must be > 0");
  if (cacheSize % readSize !== 0 || cacheSize % progSize !== 0) {
    throw inval(`cacheSize ${cacheSize} must be a multiple of readSize ${readSize} and progSize ${progSize}`);
  }
  if (blockSize % cacheSize !== 0)
    throw inval(`blockSize ${blockSize} must be a multiple of cacheSize ${cacheSize}`);
  if (r.lookaheadSize <= 0) throw inval("lookaheadSize must be > 0");
  if (r.blockCycles === 0 || r.blockCycles < -1)
    throw inval("blockCycles must be > 0, or -1 to disable wear levelling");
  if (r.nameMax < 0 || r.nameMax > NAME_MAX_CEILING) throw inval(`nameMax must be <= ${NAME_MAX_CEILING}`);
  if (r.fileMax < 0 || r.fileMax > LFS_FILE_MAX) throw inval(`fileMax must be <= ${LFS_FILE_MAX}`);
  if (r.attrMax < 0 || r.attrMax > LFS_ATTR_MAX) throw inval(`attrMax must be <= ${LFS_ATTR_MAX}`);
  if (r.metadataMax < 0 || r.metadataMax > blockSize) throw inval("metadataMax must be 0..blockSize");
  const mdMax = r.metadataMax || blockSize;
  if (r.inlineMax !== -1 && (r.inlineMax < 0 || r.inlineMax > Math.min(cacheSize, r.attrMax, mdMax / 8))) {
    throw inval("inlineMax must be -1, 0, or at most min(cacheSize, attrMax, metadataMax/8)");
  }
  if (r.compactThresh !== 0 && r.compactThresh !== -1) {
    if (r.compactThresh < blockSize / 2 || r.compactThresh > blockSize) {
      throw inval("compactThresh must be 0, -1 or within blockSize/2..blockSize");
    }
  }
  if (r.diskVersion !== DISK_VERSION_2_0 && r.diskVersion !== DISK_VERSION_2_1) {
    throw inval(`diskVersion 0x${r.diskVersion.toString(16)} unsupported (0x20000 or 0x20001)`);
  }
  return r;
}
