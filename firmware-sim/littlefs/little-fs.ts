/**
 * The public face of the littlefs port: `LittleFs` implements the project's `FileSystem` seam
 * (so the boot verifier, the MicroPython VFS bridge and the merger use it unchanged) and adds
 * littlefs's own operations: format, mount/unmount, fs stat, usage, traverse, gc, mkconsistent,
 * grow, user attributes, and file handles with seek/truncate/sync.
 *
 * Every failure is an `FsError` carrying the littlefs code (LFS_NOENT, LFS_CORRUPT, ...). A
 * read-only mount refuses every write with EROFS before anything reaches the device.
 */
import { FsError, LfsErrno, lfsErrText, type LfsErrName } from "../errors.js";
import type { BlockDevice } from "../flash/block-device.js";
import type { FileSystem, FsFile, FsStat, FsUsage, OpenFlags } from "../fs/file-system.js";
import { Whence } from "../fs/file-system.js";
import { splitPath } from "../fs/path.js";
import { checkFs, type CheckReport } from "./check.js";
import { resolveConfig, type LfsConfig } from "./config.js";
import {
  dirClose,
  dirOpen,
  dirRead,
  lfsGetAttr,
  lfsMkdir,
  lfsRemove,
  lfsRemoveAttr,
  lfsRename,
  lfsSetAttr,
  lfsStat,
  newDirState,
} from "./dir-ops.js";
import { fileClose, fileOpen, fileSync, newFileState } from "./file.js";
import { fileRead, fileSeek, fileSize, fileTruncate, fileWrite } from "./file-io.js";
import { fsSize, fsTraverse } from "./fs-traverse.js";
import type { EntryInfo } from "./mdir-fetch.js";
import {
  type FileState,
  type Lfs,
  type UserAttr,
  O_APPEND,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  copyGState,
  initLfs,
} from "./state.js";
import {
  type FsInfo,
  lfsFormat,
  lfsFsGc,
  lfsFsGrow,
  lfsFsMkconsistent,
  lfsFsStat,
  lfsMount,
} from "./superblock.js";
import { TYPE_DIR } from "./tag.js";
import { newTraverseCache } from "./traverse-cache.js";

const names = new Map<number, LfsErrName>(Object.entries(LfsErrno).map(([k, v]) => [v, k as LfsErrName]));
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Turn a littlefs return code into an FsError (codes >= 0 pass through). */
export function check(code: number, what: string): number {
  if (code >= 0) return code;
  const name = names.get(code) ?? "IO";
  throw new FsError(name, `${what}: ${lfsErrText[name]}`, { details: { errno: code } });
}

export interface MountOptions {
  /** Refuse every write (EROFS); the device is never programmed or erased. */
  readOnly?: boolean;
  /**
   * Nothing but this mount changes the device's contents while it is mounted (no other writer,
   * no bits flipped behind it, no injected read faults): the allocator may then replay, instead
   * of walking again, what unchanged metadata pairs reported at its last scan
   * (traverse-cache.ts). The same blocks are allocated and the same bytes written, with fewer
   * device reads. Default false; the image tools, which own the bytes they edit, set it.
   */
  exclusive?: boolean;
}

/** Options of `LittleFs.openFile` beyond the `FileSystem` flags. */
export interface OpenOptions {
  /** User attributes read at open (into their buffers) and written atomically at every sync. */
  attrs?: UserAttr[];
}

export class LittleFs implements FileSystem {
  readonly readOnly: boolean;
  private mounted = true;

  private constructor(private readonly lfs: Lfs) {
    this.readOnly = lfs.readOnly;
  }

  /** Format `bd` (lfs_format). Deterministic: the same config gives the same bytes. */
  static format(bd: BlockDevice, cfg: LfsConfig = {}): void {
    if (bd.readOnly) throw new FsError("EROFS", "format: the device is read-only");
    const lfs = initLfs(bd, resolveConfig(cfg, bd.geometry), false);
    check(lfsFormat(lfs), "format");
  }

