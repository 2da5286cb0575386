/**
 * The module's file-system driver on the real thing: littlefs (firmware-sim/littlefs) over the
 * partition's block device on the NOR model, configured from the board profile. Power cuts,
 * torn writes and wear reach the file system exactly as on the device.
 *
 * On the device `vfs_lfsx.c` runs `lfs_format` when `lfs_mount` fails; `mountAll` (boot.ts)
 * does that through `format()` below.
 */
import type { FileSystem } from "../fs/file-system.js";
import type { LfsConfig } from "../littlefs/config.js";
import { LittleFs } from "../littlefs/little-fs.js";
import type { BoardLfsConfig } from "./boards.js";
import type { FsDriver, MountRequest } from "./fs-driver.js";

/** littlefs configuration of a board (block size, read/prog units, caches, version). */
export function lfsConfigOf(c: BoardLfsConfig): LfsConfig {
  return {
    blockSize: c.blockSize,
    readSize: c.readSize,
    progSize: c.progSize,
    cacheSize: c.cacheSize,
    lookaheadSize: c.lookaheadSize,
    blockCycles: c.blockCycles,
    nameMax: c.nameMax,
    diskVersion: c.diskVersion,
  };
}

export class LittleFsDriver implements FsDriver {
  readonly name = "littlefs";

  mount(req: MountRequest): FileSystem {
    return LittleFs.mount(req.bd, lfsConfigOf(req.config), { readOnly: req.bd.readOnly });
  }

  format(req: MountRequest): void {
    LittleFs.format(req.bd, lfsConfigOf(req.config));
  }
}
