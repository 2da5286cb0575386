/**
 * The host side of mkfs/put/get: walk a host directory into a list of image paths, and write
 * files extracted from an image into a host directory.
 *
 * Walking is deterministic (littlefs name order at every level, directories before the files
 * below them) so the same tree always builds the same image. Only regular files and
 * directories are taken; symbolic links and special files are reported as skipped (following
 * links could loop, and the device has no such thing).
 *
 * Extraction refuses names that would escape the target directory or that the host cannot
 * hold ("/", NUL, "." and ".."): a damaged or hostile image must not write outside DIR.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { FlashbakError, FsError } from "../../firmware-sim/errors.js";
import { compareNames, utf8Length } from "../../firmware-sim/fs/path.js";
import { hostReadError, writeFileAtomic } from "../merge/files.js";

export interface HostEntry {
  /** Path relative to the walked root, '/'-separated, no leading slash ("" never appears). */
  rel: string;
  type: "file" | "dir";
  /** Absolute host path. */
  host: string;
}

export interface HostTree {
  entries: HostEntry[];
  /** Relative paths not taken (links, sockets, devices). */
  skipped: string[];
}

/** Throws HOST_NOT_FOUND (exit 4) for a missing host path. */
export function hostStat(path: string, what: string): "file" | "dir" {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return "dir";
    if (st.isFile()) return "file";
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") {
      throw new FlashbakError("HOST_NOT_FOUND", `${what} ${path} does not exist`, { hint: "check the path" });
    }
    throw new FlashbakError("DEVICE_FILE_IO", `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  throw new FlashbakError("USAGE", `${what} ${path} is neither a file nor a directory`);
}

/**
 * Every file and directory below `root` (not `root` itself), in littlefs order, depth first.
 * Types come from the directory listing itself (d_type; Node falls back to lstat where the host
 * file system does not record it), not from a stat per entry: packing a tree of 1000 files, the
 * stats cost as much as reading the directories.
 */
export function walkHostDir(root: string): HostTree {
  const tree: HostTree = { entries: [], skipped: [] };
  const visit = (dir: string, rel: string): void => {
    const ents = readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareNames(a.name, b.name));
    for (const ent of ents) {
      const host = childPath(dir, ent.name);
      const r = rel === "" ? ent.name : `${rel}/${ent.name}`;
      if (ent.isDirectory()) {
        tree.entries.push({ rel: r, type: "dir", host });
        visit(host, r);
      } else if (ent.isFile()) {
        tree.entries.push({ rel: r, type: "file", host });
      } else {
        tree.skipped.push(r);
      }
    }
  };
  visit(join(root), "");
  return tree;
}

/**
 * join(dir, name) for a normalized `dir` and a name read from it (no separators, never "." or
 * ".."), without path.join's normalizing pass: a cold walk of 1000 files spent 12 ms in it.
 */
function childPath(dir: string, name: string): string {
  if (dir === ".") return name;
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/**
 * Size of a host file (following a link, as reading it does), or 0 when it cannot be stat'ed:
 * for reports, not for copying.
 */
export function hostSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Reads host files one after another into one buffer that grows to the largest file and is then
 * reused. Each result is a view of that buffer, valid until the next read: callers copy it
 * (littlefs does, into the image) before reading the next file. A fresh buffer per file made
 * reading a 1000-file tree take twice as long, in allocation and first-touch page faults.
 */
export class HostFileReader {
  #buf = new Uint8Array(64 * 1024);

  read(path: string): Uint8Array {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw hostReadError(e, path, "host file");
    }
    try {
      let got = 0;
      for (;;) {
        if (got === this.#buf.length) {
          const bigger = new Uint8Array(this.#buf.length * 2);
          bigger.set(this.#buf);
          this.#buf = bigger;
        }
        const n = readSync(fd, this.#buf, got, this.#buf.length - got, null);
        if (n === 0) break;
        got += n;
      }
      return this.#buf.subarray(0, got);
    } catch (e) {
      throw hostReadError(e, path, "host file");
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Check every image name against the file system's name_max before anything is written, so a
 * long name fails with the limit named instead of half a tree being copied.
 */
export function checkNames(rels: readonly string[], nameMax: number): void {
  for (const rel of rels) {
    for (const part of rel.split("/")) {
      // a UTF-16 unit is at most 3 UTF-8 bytes: most names need no counting
      if (part.length * 3 <= nameMax) continue;
      const n = utf8Length(part);
      if (n > nameMax) {
        throw new FsError(
          "NAMETOOLONG",
          `name "${part}" is ${n} bytes (UTF-8), longer than the image's name_max of ${nameMax}`,
          {
            hint: "rename it, or build the image with a larger --name-max (up to 1022)",
            details: { name: part, bytes: n, nameMax },
          },
        );
      }
    }
  }
}

/** A name read from an image that is safe to create on the host. */
export function safeHostName(name: string, imagePath: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new FlashbakError(
      "IMAGE_BAD_NAME",
      `${imagePath}: the image holds an entry named ${JSON.stringify(name)}, which cannot be extracted safely`,
      { hint: "the image is damaged or crafted; `flashbak fs check` lists its problems" },
    );
  }
  if (sep === "\\" && /[\\:*?"<>|]/.test(name)) {
    throw new FlashbakError(
      "IMAGE_BAD_NAME",
      `${imagePath}: ${JSON.stringify(name)} is not a valid host file name`,
    );
  }
  return name;
}

/** Resolve `rel` (components already checked) under `root`, refusing anything outside it. */
export function hostPathUnder(root: string, parts: readonly string[]): string {
  const base = resolve(root);
  const p = resolve(base, ...parts);
  if (p !== base && !p.startsWith(base + sep)) {
    throw new FlashbakError("IMAGE_BAD_NAME", `refusing to write outside ${base}: ${p}`);
  }
  return p;
}

export function makeHostDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new FlashbakError("DEVICE_FILE_IO", `cannot create directory ${path}: ${(e as Error).message}`);
  }
}

/** Write one extracted file atomically (temporary file beside it, then rename). */
export function writeHostFile(path: string, data: Uint8Array): void {
  writeFileAtomic(path, data);
}
