/**
 * Read a project directory into the pure merger's input: every regular file with its path
 * relative to the project root, plus the parsed manifest (`flashbak.json`).
 *
 * Host-side checks that only a real directory can fail:
 * - names that are not valid UTF-8 (littlefs stores bytes, the device's JSON needs text);
 * - symlinks whose target leaves the project (a project must be self-contained, and a link to
 *   /etc must never end up on a module); links inside the project are followed;
 * - anything that is neither a file, a directory nor such a link (sockets, FIFOs, devices).
 * Version-control and editor litter (DEFAULT_IGNORED) is skipped.
 */
import type { Dirent } from "node:fs";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { FlashbakError, UsageError } from "../../firmware-sim/errors.js";
import type { ProjectManifest } from "../../firmware-sim/package/manifest.js";
import { EMPTY_MANIFEST, MANIFEST_FILE, parseManifest } from "../../firmware-sim/package/manifest.js";
import type { ProjectFile } from "../../firmware-sim/package/merge-plan.js";

/** Names never merged: version-control metadata and OS/editor litter. */
export const DEFAULT_IGNORED: readonly string[] = [
  ".git",
  ".hg",
  ".svn",
  "__pycache__",
  ".DS_Store",
  "Thumbs.db",
];

export interface ProjectDir {
  /** Absolute project root. */
  readonly root: string;
  /** Manifest `name`, else the directory name. */
  readonly name: string;
  readonly manifest: ProjectManifest;
  readonly hasManifest: boolean;
  /** Sorted by path (code units) so the merge never depends on directory order. */
  readonly files: readonly ProjectFile[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeName(raw: Buffer, dir: string): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    const shown = raw.toString("latin1");
    throw new UsageError(
      `file name in ${dir} is not valid UTF-8 (bytes ${raw.toString("hex")}, "${shown}")`,
      "rename it with UTF-8 characters only; the device stores names as UTF-8",
      { dir, name: raw.toString("hex") },
    );
  }
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Walk `dir` and read the project; `dir` must be an existing directory. */
export function readProjectDir(dir: string): ProjectDir {
  const root = resolve(dir);
  let realRoot: string;
  try {
    if (!statSync(root).isDirectory()) throw new UsageError(`project ${dir} is not a directory`);
    realRoot = realpathSync(root);
  } catch (e) {
    if (e instanceof FlashbakError) throw e;
    throw new FlashbakError("PROJECT_NOT_FOUND", `project directory ${dir} does not exist`, {
      hint: "check --project",
    });
  }
  const files: ProjectFile[] = [];
  const visiting = new Set<string>([realRoot]);

  const walk = (abs: string, rel: string): void => {
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(abs, { withFileTypes: true, encoding: "buffer" });
    } catch (e) {
      throw new FlashbakError("DEVICE_FILE_IO", `cannot list ${abs}: ${(e as Error).message}`, { cause: e });
    }
    for (const ent of entries) {
      const name = decodeName(ent.name, abs);
      if (DEFAULT_IGNORED.includes(name)) continue;
      const childAbs = join(abs, name);
      const childRel = rel === "" ? name : `${rel}/${name}`;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      let realChild = childAbs;
      if (ent.isSymbolicLink()) {
        try {
          realChild = realpathSync(childAbs);
        } catch {
          throw new UsageError(
            `symlink ${childRel} is broken`,
            "remove it or point it at a file inside the project",
          );
        }
        if (!inside(realRoot, realChild)) {
          throw new UsageError(
            `symlink ${childRel} leaves the project (points to ${realChild})`,
            "copy the file into the project instead of linking to it",
            { path: childRel, target: realChild },
          );
        }
        const st = statSync(realChild);
        isDir = st.isDirectory();
        isFile = st.isFile();
      }
      if (isDir) {
        if (visiting.has(realChild)) throw new UsageError(`symlink loop at ${childRel}`);
        visiting.add(realChild);
        walk(realChild === childAbs ? childAbs : realChild, childRel);
        visiting.delete(realChild);
      } else if (isFile) {
        files.push({ path: childRel, data: new Uint8Array(readFileSync(realChild)) });
      } else {
        throw new UsageError(
          `${childRel} is neither a regular file nor a directory`,
          "remove it from the project",
        );
      }
    }
  };
  walk(realRoot, "");
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const mf = files.find((f) => f.path === MANIFEST_FILE);
  const manifest = mf === undefined ? EMPTY_MANIFEST : parseManifest(new TextDecoder().decode(mf.data));
  return {
    root,
    name: manifest.name ?? basename(root),
    manifest,
    hasManifest: mf !== undefined,
    files: files.filter((f) => f.path !== MANIFEST_FILE),
  };
}

/** A project path for messages, relative to the current directory when that is shorter. */
export function shownPath(root: string, cwd: string): string {
  const r = relative(cwd, root);
  return r.length > 0 && r.length < root.length ? r : root;
}
