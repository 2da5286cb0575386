/**
 * A full consistency checker (`flashbak fs check`): walks the metadata tail list, every directory
 * chain and every file, and reports what littlefs itself would trip over or what a power loss
 * should never leave behind. It only reads; it never repairs (mounting read-write and writing
 * once runs littlefs's own repair: orphans, pending moves, 2.0 superblock upgrade).
 */
import { ERR } from "./bd-cache.js";
import { ctzTraverse } from "./ctz.js";
import { newFileState } from "./file.js";
import { fileRead } from "./file-io.js";
import type { LittleFs } from "./little-fs.js";
import { dirFetch, dirGet, dirGetInfo, type EntryInfo } from "./mdir-fetch.js";
import { makeCycleDetector } from "./orphans.js";
import { type Lfs, type MDir, O_RDONLY, newMdir, zeroGState } from "./state.js";
import {
  MAX_MDIR_COUNT,
  TYPE_CTZSTRUCT,
  TYPE_DIR,
  TYPE_DIRSTRUCT,
  TYPE_INLINESTRUCT,
  TYPE_STRUCT,
  mktag,
  pairIsNull,
  readLe32,
  tagId,
  tagSize,
  tagType1,
  tagType3,
  type Pair,
} from "./tag.js";

export type Severity = "error" | "warning";

export interface CheckProblem {
  severity: Severity;
  /** Path or metadata pair the problem is about. */
  where: string;
  message: string;
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  dirs: number;
  files: number;
  /** Metadata pairs on the tail list. */
  mdirs: number;
  blocksUsed: number;
  /** Orphaned directories (repaired by the next write). */
  orphans: number;
  /** A rename was interrupted between its two commits (finished by the next write). */
  pendingMove: boolean;
}

const utf8 = new TextDecoder();
const pairKey = (p: Readonly<Pair>): string => `{${Math.min(p[0], p[1])},${Math.max(p[0], p[1])}}`;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return b.length - a.length;
}

export function checkFs(fs: LittleFs): CheckReport {
  const lfs: Lfs = fs.internals();
  const problems: CheckProblem[] = [];
  const report: CheckReport = {
    ok: true,
    problems,
    dirs: 0,
    files: 0,
    mdirs: 0,
    blocksUsed: 0,
    orphans: 0,
    pendingMove: false,
  };
  const err = (where: string, message: string): void =>
    void problems.push({ severity: "error", where, message });
  const warn = (where: string, message: string): void =>
    void problems.push({ severity: "warning", where, message });
  const owner = new Map<number, string>();
  const claim = (block: number, who: string): void => {
    if (block >= lfs.blockCount) {
      err(who, `block ${block} is outside the ${lfs.blockCount}-block file system`);
      return;
    }
    const prev = owner.get(block);
    if (prev !== undefined && prev !== who) err(who, `block ${block} is also used by ${prev}`);
    owner.set(block, who);
  };

  // 1. the tail list: every mdir, once, no cycle
  const onList = new Set<string>();
  const m = newMdir();
  m.tail = [0, 1];
  const cycle = makeCycleDetector();
  while (!pairIsNull(m.tail)) {
    const here = pairKey(m.tail);
    if (cycle(m.tail) || onList.has(here)) {
      err(here, "cycle in the metadata tail list");
      break;
    }
    const code = dirFetch(lfs, m, [m.tail[0], m.tail[1]]);
    if (code) {
      err(here, `metadata pair unreadable (${code === ERR.CORRUPT ? "no valid commit" : code})`);
      break;
    }
    onList.add(here);
    claim(m.pair[0], `mdir ${here}`);
    claim(m.pair[1], `mdir ${here}`);
    report.mdirs += 1;
  }

  const g = lfs.gstate;
  const orphanFlag = tagSize(g.tag) !== 0;
  report.pendingMove = tagType1(g.tag) !== 0;
  if (report.pendingMove) warn(pairKey(g.pair), "a rename was interrupted; the next write completes it");
  // walk the on-disk ids ourselves: hide only the stale source of the move (littlefs's own
  // reads also hide the entry after it until the move is finished)
  const savedGdisk = lfs.gdisk;
  lfs.gdisk = zeroGState();
  const isMoveSource = (pair: Readonly<Pair>, id: number): boolean =>
    report.pendingMove && pairKey(pair) === pairKey(g.pair) && id === tagId(g.tag);

  // 2. the directory tree from the root
  const reached = new Set<string>();
  const heads = new Set<string>();
  const walkDir = (path: string, head: Pair): void => {
    if (heads.has(pairKey(head))) {
      err(path, `directory ${pairKey(head)} is reachable twice (directory cycle or shared pair)`);
      return;
    }
    heads.add(pairKey(head));
    report.dirs += 1;
    const d: MDir = newMdir();
    let pair: Pair = head;
    let prevName: Uint8Array | null = null;
    const seen = new Set<string>();
    for (let hops = 0; ; hops++) {
      if (hops > lfs.blockCount) {
        err(path, "directory chain does not end");
        return;
      }
      const code = dirFetch(lfs, d, pair);
      if (code) {
        err(path, `directory metadata ${pairKey(pair)} unreadable`);
        return;
      }
      reached.add(pairKey(d.pair));
      if (!onList.has(pairKey(d.pair))) {
        // with the orphan flag set this is a half-orphan: a relocated directory whose
        // predecessor still points at the old pair; the next write repairs the tail list
        if (orphanFlag)
          warn(path, `directory metadata ${pairKey(d.pair)} is not on the tail list yet (half-orphan)`);
        else err(path, `directory metadata ${pairKey(d.pair)} is not on the tail list (orphan flag clear)`);
      }
      if (d.count > MAX_MDIR_COUNT) {
        err(path, `metadata ${pairKey(d.pair)} claims ${d.count} entries (at most ${MAX_MDIR_COUNT})`);
        return;
      }
      for (let id = 0; id < d.count; id++) {
        if (isMoveSource(d.pair, id)) continue;
        const info: EntryInfo = { type: 0, size: 0, name: new Uint8Array(0) };
        const r = dirGetInfo(lfs, d, id, info);
        if (r === ERR.NOENT) continue;
        if (r) {
          err(path, `entry ${id} of ${pairKey(d.pair)} unreadable`);
          continue;
        }
        const name = utf8.decode(info.name);
        const child = path === "/" ? `/${name}` : `${path}/${name}`;
        if (info.name.length > lfs.nameMax) err(child, `name longer than name_max ${lfs.nameMax}`);
        if (seen.has(name)) err(child, "duplicate name in directory");
        seen.add(name);
        if (prevName !== null && compareBytes(prevName, info.name) >= 0)
          err(child, "entries out of littlefs order");
        prevName = info.name;
        const sb = new Uint8Array(8);
        const tag = dirGet(lfs, d, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, id, 8), sb);
        if (tag < 0) {
          err(child, "entry has no struct");
          continue;
        }
        if (info.type === TYPE_DIR) {
          if (tagType3(tag) !== TYPE_DIRSTRUCT) err(child, "directory without a directory struct");
          else walkDir(child, [readLe32(sb, 0), readLe32(sb, 4)]);
        } else {
          report.files += 1;
          checkFile(lfs, d, id, child, tag, sb, claim, err);
        }
      }
      if (!d.split) break;
      pair = [d.tail[0], d.tail[1]];
    }
  };
  try {
    walkDir("/", [lfs.root[0], lfs.root[1]]);
  } finally {
    lfs.gdisk = savedGdisk;
  }

  for (const k of onList) {
    // {0,1} is the superblock anchor: after an expansion it only links to the root
    if (k === "{0,1}" || reached.has(k)) continue;
    report.orphans += 1;
    warn(k, "metadata pair not reachable from the root (orphan; the next write removes it)");
  }
  report.blocksUsed = owner.size;
  report.ok = !problems.some((p) => p.severity === "error");
  return report;
}

