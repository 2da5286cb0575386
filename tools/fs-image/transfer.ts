/**
 * Copying between the host and a mounted image: `put` (and `mkfs`, which is format + put of a
 * whole tree) and `get`.
 *
 * `put SRC DEST`: a host directory's contents go into DEST (default "/", created as needed); a
 * host file goes to DEST (default "/" + its name; into DEST when DEST is a directory).
 * `get PATH DIR` is the inverse: a directory's contents go into DIR (the root's directly, any
 * other directory's under its own name), a file to DIR/name. So `put img src /x` followed by
 * `get img out /x` gives out/x equal to src.
 *
 * When the image fills up, NOSPC says how many of the bytes to copy did not fit and where the
 * copy stopped; the caller's atomic save then never happens, so the image file is unchanged.
 */
import { basename as hostBasename } from "node:path";
import { FsError } from "../../firmware-sim/errors.js";
import { mkdirs, readFile, tryStat, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { basename, joinPath } from "../../firmware-sim/fs/path.js";
import type { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { Progress } from "../progress.js";
import {
  HostFileReader,
  checkNames,
  hostPathUnder,
  hostSize,
  hostStat,
  makeHostDir,
  safeHostName,
  walkHostDir,
  writeHostFile,
} from "./host-tree.js";
import { readdirGuarded } from "./guarded-readdir.js";

export interface CopyReport {
  files: number;
  dirs: number;
  bytes: number;
  /** Host entries not copied (symbolic links, devices), relative to the source. */
  skipped: string[];
}

/** One item to write into the image. */
interface PutItem {
  path: string;
  type: "file" | "dir";
  host: string;
}

function isDir(fs: LittleFs, path: string): boolean {
  return tryStat(fs, path)?.type === "dir";
}

/** What `put` will write, in order, with image paths resolved. */
function plan(fs: LittleFs, src: string, dest: string | undefined): { items: PutItem[]; skipped: string[] } {
  if (hostStat(src, "source") === "file") {
    const name = hostBasename(src);
    let target = dest ?? `/${name}`;
    if (dest !== undefined && isDir(fs, dest)) target = joinPath(dest, name);
    return { items: [{ path: target, type: "file", host: src }], skipped: [] };
  }
  const root = dest ?? "/";
  const tree = walkHostDir(src);
  const items: PutItem[] = [];
  if (root !== "/") items.push({ path: root, type: "dir", host: src });
  for (const e of tree.entries) items.push({ path: joinPath(root, e.rel), type: e.type, host: e.host });
  return { items, skipped: tree.skipped };
}

/** Copy a host file or tree into the mounted image (see the module comment for DEST). */
export function putHost(fs: LittleFs, src: string, dest: string | undefined, label = "put"): CopyReport {
  const { items, skipped } = plan(fs, src, dest);
  const nameMax = fs.fsStat().nameMax;
  checkNames(
    items.map((i) => i.path.slice(1)).filter((p) => p !== ""),
    nameMax,
  );
  const before = fs.usage();
  const free = (before.blockCount - before.blocksUsed) * before.blockSize;
  const report: CopyReport = { files: 0, dirs: 0, bytes: 0, skipped };
  // progress counts files: sizes are only known as each file is read (no stat per file up front)
  const progress = new Progress(label, items.filter((i) => i.type === "file").length, { unit: "files" });
  const reader = new HostFileReader();
  // directories this copy made or found, so the files below them need no lookup of their parent
  const dirs = new Set<string>(["/"]);
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    try {
      if (item.type === "dir") {
        const st = tryStat(fs, item.path);
        if (st === undefined) mkdirs(fs, item.path);
        else if (st.type !== "dir") {
          throw new FsError("EXIST", `${item.path}: a file is in the way of directory ${item.host}`);
        }
        dirs.add(item.path);
        report.dirs += 1;
      } else {
        const parent = item.path.slice(0, item.path.lastIndexOf("/")) || "/";
        if (!dirs.has(parent)) {
          if (!isDir(fs, parent)) mkdirs(fs, parent);
          dirs.add(parent);
        }
        const data = reader.read(item.host);
        writeFile(fs, item.path, data);
        report.files += 1;
        report.bytes += data.length;
        progress.tick();
      }
    } catch (e) {
      if (e instanceof FsError && e.lfs === "NOSPC") throw noSpace(items, k, report, free);
      throw e;
    }
  }
  progress.finish();
  return report;
}

/** NOSPC for a copy that stopped at items[k]: how many bytes (sizes stat'ed now) did not fit. */
function noSpace(items: readonly PutItem[], k: number, report: CopyReport, free: number): FsError {
  const item = items[k]!;
  let short = 0;
  for (let j = k; j < items.length; j++) if (items[j]!.type === "file") short += hostSize(items[j]!.host);
  const total = report.bytes + short;
  return new FsError(
    "NOSPC",
    `no space left in the image: ${short} of ${total} bytes did not fit ` +
      `(stopped at ${item.path}, ${item.type === "file" ? hostSize(item.host) : 0} bytes; ` +
      `${report.files} files copied before it; ` +
      `the image had ${free} bytes in free blocks)`,
    {
      hint: "use a bigger image (--image-size), remove files, or leave some out",
      details: { path: item.path, total, copied: report.bytes, notFit: short, free },
    },
  );
}

/**
 * A bound on directory walks. Every directory owns a metadata pair, so a consistent image has
 * at most block_count / 2 of them; a walk that meets more has gone round a cycle (a damaged
 * directory struct pointing back at an ancestor) and would otherwise never end, or end only
 * after exponentially many visits when two entries point back.
 */
export class DirBudget {
  private seen = 0;
  private readonly max: number;
  constructor(fs: LittleFs) {
    this.max = Math.max(1, Math.floor(fs.fsStat().blockCount / 2));
  }
  /** Count one directory visit; CORRUPT when there are more than the image can hold. */
  visit(path: string): void {
    this.seen += 1;
    if (this.seen > this.max) {
      throw new FsError("CORRUPT", `${path}: more directories than the image can hold (a directory cycle)`, {
        hint: "the image is damaged; `flashbak fs check` lists its problems",
      });
    }
  }
}

/** Extract `path` from the image into host directory `dir` (see the module comment). */
export function getToHost(fs: LittleFs, path: string, dir: string, imageName: string): CopyReport {
  const report: CopyReport = { files: 0, dirs: 0, bytes: 0, skipped: [] };
  const st = fs.stat(path);
  makeHostDir(dir);
  if (st.type === "file") {
    const data = readFile(fs, path);
    writeHostFile(hostPathUnder(dir, [safeHostName(basename(path), imageName)]), data);
    report.files = 1;
    report.bytes = data.length;
    return report;
  }
  const progress = new Progress("get", 0, { unit: "files" });
  const budget = new DirBudget(fs);
  const visit = (src: string, parts: string[]): void => {
    budget.visit(src);
    const hostDir = hostPathUnder(dir, parts);
    makeHostDir(hostDir);
    report.dirs += 1;
    for (const e of readdirGuarded(fs, src)) {
      const name = safeHostName(e.name, imageName);
      const p = joinPath(src, e.name);
      if (e.type === "dir") visit(p, [...parts, name]);
      else {
        const data = readFile(fs, p);
        writeHostFile(hostPathUnder(dir, [...parts, name]), data);
        report.files += 1;
        report.bytes += data.length;
        progress.tick();
      }
    }
  };
  visit(path, path === "/" ? [] : [safeHostName(basename(path), imageName)]);
  progress.finish();
  return report;
}
