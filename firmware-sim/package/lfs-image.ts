/**
 * littlefs images of whole partitions, built and read in memory with the project's littlefs
 * (firmware-sim/littlefs) and a board's littlefs configuration. `buildLittlefsImage` is the
 * only place the merger touches littlefs; `mountLittlefsImage` is how inspect and verify read
 * an image back without a flash model.
 *
 * Building is deterministic: a fresh format, files written in the given order (the merge plan
 * sorts them), one write per file, no timestamps (littlefs stores none).
 */
import { FlashbakError, FsError } from "../errors.js";
import { MemoryBlockDevice } from "../flash/block-device.js";
import type { FileSystem } from "../fs/file-system.js";
import { mkdirs, writeFile } from "../fs/fs-util.js";
import { dirname } from "../fs/path.js";
import type { LfsConfig } from "../littlefs/config.js";
import { LittleFs } from "../littlefs/little-fs.js";
import type { BoardLfsConfig } from "../module/boards.js";
import type { ImageFile } from "./merge-plan.js";

export interface LfsImage {
  /** The whole partition: exactly `size` bytes, unused blocks erased (0xFF). */
  readonly image: Uint8Array;
  /** Blocks in use after the build, as lfs_fs_size reports. */
  readonly blocksUsed: number;
  readonly blockCount: number;
  readonly blockSize: number;
}

/** The littlefs configuration the board's module mounts with (boards.ts), field by field. */
export function lfsConfigOf(cfg: BoardLfsConfig): LfsConfig {
  return {
    blockSize: cfg.blockSize,
    readSize: cfg.readSize,
    progSize: cfg.progSize,
    cacheSize: cfg.cacheSize,
    lookaheadSize: cfg.lookaheadSize,
    blockCycles: cfg.blockCycles,
    nameMax: cfg.nameMax,
    diskVersion: cfg.diskVersion,
  };
}

function device(cfg: BoardLfsConfig, size: number, data?: Uint8Array): MemoryBlockDevice {
  return new MemoryBlockDevice(
    {
      readSize: cfg.readSize,
      progSize: cfg.progSize,
      blockSize: cfg.blockSize,
      blockCount: size / cfg.blockSize,
      eraseValue: 0xff,
    },
    data === undefined ? {} : { data, readOnly: true },
  );
}

/** Format a device of `size` bytes and write `files`; throws FsError NOSPC when they do not fit. */
function build(cfg: BoardLfsConfig, size: number, files: readonly ImageFile[]): LfsImage {
  const bd = device(cfg, size);
  const lfsCfg = lfsConfigOf(cfg);
  LittleFs.format(bd, lfsCfg);
  const fs = LittleFs.mount(bd, lfsCfg);
  for (const f of files) {
    const dir = dirname(f.path);
    if (dir !== "/") mkdirs(fs, dir);
    writeFile(fs, f.path, f.data);
  }
  const u = fs.usage();
  fs.unmount();
  return { image: bd.data, blocksUsed: u.blocksUsed, blockCount: u.blockCount, blockSize: u.blockSize };
}

/** True for the error `buildLittlefsImage` throws when the files do not fit. */
export function isNoSpace(e: unknown): e is FlashbakError {
  return e instanceof FlashbakError && e.code === "MERGE_NO_SPACE";
}

/**
 * Build the littlefs image of a `size`-byte partition holding `files` (absolute paths, parent
 * directories created as needed). When they do not fit, the same files are built on larger
 * scratch devices to measure what they need, and MERGE_NO_SPACE says by how many bytes the
 * partition `name` is short (details: partition, size, need, short).
 */
export function buildLittlefsImage(
  cfg: BoardLfsConfig,
  size: number,
  files: readonly ImageFile[],
  name = "image",
): LfsImage {
  if (size <= 0 || size % cfg.blockSize !== 0) {
    throw new FlashbakError(
      "IMAGE_CONFIG",
      `partition ${name}: size ${size} is not a whole number of ${cfg.blockSize}-byte blocks`,
    );
  }
  try {
    return build(cfg, size, files);
  } catch (e) {
    if (!(e instanceof FsError && (e.lfs === "NOSPC" || e.lfs === "FBIG"))) throw e;
  }
  const payload = files.reduce((n, f) => n + f.data.length, 0);
  let trial = Math.max(size * 2, Math.ceil((payload * 2) / cfg.blockSize) * cfg.blockSize);
  let need: number | undefined;
  for (let i = 0; i < 8 && need === undefined; i++, trial *= 2) {
    try {
      need = build(cfg, trial, files).blocksUsed * cfg.blockSize;
    } catch (e) {
      if (!(e instanceof FsError && e.lfs === "NOSPC")) throw e;
    }
  }
  // littlefs also needs room to work in: a fit measured at exactly `size` still failed, so the
  // shortfall is at least one block even when the scratch build used fewer blocks.
  const needed = Math.max(need ?? trial, size + cfg.blockSize);
  const short = needed - size;
  throw new FlashbakError(
    "MERGE_NO_SPACE",
    `${name} needs about ${needed} bytes but has ${size} (${short} bytes short)`,
    {
      details: { partition: name, size, need: needed, short },
    },
  );
}

/** Mount a partition image read-only (inspect, verify, tests); throws FsError CORRUPT when it holds no littlefs. */
export function mountLittlefsImage(cfg: BoardLfsConfig, image: Uint8Array): FileSystem {
  if (image.length % cfg.blockSize !== 0) {
    throw new FsError("INVAL", `image of ${image.length} bytes is not whole ${cfg.blockSize}-byte blocks`);
  }
  return LittleFs.mount(device(cfg, image.length, image), lfsConfigOf(cfg), { readOnly: true });
}
