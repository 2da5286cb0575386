/**
 * Read-only views of a mounted image: directory listings (`fs ls`), whole files (`fs cat`), the
 * superblock and usage (`fs info`) and the consistency check (`fs check`).
 */
import CRC32 from "crc-32";
import { FsError } from "../../firmware-sim/errors.js";
import { readFile } from "../../firmware-sim/fs/fs-util.js";
import { joinPath, normalizePath } from "../../firmware-sim/fs/path.js";
import { checkFs, type CheckReport } from "../../firmware-sim/littlefs/check.js";
import type { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { attrCounts } from "./attrs.js";
import { formatDiskVersion } from "./geometry.js";
import { DirBudget } from "./transfer.js";
import type { ImageGeometry } from "./image-file.js";
import { readdirGuarded } from "./guarded-readdir.js";

export interface ListEntry {
  /** Absolute path inside the image. */
  path: string;
  name: string;
  type: "file" | "dir";
  /** Bytes (files only). */
  size?: number;
  /** Number of user attributes (with `long`). */
  attrs?: number;
  /** zlib CRC-32 of the contents, 8 lowercase hex digits (files, with `crc`). */
  crc32?: string;
}

export interface ListOptions {
  /** Descend into sub-directories (paths then show where each entry is). */
  recursive?: boolean;
  /** Count user attributes of every entry. */
  long?: boolean;
  /** Read every file and add its CRC-32 (as the vector manifests record it). */
  crc?: boolean;
}

export function crc32Hex(data: Uint8Array): string {
  return (CRC32.buf(data) >>> 0).toString(16).padStart(8, "0");
}

/** Normalise a user-given image path ("" and "." are the root). */
export function imagePath(p: string | undefined): string {
  if (p === undefined || p === "" || p === "." || p === "/") return "/";
  return normalizePath(p.startsWith("/") ? p : `/${p}`);
}

/** List `path` in littlefs order: a directory's entries, or the one entry of a file. */
export function listImage(fs: LittleFs, path: string, o: ListOptions = {}): ListEntry[] {
  const st = fs.stat(path);
  const out: ListEntry[] = [];
  const entry = (p: string, name: string, type: "file" | "dir", size: number, attrs?: number): ListEntry => {
    const e: ListEntry = { path: p, name, type };
    if (type === "file") e.size = size;
    if (o.long) e.attrs = attrs ?? 0;
    if (o.crc && type === "file") e.crc32 = crc32Hex(readFile(fs, p));
    return e;
  };
  if (st.type === "file") {
    let attrs: number | undefined;
    if (o.long) {
      const parent = path.slice(0, path.lastIndexOf("/")) || "/";
      attrs = attrCounts(fs, parent).get(st.name);
    }
    return [entry(path, st.name, "file", st.size, attrs)];
  }
  const budget = new DirBudget(fs);
  const visit = (dir: string): void => {
    budget.visit(dir);
    const counts = o.long ? attrCounts(fs, dir) : undefined;
    for (const e of readdirGuarded(fs, dir)) {
      const p = joinPath(dir, e.name);
      out.push(entry(p, e.name, e.type, e.size, counts?.get(e.name)));
      if (e.type === "dir" && o.recursive) visit(p);
    }
  };
  visit(path);
  return out;
}

/** The bytes of one file; a directory is ISDIR with a hint. */
export function catImage(fs: LittleFs, path: string): Uint8Array {
  const st = fs.stat(path);
  if (st.type === "dir") {
    throw new FsError("ISDIR", `${path}: is a directory`, {
      hint: "use `flashbak fs ls` or `flashbak fs get`",
    });
  }
  return readFile(fs, path);
}

export interface InfoReport {
  image: string;
  imageSize: number;
  /** e.g. "2.1" */
  diskVersion: string;
  diskVersionHex: string;
  blockSize: number;
  blockSizeDetected: boolean;
  blockCount: number;
  /** Blocks the file holds (may exceed blockCount: littlefs then leaves the rest unused). */
  fileBlocks: number;
  nameMax: number;
  fileMax: number;
  attrMax: number;
  eraseValue: string;
  rootPair: [number, number];
  gstate: {
    tag: string;
    pair: [number, number];
    pendingMove: boolean;
    orphans: boolean;
    superblockUpdate: boolean;
  };
  blocksUsed: number;
  blocksFree: number;
  bytesUsed: number;
  bytesFree: number;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

export function infoImage(fs: LittleFs, g: ImageGeometry): InfoReport {
  const st = fs.fsStat();
  const u = fs.usage();
  const gs = fs.gstate();
  return {
    image: g.path,
    imageSize: g.imageSize,
    diskVersion: formatDiskVersion(st.diskVersion),
    diskVersionHex: hex(st.diskVersion),
    blockSize: st.blockSize,
    blockSizeDetected: g.blockSizeDetected,
    blockCount: st.blockCount,
    fileBlocks: g.deviceBlocks,
    nameMax: st.nameMax,
    fileMax: st.fileMax,
    attrMax: st.attrMax,
    eraseValue: `0x${g.eraseValue.toString(16).padStart(2, "0")}`,
    rootPair: fs.rootPair(),
    gstate: {
      tag: hex(gs.tag),
      pair: gs.pair,
      // gstate tag (reference 1.10): type bits = a pending move; bit 31 on disk (an orphan
      // count in bits 0..8 in RAM) = orphans to repair; bit 9 = the superblock needs rewriting
      pendingMove: ((gs.tag >>> 20) & 0x700) !== 0,
      orphans: gs.tag >>> 31 !== 0 || (gs.tag & 0x1ff) !== 0,
      superblockUpdate: (gs.tag & 0x200) !== 0,
    },
    blocksUsed: u.blocksUsed,
    blocksFree: u.blockCount - u.blocksUsed,
    bytesUsed: u.blocksUsed * u.blockSize,
    bytesFree: (u.blockCount - u.blocksUsed) * u.blockSize,
  };
}

export function checkImage(fs: LittleFs): CheckReport {
  return checkFs(fs);
}
