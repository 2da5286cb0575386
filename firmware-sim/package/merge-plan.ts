/**
 * Decide what goes where in a merge, before any image is built: which project files land in
 * `/usr` under which names, which are backed up to `/bak` (under `usr/...`, where the device's
 * restore looks for them, `'/bak/' + name`), and the checksum.json entries with the device's
 * file_crc32. Every bad-input class is refused here with a UsageError naming the file, so a
 * failed merge never gets as far as writing anything.
 */
import { FlashbakError, UsageError } from "../errors.js";
import type { BoardProfile } from "../module/boards.js";
import type { ChecksumEntry } from "./device-json.js";
import {
  BACKUP_FLAG_FILE,
  CHECKSUM_FILE,
  CHECKSUM_READ_LIMIT,
  encodeBackupFlag,
  encodeChecksumJson,
} from "./device-json.js";
import { FILE_CRC32_SEED, crc32, fileCrc32 } from "./file-crc32.js";
import { compileGlob, matchesAny } from "./glob.js";
import type { RestoreMode } from "./format.js";
import type { ProjectManifest } from "./manifest.js";
import { MANIFEST_FILE } from "./manifest.js";

/** One file of the project directory: its '/'-separated path relative to the project root. */
export interface ProjectFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** A file to write into a file-system image, at an absolute path of that file system. */
export interface ImageFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export interface MergePlan {
  /** Files of the customer_fs image (mounted at /usr), sorted by path. */
  readonly usrFiles: readonly ImageFile[];
  /** Files of the customer_backup_fs image (mounted at /bak), sorted by path. */
  readonly bakFiles: readonly ImageFile[];
  /** Entries of both checksum.json copies (empty when nothing is backed up). */
  readonly checksum: readonly ChecksumEntry[];
  /** Project paths that were backed up, in checksum order. */
  readonly backedUp: readonly string[];
}

const utf8 = new TextEncoder();

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Sort by the UTF-8 bytes of `key(item)`, encoding each key once. */
function sortByUtf8<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, k: utf8.encode(key(item)) }))
    .sort((a, b) => compareBytes(a.k, b.k))
    .map((x) => x.item);
}

/**
 * Check a relative '/'-separated path: no absolute path, no '.' or '..' component, no empty
 * component, no backslash (a Windows separator would become part of a name), every name at
 * most `nameMax` UTF-8 bytes. Returns the path without a leading "./".
 */
export function checkRelativePath(path: string, nameMax: number, what: string): string {
  const p = path.replace(/^\.\//, "");
  const refuse = (why: string, hint: string): never => {
    throw new UsageError(`${what} "${path}": ${why}`, hint, { path });
  };
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p))
    refuse("is an absolute path", "name files relative to the project root");
  if (p.includes("\\")) refuse("contains a backslash", "use '/' to separate directories");
  const parts = p.split("/");
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") {
      refuse("leaves the project or has an empty, '.' or '..' component", "paths must stay inside /usr");
    }
    const len = utf8.encode(part).length;
    if (len > nameMax) {
      refuse(`name "${part}" is ${len} bytes, over the board's name_max of ${nameMax}`, "shorten the name");
    }
  }
  return p;
}

export interface PlanOptions {
  readonly manifest: ProjectManifest;
  /** More backup globs (`flashbak merge --backup`), added to the manifest's. */
  readonly extraBackup?: readonly string[];
  /**
   * Restore mode the package records. `faithful` (the 2021 device) reads only 16384 bytes of
   * checksum.json and restores an empty protected file at every boot, so both are refused;
   * `hardened` reads the whole file and accepts empty files. Default `faithful`.
   */
  readonly restoreMode?: RestoreMode;
}

