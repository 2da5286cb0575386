/**
 * How the module mounts and formats its littlefs partitions. The boot logic runs over the
 * `FileSystem` seam only, so the same code works on the real littlefs implementation (on the
 * NOR model, with power cuts) and on `MemoryFileSystem` (fast unit tests, no flash).
 *
 * `LittleFsDriver` is the real thing: littlefs (firmware-sim/littlefs) over the partition's
 * block device, configured from the board profile, so power cuts, torn writes and wear reach
 * the file system exactly as on the device. On the device `vfs_lfsx.c` runs `lfs_format` when
 * `lfs_mount` fails; `mountAll` (boot.ts) does that through `format()`.
 */
import { fsError } from "../errors.js";
import type { BlockDevice } from "../flash/block-device.js";
import type { FileSystem } from "../fs/file-system.js";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import type { LfsConfig } from "../littlefs/config.js";
import { LittleFs } from "../littlefs/little-fs.js";
import type { BoardLfsConfig } from "./boards.js";

export interface MountRequest {
  /** The board partition name (customer_fs, customer_backup_fs). */
  partition: string;
  bd: BlockDevice;
  config: BoardLfsConfig;
}

export interface FsDriver {
  /** Shown in reports ("littlefs", "memory"). */
  readonly name: string;
  /** Mount; throws an FsError (LFS_CORRUPT, ...) when the partition holds no valid file system. */
  mount(req: MountRequest): FileSystem;
  /** Write an empty file system over the whole partition. */
  format(req: MountRequest): void;
}

/**
 * Keeps one MemoryFileSystem per partition name, ignoring the block device: state lives as
 * long as the driver object, which is enough for boot-logic tests and soft reboots. It
 * cannot model power cuts (nothing reaches the flash): sweeps use littlefs.
 */
export class MemoryFsDriver implements FsDriver {
  readonly name = "memory";
  private readonly volumes = new Map<string, MemoryFileSystem>();

  mount(req: MountRequest): FileSystem {
    const fs = this.volumes.get(req.partition);
    if (fs === undefined) throw fsError("CORRUPT", req.partition, "no file system on this partition");
    return fs;
  }

  format(req: MountRequest): void {
    this.volumes.set(req.partition, new MemoryFileSystem({ nameMax: req.config.nameMax }));
  }

  /** Drop a partition's file system, as if its blocks were wiped (tests of the reformat path). */
  wipe(partition: string): void {
    this.volumes.delete(partition);
  }
}

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
