/**
 * How the module mounts and formats its littlefs partitions. The boot logic runs over the
 * `FileSystem` seam only, so the same code works on the real littlefs implementation (on the
 * NOR model, with power cuts) and on `MemoryFileSystem` (fast unit tests, no flash).
 */
import { fsError } from "../errors.js";
import type { BlockDevice } from "../flash/block-device.js";
import type { FileSystem } from "../fs/file-system.js";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
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
