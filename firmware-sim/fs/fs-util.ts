/** Whole-file and tree helpers over any `FileSystem`. */
import { FsError } from "../errors.js";
import type { FileSystem, FsStat } from "./file-system.js";
import { joinPath, splitPath } from "./path.js";

export function readFile(fs: FileSystem, path: string): Uint8Array {
  const f = fs.open(path, { read: true });
  try {
    const out = new Uint8Array(f.size());
    let n = 0;
    while (n < out.length) {
      const got = f.read(out.subarray(n));
      if (got === 0) break;
      n += got;
    }
    return n === out.length ? out : out.subarray(0, n);
  } finally {
    f.close();
  }
}

export function writeFile(fs: FileSystem, path: string, data: Uint8Array): void {
  const f = fs.open(path, { write: true, create: true, truncate: true });
  try {
    f.write(data);
  } finally {
    f.close();
  }
}

export function tryStat(fs: FileSystem, path: string): FsStat | undefined {
  try {
    return fs.stat(path);
  } catch (e) {
    if (e instanceof FsError && e.lfs === "NOENT") return undefined;
    throw e;
  }
}

export function exists(fs: FileSystem, path: string): boolean {
  return tryStat(fs, path) !== undefined;
}

/** Create every missing directory on the way to `path` (like `mkdir -p`). */
export function mkdirs(fs: FileSystem, path: string): void {
  let cur = "";
  for (const part of splitPath(path)) {
    cur += "/" + part;
    const st = tryStat(fs, cur);
    if (st === undefined) fs.mkdir(cur);
  }
}

export interface WalkEntry extends FsStat {
  path: string;
}

/** Depth-first listing in the file system's order (directory before its contents). */
export function walk(fs: FileSystem, dir = "/"): WalkEntry[] {
  const out: WalkEntry[] = [];
  for (const e of fs.readdir(dir)) {
    const path = joinPath(dir, e.name);
    out.push({ ...e, path });
    if (e.type === "dir") out.push(...walk(fs, path));
  }
  return out;
}

/** Remove a file or a directory with everything below it. */
export function removeRecursive(fs: FileSystem, path: string): void {
  const st = fs.stat(path);
  if (st.type === "dir") {
    for (const e of fs.readdir(path)) removeRecursive(fs, joinPath(path, e.name));
  }
  fs.remove(path);
}