function checkFile(
  lfs: Lfs,
  d: MDir,
  id: number,
  path: string,
  tag: number,
  sb: Uint8Array,
  claim: (b: number, who: string) => void,
  err: (where: string, message: string) => void,
): void {
  let size = 0;
  if (tagType3(tag) === TYPE_CTZSTRUCT) {
    size = readLe32(sb, 4);
    if (size > lfs.fileMax) {
      err(path, `size ${size} exceeds file_max ${lfs.fileMax}`);
      return;
    }
    const code = ctzTraverse(lfs, null, lfs.rcache, readLe32(sb, 0), size, (b) => {
      claim(b, path);
      return 0;
    });
    if (code) {
      err(path, "CTZ list unreadable");
      return;
    }
  } else if (tagType3(tag) === TYPE_INLINESTRUCT) {
    size = tagSize(tag);
  } else {
    err(path, `unknown struct type 0x${tagType3(tag).toString(16)}`);
    return;
  }
  // read it all through the normal path: catches bad pointers and unreadable blocks
  const f = newFileState(lfs, O_RDONLY, []);
  f.m = { ...d, pair: [d.pair[0], d.pair[1]], tail: [d.tail[0], d.tail[1]] };
  f.id = id;
  f.ctz = tagType3(tag) === TYPE_CTZSTRUCT ? { head: readLe32(sb, 0), size } : { head: 0xfffffffe, size };
  const buf = new Uint8Array(Math.min(lfs.cfg.blockSize, Math.max(size, 1)));
  f.flags = O_RDONLY | (tagType3(tag) === TYPE_INLINESTRUCT ? 0x100000 : 0);
  if (tagType3(tag) === TYPE_INLINESTRUCT) {
    f.cache.block = 0xfffffffe;
    f.cache.off = 0;
    f.cache.size = 0;
  }
  let total = 0;
  while (total < size) {
    const n = fileRead(lfs, f, buf, buf.length);
    if (n < 0) {
      err(path, `unreadable at offset ${total}`);
      return;
    }
    if (n === 0) break;
    total += n;
  }
  if (total !== size) err(path, `read ${total} of ${size} bytes`);
}