/** Build the plan, or throw a UsageError / MERGE_CHECKSUM_TOO_BIG naming what is wrong. */
export function planMerge(board: BoardProfile, files: readonly ProjectFile[], opts: PlanOptions): MergePlan {
  const nameMax = board.littlefs.nameMax;
  const m = opts.manifest;
  const exclude = m.exclude.map(compileGlob);
  const backupGlobs = [...m.backup, ...(opts.extraBackup ?? [])].map(compileGlob);
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const from of Object.keys(m.destinations)) {
    if (!byPath.has(from)) {
      throw new UsageError(
        `${MANIFEST_FILE}: destinations: "${from}" is not a file of the project`,
        undefined,
        { path: from },
      );
    }
  }
  const included = files
    .filter((f) => f.path !== MANIFEST_FILE && !matchesAny(exclude, f.path))
    .map((f) => {
      // Only where a file lands must suit the device; a mapped source name may be anything.
      const mapped = m.destinations[f.path];
      const dest = checkRelativePath(
        mapped ?? f.path,
        nameMax,
        mapped === undefined ? "project file" : "destination",
      );
      return { ...f, dest };
    });

  const backedUp = included.filter((f) => matchesAny(backupGlobs, f.path));
  for (const g of backupGlobs) {
    if (!included.some((f) => g.test(f.path))) {
      const excluded = files.some((f) => g.test(f.path));
      throw new UsageError(
        `backup pattern "${g.pattern}" matches ${excluded ? "only excluded files" : "no file of the project"}`,
        "patterns are relative to the project directory, e.g. main.py, config/*.json, lib/**",
        { pattern: g.pattern },
      );
    }
  }
  checkDestinations(included, new Set(backedUp.map((f) => f.path)));

  const faithful = (opts.restoreMode ?? "faithful") === "faithful";
  const checksum: ChecksumEntry[] = [];
  const backedUpSorted = sortByUtf8(backedUp, (f) => f.dest);
  for (const f of backedUpSorted) {
    const crc = fileCrc32(f.data);
    if (crc === undefined && faithful) {
      throw new UsageError(
        `backed-up file "${f.path}" is empty: the device's file_crc32 returns None for empty files and would restore it on every boot`,
        "give the file content, leave it out of the backup selection, or use --restore-mode hardened",
        { path: f.path },
      );
    }
    // Hardened mode treats an empty file recorded with the CRC of no bytes as intact: the
    // running value passes through unchanged, so that is the seed, 0xffffffff.
    checksum.push({ name: `/usr/${f.dest}`, crc32: crc ?? crc32(f.data, FILE_CRC32_SEED) });
  }
  const usrFiles: ImageFile[] = included.map((f) => ({ path: `/${f.dest}`, data: f.data }));
  const bakFiles: ImageFile[] = backedUp.map((f) => ({ path: `/usr/${f.dest}`, data: f.data }));
  if (checksum.length > 0) {
    const json = encodeChecksumJson(checksum);
    if (faithful && json.length > CHECKSUM_READ_LIMIT) {
      throw new FlashbakError(
        "MERGE_CHECKSUM_TOO_BIG",
        `checksum.json would be ${json.length} bytes for ${checksum.length} backed-up files; the device reads only ${CHECKSUM_READ_LIMIT} and would then restore nothing`,
        {
          hint: "back up fewer files (roughly 250-300 fit), use shorter paths, or use --restore-mode hardened",
        },
      );
    }
    usrFiles.push({ path: `/${CHECKSUM_FILE}`, data: json });
    bakFiles.push({ path: `/${CHECKSUM_FILE}`, data: json });
    bakFiles.push({ path: `/${BACKUP_FLAG_FILE}`, data: encodeBackupFlag(true) });
  }
  return {
    usrFiles: sortByUtf8(usrFiles, (f) => f.path),
    bakFiles: sortByUtf8(bakFiles, (f) => f.path),
    checksum,
    backedUp: backedUpSorted.map((f) => f.path),
  };
}

/**
 * Refuse two files with one destination, a file where another needs a directory, a project
 * file where the merge writes checksum.json, and backed-up names differing only in case (the
 * device matches checksum.json names case-insensitively).
 */
function checkDestinations(
  files: readonly { path: string; dest: string }[],
  backedUp: ReadonlySet<string>,
): void {
  const backup = backedUp.size > 0;
  const seen = new Map<string, string>();
  const dup = (dest: string, a: string, b: string): never => {
    throw new UsageError(
      `duplicate destination /usr/${dest}: ${a} and ${b}`,
      "give each file its own destination",
      {
        destination: `/usr/${dest}`,
      },
    );
  };
  if (backup) seen.set(CHECKSUM_FILE, "the generated checksum.json");
  for (const f of files) {
    const prev = seen.get(f.dest);
    if (prev !== undefined) dup(f.dest, prev, f.path);
    seen.set(f.dest, f.path);
  }
  for (const f of files) {
    const parts = f.dest.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const clash = seen.get(dir);
      if (clash !== undefined) {
        throw new UsageError(
          `duplicate destination /usr/${dir}: file ${clash} and directory of ${f.path}`,
          undefined,
          {
            destination: `/usr/${dir}`,
          },
        );
      }
    }
  }
  if (!backup) return;
  const lower = new Map<string, string>();
  for (const f of files.filter((x) => backedUp.has(x.path))) {
    const key = f.dest.toLowerCase();
    const prev = lower.get(key);
    if (prev !== undefined) {
      throw new UsageError(
        `duplicate destination /usr/${key} ignoring case: ${prev} and ${f.path}; the device matches checksum.json names case-insensitively`,
        "rename one of the files",
        { destination: `/usr/${key}` },
      );
    }
    lower.set(key, f.path);
  }
}
