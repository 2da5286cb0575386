/**
 * Directory listing for the image tools, with its own bounds on a damaged directory.
 *
 * A damaged metadata pair whose DELETE splices bring its entry count below the ids that still
 * resolve made littlefs's `dirRead` step past the count; its end test was an equality, so the
 * listing never ended (ids above 0x3ff even alias lower ones). Found by the corrupt-image suite
 * (test/littlefs-fuzz). The library's `dirRead` has bounds of its own since (entry count and
 * chain length), but on one damaged image the two walks still end differently (`ls -R`: NOENT
 * from the library, CORRUPT here), so the CLI keeps this walk until the library answers
 * CORRUPT there too. It uses the library's fetch and entry lookup, and stops with CORRUPT when
 * an id would leave the 10-bit id space or the chain is longer than the image.
 */
import { FsError } from "../../firmware-sim/errors.js";
import type { FsStat } from "../../firmware-sim/fs/file-system.js";
import { splitPath } from "../../firmware-sim/fs/path.js";
import { check } from "../../firmware-sim/littlefs/little-fs.js";
import type { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { ERR } from "../../firmware-sim/littlefs/bd-cache.js";
import { dirClose, dirOpen, newDirState } from "../../firmware-sim/littlefs/dir-ops.js";
import { dirFetch, dirGetInfo, type EntryInfo } from "../../firmware-sim/littlefs/mdir-fetch.js";
import { TYPE_DIR } from "../../firmware-sim/littlefs/tag.js";

/** Entry ids are 10 bits and 0x3ff means "no entry": a real id is at most 0x3fe. */
const MAX_ID = 0x3fe;
const utf8 = new TextDecoder();

function loop(path: string, why: string): FsError {
  return new FsError("CORRUPT", `${path}: directory listing does not end (${why})`, {
    hint: "the image is damaged; `flashbak fs check` lists what it can",
  });
}

/**
 * `fs.readdir(path)`, in littlefs order, failing with CORRUPT instead of looping. The walk is
 * lfs_dir_read's (entries 0..count-1 of each metadata pair, following hard tails, skipping ids
 * without a name), with an end test of `id >= count` and a bound on the chain's length.
 */
export function readdirGuarded(fs: LittleFs, path: string): FsStat[] {
  const lfs = fs.internals();
  const dir = newDirState();
  check(dirOpen(lfs, dir, splitPath(path)), path);
  const out: FsStat[] = [];
  try {
    let hops = 0;
    for (let id = 0; ; id++) {
      if (id >= dir.m.count) {
        if (!dir.m.split) break;
        if (++hops > lfs.blockCount) throw loop(path, "its metadata chain is longer than the image");
        check(dirFetch(lfs, dir.m, [dir.m.tail[0], dir.m.tail[1]]), path);
        id = -1;
        continue;
      }
      if (id > MAX_ID) throw loop(path, `entry count ${dir.m.count} beyond ${MAX_ID}`);
      const info: EntryInfo = { type: 0, size: 0, name: new Uint8Array(0) };
      const r = dirGetInfo(lfs, dir.m, id, info);
      if (r === ERR.NOENT) continue;
      check(r, path);
      out.push({
        name: utf8.decode(info.name),
        type: info.type === TYPE_DIR ? "dir" : "file",
        size: info.size,
      });
    }
  } finally {
    dirClose(lfs, dir);
  }
  return out;
}
