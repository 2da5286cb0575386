/**
 * Loads the bundled CLI (dist/cli/flashbak.cjs) with a V8 code cache, the way Node 22's
 * `module.enableCompileCache()` does for modules, which Node 20 does not have.
 *
 * Why: a cold `flashbak` spends tens of milliseconds parsing the bundle and compiling to bytecode
 * every function the command calls (measured on our 2-core CI-class machine: `flashbak fs mkfs`
 * of the 1000-file benchmark tree, 0.54 s without the cache and 0.49 s with it). V8 can hand
 * back, after a run, the bytecode of every function that run compiled; given those bytes on the
 * next start, it compiles nothing it finds there.
 *
 * The cache is only ever an optimization: any problem with it (no writable directory, a file
 * from another bundle, Node or V8 flags, a torn or corrupt file) means the bundle is compiled
 * from source as without a cache, and a good cache is written after the command.
 *
 * - One cache file per command (`fs-mkfs`, `flash`, ...), because the bytecode V8 hands back is
 *   only what that run compiled: `fs ls` run first would otherwise decide what `fs mkfs` finds.
 * - The file name carries the bundle's CRC-32 and length and Node's version and architecture.
 *   V8 checks its own version and flags, but of the source only its length, so the CRC is what
 *   keeps a rebuilt bundle from running stale bytecode (a rebuild of the same length keeps its
 *   CRC once in 2^32; the directory is the user's own, so there is no adversary to plan for).
 *   A SHA-256 did the same but loading node:crypto cost every start ~4 ms.
 * - The payload is CRC-checked before V8 sees it (layout in firmware-sim/SPEC.md, "CLI compile
 *   cache"), and files are written to a temporary name and renamed, so a station running many
 *   `flashbak` processes at once never reads half a file.
 * - The directory must be the user's own and writable by nobody else: cached bytecode is code.
 */
import { isAscii } from "node:buffer";
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { crc32 } from "node:zlib";

/** What became of the cache on this load. */
export type CacheOutcome =
  /** no cache directory (turned off, or none safe to use) */
  | "off"
  /** no cache file for this bundle, Node and command yet */
  | "miss"
  /** V8 used the cached bytecode */
  | "hit"
  /** the file was intact but V8 refused it (other V8 flags, say) */
  | "rejected"
  /** the file was torn or damaged (bad magic, length or CRC) */
  | "corrupt";

export interface LoadOptions {
  /** The cache directory (existing and safe: see `cacheDirFromEnv`), or null for no cache. */
  dir: string | null;
  /** Which command this run is, as a file-name-safe word (see `commandGroup`). */
  group: string;
}

export interface LoadedBundle {
  /** The bundle's `module.exports`. */
  exports: Record<string, unknown>;
  outcome: CacheOutcome;
  /** The cache file for this bundle, Node and command (null when off). */
  cacheFile: string | null;
  /**
   * Write the cache if this load could not use one (miss, rejected, corrupt): call it after the
   * command ran, so that the bytecode of everything it compiled goes in. Returns whether a file
   * was written; failures are swallowed (the cache is an optimization).
   */
  save(): boolean;
}

/**
 * The bundle file is a CommonJS module already wrapped the way Node wraps one: a single function
 * expression, which `vm.Script` compiles as it is. Wrapping at load time instead (Node's
 * `module.wrap`) makes a 0.9 MB cons-string that V8 flattens (copies) before it looks up or
 * compiles the script: 1,400 page faults and 0.03 s of a 0.52 s `flashbak fs mkfs` (medians of
 * 15 runs on our 2-core CI-class machine). The prefix ends on the module's first line, so line
 * numbers in stack traces are the module's own.
 */
export const BUNDLE_PREFIX = "(function (exports, require, module, __filename, __dirname) { ";
export const BUNDLE_SUFFIX = "\n});\n";

/** Wrap CommonJS module source as a bundle file (see BUNDLE_PREFIX). */
export function wrapBundle(source: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(BUNDLE_PREFIX, "latin1"), source, Buffer.from(BUNDLE_SUFFIX, "latin1")]);
}

/** A bundle's identity in cache file names: CRC-32 (zlib) and length, 8 hex digits each. */
export function bundleId(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, "0") + bytes.length.toString(16).padStart(8, "0");
}

/** "FBCC": flashbak compile cache. */
const MAGIC = 0x43434246;
const FORMAT = 1;
const HEADER = 16;
const SUFFIX = ".v8cache";

/** Header + payload of a cache file (layout in SPEC.md). */
export function encodeCacheFile(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(FORMAT, 4);
  out.writeUInt32LE(payload.length, 8);
  out.writeUInt32LE(crc32(payload), 12);
  out.set(payload, HEADER);
  return out;
}

/** The payload of an intact cache file, or null for anything torn, damaged or foreign. */
export function decodeCacheFile(file: Buffer): Buffer | null {
  if (file.length < HEADER) return null;
  if (file.readUInt32LE(0) !== MAGIC || file.readUInt32LE(4) !== FORMAT) return null;
  const len = file.readUInt32LE(8);
  if (file.length !== HEADER + len) return null;
  const payload = file.subarray(HEADER);
  return crc32(payload) === file.readUInt32LE(12) ? payload : null;
}

