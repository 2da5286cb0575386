/**
 * Changes inside a mounted image that involve no host files: `fs rm`, `fs mv`, `fs mkdir`.
 * Each either succeeds as a whole or throws before the caller saves the image.
 */
import { FsError, UsageError } from "../../firmware-sim/errors.js";
import { mkdirs, removeRecursive, tryStat } from "../../firmware-sim/fs/fs-util.js";
import { basename, joinPath, splitPath } from "../../firmware-sim/fs/path.js";
import type { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { checkNames } from "./host-tree.js";
import { readdirGuarded } from "./guarded-readdir.js";

/** Remove a file, an empty directory, or (recursive) a whole tree. Returns what was removed. */
export function removeInImage(
  fs: LittleFs,
  path: string,
  recursive: boolean,
): { files: number; dirs: number } {
  if (path === "/")
    throw new UsageError(
      "refusing to remove the root directory",
      "use `flashbak fs format` to empty an image",
    );
  const st = fs.stat(path);
  const counts = { files: 0, dirs: 0 };
  if (st.type === "dir" && recursive) {
    const count = (p: string): void => {
      for (const e of readdirGuarded(fs, p)) {
        if (e.type === "dir") {
          counts.dirs += 1;
          count(joinPath(p, e.name));
        } else counts.files += 1;
      }
    };
    count(path);
    removeRecursive(fs, path);
    counts.dirs += 1;
    return counts;
  }
  try {
    fs.remove(path);
  } catch (e) {
    if (e instanceof FsError && e.lfs === "NOTEMPTY") {
      throw new FsError("NOTEMPTY", `${path}: directory not empty`, {
        hint: "use -r to remove it with its contents",
      });
    }
    throw e;
  }
  if (st.type === "dir") counts.dirs += 1;
  else counts.files += 1;
  return counts;
}

/**
 * Rename `from` to `to`. As with POSIX mv, an existing directory `to` receives `from` under its
 * own name; otherwise littlefs replaces an existing file (or an empty directory for a directory).
 */
export function moveInImage(fs: LittleFs, from: string, to: string): { from: string; to: string } {
  if (from === "/") throw new UsageError("the root directory cannot be moved");
  fs.stat(from);
  let target = to;
  const dest = tryStat(fs, to);
  if (dest?.type === "dir" && to !== from) target = joinPath(to, basename(from));
  if (target === from) return { from, to: target };
  if (target.startsWith(from + "/")) {
    throw new FsError("INVAL", `${from}: cannot move a directory into itself (${target})`);
  }
  checkNames([splitPath(target).join("/")], fs.fsStat().nameMax);
  fs.rename(from, target);
  return { from, to: target };
}

/** Create a directory; with `parents` also every missing one above it, and an existing one is fine. */
export function makeDirInImage(fs: LittleFs, path: string, parents: boolean): { created: string } {
  if (path === "/") {
    if (parents) return { created: path };
    throw new FsError("EXIST", "/: already exists");
  }
  checkNames([splitPath(path).join("/")], fs.fsStat().nameMax);
  if (parents) {
    const st = tryStat(fs, path);
    if (st !== undefined && st.type !== "dir") throw new FsError("EXIST", `${path}: a file is in the way`);
    mkdirs(fs, path);
  } else {
    fs.mkdir(path);
  }
  return { created: path };
}
