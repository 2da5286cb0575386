/**
 * The file-system seam. littlefs (`firmware-sim/littlefs/`) implements it over a block device;
 * `MemoryFileSystem` (memory-file-system.ts) is the fake beside it. The boot-time verifier, the
 * MicroPython VFS bridge, the merger and the CLI use only this interface.
 *
 * Paths are absolute within the file system ("/", "/main.py", "/dir/x"), '/'-separated, no
 * "." or ".." components. Names are compared as UTF-8 bytes. All calls are synchronous: the
 * MicroPython VM calls into the VFS synchronously, and flash is simulated in memory.
 * Errors are `FsError`s with littlefs codes (LFS_NOENT, LFS_EXIST, ...).
 */

export type FileType = "file" | "dir";

export interface FsStat {
  /** Last path component ("" for the root). */
  readonly name: string;
  readonly type: FileType;
  /** Bytes (0 for a directory). */
  readonly size: number;
}

/** `open` flags, mirroring LFS_O_*: at least one of read/write. */
export interface OpenFlags {
  read?: boolean;
  write?: boolean;
  /** Create the file if it does not exist (LFS_O_CREAT). */
  create?: boolean;
  /** With create: fail with EXIST if it exists (LFS_O_EXCL). */
  exclusive?: boolean;
  /** Truncate to 0 on open (LFS_O_TRUNC). */
  truncate?: boolean;
  /** Every write goes to the end (LFS_O_APPEND). */
  append?: boolean;
}

export const enum Whence {
  Set = 0,
  Cur = 1,
  End = 2,
}

export interface FsFile {
  /** Read up to `into.length` bytes at the position; returns the count (0 at end of file). */
  read(into: Uint8Array): number;
  /** Write all of `data` at the position (or the end with append); returns data.length. */
  write(data: Uint8Array): number;
  /** Move the position; returns the new position. */
  seek(offset: number, whence?: Whence): number;
  tell(): number;
  size(): number;
  truncate(size: number): void;
  /** Commit what was written so far (atomically, as littlefs does). */
  sync(): void;
  /** Sync and release the handle. */
  close(): void;
}

export interface FsUsage {
  blockSize: number;
  blockCount: number;
  /** Blocks in use (as lfs_fs_size reports). */
  blocksUsed: number;
}

export interface FileSystem {
  readonly readOnly: boolean;
  stat(path: string): FsStat;
  /** Entries of a directory in the file system's own order, without "." and "..". */
  readdir(path: string): FsStat[];
  mkdir(path: string): void;
  /** Remove a file or an empty directory. */
  remove(path: string): void;
  /** Rename a file or directory, replacing an existing file or empty directory at `to`. */
  rename(from: string, to: string): void;
  open(path: string, flags: OpenFlags): FsFile;
  /** User attribute `type` (0..255) of a path, or undefined when absent. */
  getAttr(path: string, type: number): Uint8Array | undefined;
  setAttr(path: string, type: number, value: Uint8Array): void;
  removeAttr(path: string, type: number): void;
  usage(): FsUsage;
}
