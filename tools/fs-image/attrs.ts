/**
 * User-attribute counts for `ls -l`, per entry of one directory.
 *
 * The `FileSystem` seam can only ask for one attribute type at a time, which means 256 path
 * lookups per entry (about 0.1 s each on a 4 KiB metadata block). littlefs keeps attributes as
 * USERATTR tags (type 0x300 + t) beside the entry's name and struct in the same metadata pair,
 * so one walk of each pair's live tags (lfs_dir_traverse with superseded tags filtered out, the
 * same walk a compaction does) counts them for every entry at once.
 *
 * This reads the library's internals (`LittleFs.internals()`) and only reads.
 */
import { FsError } from "../../firmware-sim/errors.js";
import { splitPath } from "../../firmware-sim/fs/path.js";
import type { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import {
  dirFetch,
  dirFind,
  dirGet,
  dirGetInfo,
  type EntryInfo,
} from "../../firmware-sim/littlefs/mdir-fetch.js";
import { dirTraverse } from "../../firmware-sim/littlefs/mdir-traverse.js";
import { newMdir, type MDir } from "../../firmware-sim/littlefs/state.js";
import {
  TYPE_DIRSTRUCT,
  TYPE_NAME,
  TYPE_STRUCT,
  TYPE_USERATTR,
  mktag,
  readLe32,
  tagId,
  tagIsDelete,
  tagType1,
  tagType3,
  type Pair,
} from "../../firmware-sim/littlefs/tag.js";

const utf8 = new TextDecoder();

function fail(code: number, path: string): FsError {
  return new FsError(
    code === -2 ? "NOENT" : code === -20 ? "NOTDIR" : "CORRUPT",
    `${path}: cannot read attributes`,
    {
      details: { errno: code },
    },
  );
}

/** The first metadata pair of directory `path`. */
function headPair(fs: LittleFs, path: string): Pair {
  const lfs = fs.internals();
  const parts = splitPath(path);
  if (parts.length === 0) return [lfs.root[0], lfs.root[1]];
  const m = newMdir();
  const tag = dirFind(lfs, m, parts, null);
  if (tag < 0) throw fail(tag, path);
  if (tagType3(tag) !== 0x002) throw new FsError("NOTDIR", `${path}: not a directory`);
  const buf = new Uint8Array(8);
  const r = dirGet(lfs, m, mktag(0x700, 0x3ff, 0), mktag(TYPE_STRUCT, tagId(tag), 8), buf);
  if (r < 0 || tagType3(r) !== TYPE_DIRSTRUCT) throw fail(r < 0 ? r : -84, path);
  return [readLe32(buf, 0), readLe32(buf, 4)];
}

/** Attribute count per entry name of directory `path` (entries without attributes are absent). */
export function attrCounts(fs: LittleFs, path: string): Map<string, number> {
  const lfs = fs.internals();
  const out = new Map<string, number>();
  const d: MDir = newMdir();
  let pair = headPair(fs, path);
  // a directory chain cannot be longer than the disk has pairs; the guard stops a damaged loop
  for (let hops = 0; hops <= lfs.blockCount; hops++) {
    const err = dirFetch(lfs, d, pair);
    if (err) throw fail(err, path);
    const perId = new Map<number, number>();
    const res = dirTraverse(
      lfs,
      d,
      0,
      0xffffffff,
      [],
      0,
      mktag(0x400, 0x3ff, 0),
      mktag(TYPE_NAME, 0, 0),
      0,
      0x3ff,
      0,
      (tag) => {
        if (tagType1(tag) === TYPE_USERATTR && !tagIsDelete(tag)) {
          perId.set(tagId(tag), (perId.get(tagId(tag)) ?? 0) + 1);
        }
        return 0;
      },
    );
    if (res < 0) throw fail(res, path);
    for (const [id, n] of perId) {
      const info: EntryInfo = { type: 0, size: 0, name: new Uint8Array(0) };
      if (dirGetInfo(lfs, d, id, info) === 0) out.set(utf8.decode(info.name), n);
    }
    if (!d.split) break;
    pair = [d.tail[0], d.tail[1]];
  }
  return out;
}
