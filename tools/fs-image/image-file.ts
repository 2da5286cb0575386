/**
 * A littlefs image file on the host, opened as a `MemoryBlockDevice` with the right geometry and
 * mounted with the right configuration; a new image is built on a `WriteBehindBlockDevice`
 * straight into its temporary file.
 *
 * Read-only work mounts read-only over a read-only device: the file is read once and never
 * written (its bytes and mtime stay as they were). Mutating work runs on a copy in memory and
 * replaces the file only when everything succeeded, through a temporary file beside it and a
 * rename (tools/merge/files.ts), so an error half-way leaves the original intact.
 */
import { statSync } from "node:fs";
import { FlashbakError, FsError, UsageError } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import {
  WriteBehindBlockDevice,
  type WriteBehindConfig,
} from "../../firmware-sim/flash/write-behind-device.js";
import { DISK_VERSION_2_1, resolveConfig, type LfsConfig } from "../../firmware-sim/littlefs/config.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { AtomicFile, readInput, writeFileAtomic } from "../merge/files.js";
import { detectBlockSize, detectEraseValue } from "./detect.js";
import {
  baseConfig,
  newImageGeometry,
  parseDiskVersion,
  parseEraseValue,
  tunables,
  type FsGeometryOptions,
} from "./geometry.js";

/** How an image was opened: what was detected and what was given. */
export interface ImageGeometry {
  path: string;
  /** Image file size in bytes. */
  imageSize: number;
  blockSize: number;
  /** Whole blocks in the file (the device); the file system may use fewer. */
  deviceBlocks: number;
  eraseValue: number;
  /** True when the block size came from the image (not from --block-size). */
  blockSizeDetected: boolean;
  /** Superblock copies that carried the magic (0, 1), empty when not scanned. */
  superblockCopies: number[];
}

export interface OpenImage {
  geometry: ImageGeometry;
  bd: MemoryBlockDevice;
  /** Configuration to mount with (block count 0 unless --block-count was given). */
  cfg: LfsConfig;
}

/** Read an image file; a missing one is IMAGE_NOT_FOUND (exit 4). */
export function readImage(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) {
      throw new FlashbakError("USAGE", `${path} is a directory, not an image file`);
    }
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") {
      throw new FlashbakError("IMAGE_NOT_FOUND", `image ${path} does not exist`, {
        hint: "check the path, or create one with `flashbak fs mkfs` or `flashbak fs format`",
      });
    }
    throw e;
  }
  return readInput(path, "image");
}

/** Open the bytes of an existing image: detect or check the block size, pick the erase value. */
export function openImageBytes(
  path: string,
  data: Uint8Array,
  o: FsGeometryOptions,
  mode: "read" | "write",
): OpenImage {
  if (data.length === 0) {
    throw new FlashbakError("IMAGE_NOT_LITTLEFS", `${path}: the file is empty`, {
      hint: "create an image with `flashbak fs format` or `flashbak fs mkfs`",
    });
  }
  let blockSize: number;
  let copies: number[] = [];
  let detected: number | undefined;
  try {
    const d = detectBlockSize(data, path);
    detected = d.blockSize;
    copies = d.found;
  } catch (e) {
    // an explicit --block-size may still mount an image whose magic is damaged: let littlefs say
    if (o.blockSize === undefined) throw e;
  }
  if (o.blockSize !== undefined) {
    if (detected !== undefined && detected !== o.blockSize) {
      throw new FlashbakError(
        "IMAGE_BLOCK_SIZE_MISMATCH",
        `${path}: --block-size ${o.blockSize} but the superblock says ${detected}`,
        {
          hint: "leave --block-size out to use the image's own",
          details: { given: o.blockSize, onDisk: detected },
        },
      );
    }
    blockSize = o.blockSize;
  } else {
    blockSize = detected!;
  }
  if (blockSize < 128 || data.length % blockSize !== 0) {
    throw new FlashbakError(
      "IMAGE_SIZE",
      `${path}: ${data.length} bytes is not a whole number of ${blockSize}-byte blocks`,
      { hint: "the image is truncated or the block size is wrong" },
    );
  }
  const eraseValue = parseEraseValue(o.eraseValue) ?? detectEraseValue(data, blockSize);
  const deviceBlocks = data.length / blockSize;
  if (o.blockCount !== undefined && (o.blockCount < 2 || o.blockCount > deviceBlocks)) {
    throw new FlashbakError(
      "IMAGE_SIZE",
      `${path}: --block-count ${o.blockCount} but the file holds ${deviceBlocks} blocks of ${blockSize}`,
    );
  }
  const base = baseConfig(o);
  const cfg: LfsConfig = {
    ...tunables(o),
    blockSize,
    blockCount: o.blockCount ?? 0,
    // a mount only checks the on-disk name_max against this ceiling, then uses the disk's
    nameMax: o.nameMax ?? base.nameMax ?? 1022,
    diskVersion: parseDiskVersion(o.diskVersion) ?? DISK_VERSION_2_1,
  };
  const bd = new MemoryBlockDevice(
    { readSize: 1, progSize: 1, blockSize, blockCount: deviceBlocks, eraseValue },
    { data: mode === "read" ? data : data.slice(), readOnly: mode === "read" },
  );
  return {
    geometry: {
      path,
      imageSize: data.length,
      blockSize,
      deviceBlocks,
      eraseValue,
      blockSizeDetected: o.blockSize === undefined,
      superblockCopies: copies,
    },
    bd,
    cfg,
  };
}

