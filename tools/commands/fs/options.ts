/**
 * The geometry and configuration options every `flashbak fs` subcommand takes, and their
 * translation into `FsGeometryOptions` (tools/fs-image/geometry.ts).
 */
import type { Argv } from "yargs";
import { UsageError } from "../../../firmware-sim/errors.js";
import { boards } from "../../../firmware-sim/module/boards.js";
import { PRESET_NAMES, parseEraseValue, parseSize, type FsGeometryOptions } from "../../fs-image/geometry.js";

export interface GeometryArgs {
  "block-size"?: number;
  "block-count"?: number;
  "read-size"?: number;
  "prog-size"?: number;
  "cache-size"?: number;
  lookahead?: number;
  "block-cycles"?: number;
  "disk-version"?: string;
  "erase-value"?: string;
  "name-max"?: number;
  "image-size"?: string;
  preset?: string;
  board?: string;
  json?: boolean;
}

/**
 * Add the geometry options. `create`: the command makes a new image (mkfs, format), so
 * --image-size applies and sizes default differently.
 */
export function withGeometry<T>(y: Argv<T>, create: boolean): Argv<T & GeometryArgs> {
  const existing = create ? "" : " (default: detected from the superblock)";
  let out = y
    .option("block-size", {
      type: "number",
      describe: `Erase block in bytes, >= 128${create ? " (default 4096, or the board's)" : existing}`,
    })
    .option("block-count", {
      type: "number",
      describe: create
        ? "Blocks in the image (alternative to --image-size)"
        : "Blocks the file system uses (default: the superblock's, littlefs mounts with block_count 0)",
    })
    .option("read-size", { type: "number", describe: "Minimum read unit in bytes (default: the preset's)" })
    .option("prog-size", {
      type: "number",
      describe:
        "Minimum program unit in bytes; pads every commit, so it shapes the image bytes (default: the preset's)",
    })
    .option("cache-size", {
      type: "number",
      describe: "Cache bytes, a multiple of read and prog size dividing the block; bounds inline files",
    })
    .option("lookahead", {
      type: "number",
      describe: "Allocator lookahead buffer in bytes (8 blocks per byte)",
    })
    .option("block-cycles", {
      type: "number",
      describe: "Erase cycles before a metadata pair is moved (wear levelling); -1 disables it",
    })
    .option("disk-version", {
      type: "string",
      choices: ["2.0", "2.1"],
      describe: create
        ? "On-disk format to write (default 2.1; 2.0 for devices with littlefs < 2.6)"
        : "On-disk format for writes (default: keep the image's own; 2.1 upgrades a 2.0 image)",
    })
    .option("erase-value", {
      type: "string",
      describe: `Byte value of erased flash: 0xff (NOR) or 0x00${create ? " (default 0xff)" : " (default: detected)"}`,
    })
    .option("name-max", {
      type: "number",
      describe: create
        ? "Longest file name in bytes, written to the superblock (1..1022, default 255)"
        : "Refuse images whose name_max exceeds this (a device's limit; default 1022)",
    })
    .option("preset", {
      type: "string",
      choices: PRESET_NAMES,
      describe:
        "littlefs configuration: micropython (32/32, cache 128, cycles 100), esp-idf (128/128, cache 512), " +
        "mklittlefs (64/64, cache 64, cycles 16), reference (16/16, cache 64, cycles 500; the default)",
    })
    .option("board", {
      type: "string",
      choices: Object.keys(boards),
      describe:
        "Use a module board's littlefs configuration (firmware-sim boards; new images get its /usr size)",
    })
    .conflicts("preset", "board");
  if (create) {
    out = out.option("image-size", {
      type: "string",
      describe: "Image size in bytes; K, M, G suffixes are 1024-based (e.g. 384K, 16M)",
    });
  }
  const names = [
    "block-size",
    "block-count",
    "read-size",
    "prog-size",
    "cache-size",
    "lookahead",
    "block-cycles",
  ];
  names.push("disk-version", "erase-value", "name-max", "preset", "board");
  if (create) names.push("image-size");
  return out.group(names, "Image geometry and littlefs configuration:") as Argv<T & GeometryArgs>;
}

/** The parsed options as the fs-image library takes them. */
export function geometryOf(a: GeometryArgs): FsGeometryOptions {
  for (const k of [
    "block-size",
    "block-count",
    "read-size",
    "prog-size",
    "cache-size",
    "lookahead",
    "name-max",
  ] as const) {
    const v = a[k];
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
      throw new UsageError(`--${k} ${String(v)} must be a positive whole number`);
    }
  }
  const bc = a["block-cycles"];
  if (bc !== undefined && (!Number.isInteger(bc) || (bc <= 0 && bc !== -1))) {
    throw new UsageError(`--block-cycles ${String(bc)} must be > 0, or -1 to disable wear levelling`);
  }
  const o: FsGeometryOptions = {};
  if (a["block-size"] !== undefined) o.blockSize = a["block-size"];
  if (a["block-count"] !== undefined) o.blockCount = a["block-count"];
  if (a["read-size"] !== undefined) o.readSize = a["read-size"];
  if (a["prog-size"] !== undefined) o.progSize = a["prog-size"];
  if (a["cache-size"] !== undefined) o.cacheSize = a["cache-size"];
  if (a.lookahead !== undefined) o.lookahead = a.lookahead;
  if (a["block-cycles"] !== undefined) o.blockCycles = a["block-cycles"];
  if (a["disk-version"] !== undefined) o.diskVersion = a["disk-version"];
  const ev = parseEraseValue(a["erase-value"]);
  if (ev !== undefined) o.eraseValue = ev;
  if (a["name-max"] !== undefined) o.nameMax = a["name-max"];
  if (a["image-size"] !== undefined) o.imageSize = parseSize(a["image-size"], "--image-size");
  if (a.preset !== undefined) o.preset = a.preset;
  if (a.board !== undefined) o.board = a.board;
  return o;
}