/**
 * The cache group of a command line: its first two words (command and subcommand) before any
 * option, e.g. `fs mkfs IMG DIR` -> "fs-mkfs", `--help` -> "top". Words that are not command
 * names (paths, values) end the group, so the number of cache files stays bounded.
 */
export function commandGroup(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (words.length === 2 || !/^[a-z][a-z0-9-]{0,30}$/.test(a)) break;
    words.push(a);
  }
  return words.length === 0 ? "top" : words.join("-");
}

/**
 * The cache directory from the environment: `FLASHBAK_COMPILE_CACHE` set to a directory uses
 * it, set to `0`, `off` or empty turns the cache off; unset, `$XDG_CACHE_HOME/flashbak`,
 * `~/.cache/flashbak`, or `<tmp>/flashbak-<uid>` without a home. Null when the directory
 * cannot be made or is not safe (see `usableDir`).
 */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const set = env.FLASHBAK_COMPILE_CACHE;
  if (set !== undefined && (set === "" || set === "0" || set.toLowerCase() === "off")) return null;
  let dir = set;
  if (dir === undefined) {
    let home = "";
    try {
      home = homedir();
    } catch {
      // no home directory (a system account): the temporary directory below
    }
    if (env.XDG_CACHE_HOME) dir = join(env.XDG_CACHE_HOME, "flashbak");
    else if (home) dir = join(home, ".cache", "flashbak");
    else dir = join(tmpdir(), `flashbak-${process.getuid?.() ?? "user"}`);
  }
  return usableDir(dir) ? dir : null;
}

/**
 * Make `dir` (mode 0700) if needed; true when it is a directory this user owns and nobody else
 * can write to. Anyone who can write there could plant bytecode that we would run.
 */
export function usableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (!st.isDirectory()) return false;
    if (process.platform === "win32") return true;
    const uid = process.getuid?.();
    return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Load the bundle at `path` (a wrapped CommonJS module: see BUNDLE_PREFIX) through the cache. */
export function loadBundle(path: string, opts: LoadOptions): LoadedBundle {
  const bytes = readFileSync(path);
  let cacheFile: string | null = null;
  let cached: Buffer | undefined;
  let outcome: CacheOutcome = "off";
  if (opts.dir !== null) {
    const hash = bundleId(bytes);
    cacheFile = join(opts.dir, `${opts.group}-${hash}-${process.version}-${process.arch}${SUFFIX}`);
    let file: Buffer | null = null;
    try {
      file = readFileSync(cacheFile);
    } catch {
      outcome = "miss";
    }
    if (file !== null) {
      cached = decodeCacheFile(file) ?? undefined;
      outcome = cached === undefined ? "corrupt" : "hit";
    }
  }
  // no importModuleDynamically: in Node 20 that is experimental (a warning on every use); the
  // bundle imports what is outside it through the launcher's hook (firmware-sim/external-import.ts)
  // esbuild writes ASCII (non-ASCII only in comments, here); latin1 makes the string without
  // decoding UTF-8, a few ms for the 0.9 MB bundle
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  if (!source.startsWith(BUNDLE_PREFIX)) {
    throw new Error(`${path} is not a wrapped flashbak bundle; run \`npm run build\``);
  }
  const script = new Script(source, { filename: path, cachedData: cached });
  if (cached !== undefined && script.cachedDataRejected === true) outcome = "rejected";
  const module = { exports: {} as Record<string, unknown> };
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  fn.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  const target = cacheFile;
  return {
    exports: module.exports,
    outcome,
    cacheFile,
    save(): boolean {
      if (target === null || outcome === "hit") return false;
      return writeCache(target, opts.group, script.createCachedData());
    },
  };
}

/**
 * A group keeps the caches of this many bundles or Nodes (the newest), so that two installs used
 * in turn (a project's own flashbak and a global one) do not keep replacing each other's.
 */
export const CACHES_PER_GROUP = 4;

/** Write a cache file atomically, then drop the group's oldest files beyond CACHES_PER_GROUP. */
function writeCache(file: string, group: string, payload: Buffer): boolean {
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, encodeCacheFile(payload), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
  try {
    const mine: Array<{ name: string; mtime: number }> = [];
    for (const name of readdirSync(dir)) {
      // a group name never contains another group's name plus "-<hex>-v"
      if (!name.startsWith(`${group}-`) || !name.endsWith(SUFFIX)) continue;
      if (!/^[0-9a-f]{16}-v/.test(name.slice(group.length + 1))) continue;
      mine.push({ name, mtime: statSync(join(dir, name)).mtimeMs });
    }
    mine.sort((a, b) => b.mtime - a.mtime);
    for (const old of mine.slice(CACHES_PER_GROUP)) unlinkSync(join(dir, old.name));
  } catch {
    // old files only cost disk space
  }
  return true;
}