/** Add the image path and what was detected to a mount failure. */
function mountFailure(e: unknown, g: ImageGeometry): unknown {
  if (!(e instanceof FsError)) return e;
  const how = g.blockSizeDetected ? "detected" : "given";
  if (e.lfs === "INVAL") {
    // the superblock asks for something this mount cannot give: a newer version, another
    // block size, larger limits (exit 5: incompatible data, not bad usage)
    return new FlashbakError("IMAGE_INCOMPATIBLE", `${g.path}: cannot mount: ${e.message}`, {
      hint: "the image was made for another littlefs configuration or version, or is damaged",
      details: { ...e.details, blockSize: g.blockSize, deviceBlocks: g.deviceBlocks },
    });
  }
  return new FsError(e.lfs, `${g.path}: cannot mount: ${e.message}`, {
    hint:
      e.lfs === "CORRUPT"
        ? `the image is damaged, or not littlefs v2 (block size ${g.blockSize}, ${how})`
        : (e.hint ?? `block size ${g.blockSize} (${how}), ${g.deviceBlocks} blocks in the file`),
    details: { ...e.details, blockSize: g.blockSize, deviceBlocks: g.deviceBlocks },
  });
}

export function mountOpen(img: OpenImage, readOnly: boolean): LittleFs {
  // a configuration littlefs refuses is the user's to fix (exit 2), so check it before mounting;
  // whatever the mount itself refuses then comes from the image
  try {
    resolveConfig(img.cfg, img.bd.geometry);
  } catch (e) {
    if (e instanceof FsError) throw new UsageError(e.message, "check the geometry and configuration options");
    throw e;
  }
  try {
    // the tool owns the image's bytes: nothing else changes them while it is mounted
    return LittleFs.mount(img.bd, img.cfg, { readOnly, exclusive: !readOnly });
  } catch (e) {
    throw mountFailure(e, img.geometry);
  }
}

/** Mount an image read-only and run `fn`; the file is never written. */
export function withImageReadOnly<T>(
  path: string,
  o: FsGeometryOptions,
  fn: (fs: LittleFs, g: ImageGeometry) => T,
): T {
  const img = openImageBytes(path, readImage(path), o, "read");
  const fs = mountOpen(img, true);
  try {
    return fn(fs, img.geometry);
  } finally {
    fs.unmount();
  }
}

/**
 * Mount an image read-write, run `fn`, and replace the file atomically when it returns. Writes
 * keep the image's own disk version unless --disk-version says otherwise (a 2.1 library would
 * otherwise upgrade a 2.0 image on its first write, which 2.0-only devices then reject).
 */