  /** Mount an existing file system (lfs_mount). */
  static mount(bd: BlockDevice, cfg: LfsConfig = {}, opts: MountOptions = {}): LittleFs {
    const lfs = initLfs(bd, resolveConfig(cfg, bd.geometry), opts.readOnly === true || bd.readOnly);
    check(lfsMount(lfs), "mount");
    // a read-only mount never allocates
    if (opts.exclusive === true && !lfs.readOnly) lfs.traverseCache = newTraverseCache(lfs.blockCount);
    return new LittleFs(lfs);
  }

  /** Release the mount; open handles become invalid. Nothing is written (littlefs needs no unmount work). */
  unmount(): void {
    this.mounted = false;
    this.lfs.mlist = [];
  }

  private state(what: string): Lfs {
    if (!this.mounted) throw new FsError("BADF", `${what}: the file system is not mounted`);
    return this.lfs;
  }

  private writable(what: string): Lfs {
    const lfs = this.state(what);
    if (lfs.readOnly)
      throw new FsError("EROFS", `${what}: read-only file system`, { details: { path: what } });
    return lfs;
  }

  stat(path: string): FsStat {
    const info: EntryInfo = { type: 0, size: 0, name: new Uint8Array(0) };
    const parts = splitPath(path);
    check(lfsStat(this.state(path), parts, info), path);
    return {
      name: parts.length === 0 ? "" : utf8.decode(info.name),
      type: info.type === TYPE_DIR ? "dir" : "file",
      size: info.size,
    };
  }

  readdir(path: string): FsStat[] {
    const lfs = this.state(path);
    const dir = newDirState();
    check(dirOpen(lfs, dir, splitPath(path)), path);
    const out: FsStat[] = [];
    try {
      for (;;) {
        const info: EntryInfo = { type: 0, size: 0, name: new Uint8Array(0) };
        const r = check(dirRead(lfs, dir, info), path);
        if (r === 0) break;
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

  mkdir(path: string): void {
    check(lfsMkdir(this.writable(path), splitPath(path)), path);
  }

  remove(path: string): void {
    check(lfsRemove(this.writable(path), splitPath(path)), path);
  }

  rename(from: string, to: string): void {
    check(lfsRename(this.writable(from), splitPath(from), splitPath(to)), `${from} -> ${to}`);
  }

  open(path: string, flags: OpenFlags): FsFile {
    return this.openFile(path, flags);
  }

  /** `open` with littlefs extras (per-file user attributes committed on every sync). */
  openFile(path: string, flags: OpenFlags, opts: OpenOptions = {}): LfsFile {
    if (!flags.read && !flags.write) throw new FsError("INVAL", `${path}: open needs read and/or write`);
    const wants = flags.write || flags.create || flags.truncate || flags.append;
    const lfs = wants ? this.writable(path) : this.state(path);
    let f = flags.read && flags.write ? O_RDWR : flags.write ? O_WRONLY : O_RDONLY;
    if (flags.create) f |= O_CREAT;
    if (flags.exclusive) f |= O_EXCL;
    if (flags.truncate) f |= O_TRUNC;
    if (flags.append) f |= O_APPEND;
    const file = newFileState(lfs, f, opts.attrs ?? []);
    check(fileOpen(lfs, file, splitPath(path), f), path);
    return new LfsFile(lfs, file, path);
  }

  getAttr(path: string, type: number): Uint8Array | undefined {
    const out: { value?: Uint8Array } = {};
    const code = lfsGetAttr(this.state(path), splitPath(path), checkType(type, path), out);
    if (code === LfsErrno.NOATTR) return undefined;
    check(code, path);
    return out.value;
  }

  setAttr(path: string, type: number, value: Uint8Array): void {
    check(lfsSetAttr(this.writable(path), splitPath(path), checkType(type, path), value), path);
  }

  removeAttr(path: string, type: number): void {
    check(lfsRemoveAttr(this.writable(path), splitPath(path), checkType(type, path)), path);
  }

  usage(): FsUsage {
    const lfs = this.state("usage");
    return {
      blockSize: lfs.cfg.blockSize,
      blockCount: lfs.blockCount,
      blocksUsed: check(fsSize(lfs), "usage"),
    };
  }

  /** lfs_fs_stat: on-disk version and limits in force. */
  fsStat(): FsInfo {
    const out: { info?: FsInfo } = {};
    check(lfsFsStat(this.state("fs stat"), out), "fs stat");
    return out.info!;
  }

  /** lfs_fs_traverse: every block in use (blocks shared by files may repeat). */
  traverse(cb: (block: number) => void): void {
    check(
      fsTraverse(
        this.state("traverse"),
        (b) => {
          cb(b);
          return 0;
        },
        true,
      ),
      "traverse",
    );
  }

  /** lfs_fs_gc: finish repairs, compact full metadata, refill the allocator. */
  gc(): void {
    check(lfsFsGc(this.writable("gc")), "gc");
  }

  /** lfs_fs_mkconsistent: repair orphans/moves now and persist the global state. */
  mkconsistent(): void {
    check(lfsFsMkconsistent(this.writable("mkconsistent")), "mkconsistent");
  }

  /** lfs_fs_grow: use `blockCount` blocks (<= the device's), recorded in the superblock. */
  grow(blockCount: number): void {
    const lfs = this.writable("grow");
    try {
      check(lfsFsGrow(lfs, blockCount), "grow");
    } finally {
      // the remembered walks are sized by the block count: start again with the new one
      if (lfs.traverseCache !== null) lfs.traverseCache = newTraverseCache(lfs.blockCount);
    }
  }

  /** Global state as the C library keeps it in RAM (for diagnostics and tests). */
  gstate(): { tag: number; pair: [number, number] } {
    return copyGState(this.state("gstate").gstate);
  }

  /** The root directory's metadata pair (not always {0,1}: superblock expansion moves it). */
  rootPair(): [number, number] {
    const r = this.state("root").root;
    return [r[0], r[1]];
  }

  /** Full read-only consistency check (see check.ts); never writes. */
  check(): CheckReport {
    return checkFs(this);
  }

  /** @internal state access for the consistency checker in this directory. */
  internals(): Lfs {
    return this.state("internals");
  }
}

function checkType(type: number, path: string): number {
  if (!Number.isInteger(type) || type < 0 || type > 255)
    throw new FsError("INVAL", `${path}: attribute type ${type} outside 0..255`);
  return type;
}

/** An open littlefs file (`lfs_file_t`), usable through the `FsFile` seam. */
export class LfsFile implements FsFile {
  private open = true;

  constructor(
    private readonly lfs: Lfs,
    private readonly file: FileState,
    private readonly path: string,
  ) {}

  private live(): FileState {
    if (!this.open) throw new FsError("BADF", `${this.path}: file is closed`);
    return this.file;
  }

  read(into: Uint8Array): number {
    const f = this.live();
    if ((f.flags & O_RDONLY) !== O_RDONLY) throw new FsError("BADF", `${this.path}: not open for reading`);
    return check(fileRead(this.lfs, f, into, into.length), this.path);
  }

  write(data: Uint8Array): number {
    const f = this.live();
    if ((f.flags & O_WRONLY) !== O_WRONLY) throw new FsError("BADF", `${this.path}: not open for writing`);
    return check(fileWrite(this.lfs, f, data, data.length), this.path);
  }

  seek(offset: number, whence: Whence = Whence.Set): number {
    return check(fileSeek(this.lfs, this.live(), offset, whence), this.path);
  }

  tell(): number {
    return this.live().pos;
  }

  size(): number {
    return fileSize(this.live());
  }

  truncate(size: number): void {
    const f = this.live();
    if ((f.flags & O_WRONLY) !== O_WRONLY) throw new FsError("BADF", `${this.path}: not open for writing`);
    check(fileTruncate(this.lfs, f, size), this.path);
  }

  sync(): void {
    const f = this.live();
    if (this.lfs.readOnly) return;
    check(fileSync(this.lfs, f), this.path);
  }

  close(): void {
    const f = this.live();
    this.open = false;
    check(fileClose(this.lfs, f), this.path);
  }
}