export function withImageWritable<T>(
  path: string,
  o: FsGeometryOptions,
  fn: (fs: LittleFs, g: ImageGeometry) => T,
): T {
  const img = openImageBytes(path, readImage(path), o, "write");
  if (o.diskVersion === undefined) {
    const probe = mountOpen(img, true);
    img.cfg = { ...img.cfg, diskVersion: probe.fsStat().diskVersion };
    probe.unmount();
  }
  const fs = mountOpen(img, false);
  let out: T;
  try {
    out = fn(fs, img.geometry);
  } catch (e) {
    // littlefs appends to a metadata block it believes erased; bytes that are not the erase
    // value there mean the image was written with another one (mklittlefs erases to 0x00)
    if (e instanceof FlashbakError && e.code === "BD_NOT_ERASED") {
      const other = img.geometry.eraseValue === 0xff ? "0x00" : "0xff";
      throw new FlashbakError("IMAGE_ERASE_VALUE", `${path}: ${e.message}`, {
        hint: `the image's erased bytes are not 0x${img.geometry.eraseValue.toString(16)}; try --erase-value ${other}`,
        cause: e,
      });
    }
    throw e;
  } finally {
    fs.unmount();
  }
  writeFileAtomic(path, img.bd.pieces());
  return out;
}

/** Statistics of the device work, for --json and the benchmark. */
export type IoStats = MemoryBlockDevice["stats"];

/**
 * Format a new image (or reformat an existing file), run `fn` on it mounted read-write, and
 * write the file atomically. An existing file keeps its size unless a size is given.
 */
export function createImage<T>(
  path: string,
  o: FsGeometryOptions,
  fn: (fs: LittleFs, g: ImageGeometry, stats: IoStats) => T,
): T {
  const opts: FsGeometryOptions = { ...o };
  if (opts.imageSize === undefined && opts.blockCount === undefined && o.board === undefined) {
    let existing: number | undefined;
    try {
      existing = statSync(path).size;
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && existing > 0) opts.imageSize = existing;
  }
  const g = newImageGeometry(opts);
  const base = baseConfig(opts);
  const cfg: LfsConfig = {
    ...tunables(opts),
    blockSize: g.blockSize,
    blockCount: g.blockCount,
    nameMax: opts.nameMax ?? base.nameMax ?? 255,
  };
  const geometry: ImageGeometry = {
    path,
    imageSize: g.blockSize * g.blockCount,
    blockSize: g.blockSize,
    deviceBlocks: g.blockCount,
    eraseValue: g.eraseValue,
    blockSizeDetected: false,
    superblockCopies: [0, 1],
  };
  // the new image is built straight into its temporary file (see write-behind-device.ts for why)
  const out = new AtomicFile(path);
  try {
    const bd = new WriteBehindBlockDevice(
      {
        readSize: 1,
        progSize: 1,
        blockSize: g.blockSize,
        blockCount: g.blockCount,
        eraseValue: g.eraseValue,
      },
      out,
      writeBehindConfig(g.blockSize, cfg.readSize ?? base.readSize ?? 16),
    );
    LittleFs.format(bd, cfg);
    const fs = LittleFs.mount(bd, cfg, { exclusive: true });
    let result: T;
    try {
      result = fn(fs, geometry, bd.stats);
    } finally {
      fs.unmount();
    }
    bd.finish();
    out.commit();
    return result;
  } finally {
    out.abort();
  }
}

/**
 * Pool and batch sizes for building a new image: 512 KiB of blocks in memory (enough for the
 * metadata pairs and the blocks being filled), runs of up to 128 KiB per file write, and the
 * first 64 bytes (or a read unit) of every block kept for littlefs's skip-list walks.
 */
function writeBehindConfig(blockSize: number, readSize: number): WriteBehindConfig {
  return {
    poolBlocks: Math.max(16, Math.floor((512 << 10) / blockSize)),
    batchBlocks: Math.max(1, Math.floor((128 << 10) / blockSize)),
    headBytes: Math.min(blockSize, Math.max(64, readSize)),
  };
}
