/**
 * The module's view of its file systems by device path: `/usr/...` is `customer_fs`, `/bak/...`
 * is `customer_backup_fs` (quecpython-behavior.md section 1.1). The root itself can be neither
 * read nor written, as on the device.
 *
 * `/bak` is wrapped read-only: everything running on the module (boot restore, the runtime
 * APIs, the MicroPython VM) gets EROFS when it tries to change it. Only the merger and the
 * flasher write that partition, directly and not through a module.
 *
 * Repeated slashes are skipped as littlefs does, so the device's `'/bak' + '/' + name`
 * (`/bak//usr/main.py`) resolves to `usr/main.py` on the backup partition.
 */
import { fsError } from "../errors.js";
import type { FileSystem, FsFile, FsStat, FsUsage, OpenFlags } from "../fs/file-system.js";
import { exists, mkdirs, readFile, tryStat } from "../fs/fs-util.js";
import { splitPath } from "../fs/path.js";

/** Refuses every change with EROFS; reads go to the wrapped file system. */
export class ReadOnlyFileSystem implements FileSystem {
  readonly readOnly = true;
  constructor(private readonly inner: FileSystem) {}
  stat(path: string): FsStat {
    return this.inner.stat(path);
  }
  readdir(path: string): FsStat[] {
    return this.inner.readdir(path);
  }
  mkdir(path: string): void {
    throw fsError("EROFS", path);
  }
  remove(path: string): void {
    throw fsError("EROFS", path);
  }
  rename(from: string): void {
    throw fsError("EROFS", from);
  }
  open(path: string, flags: OpenFlags): FsFile {
    if (flags.write || flags.create || flags.truncate || flags.append) throw fsError("EROFS", path);
    return this.inner.open(path, flags);
  }
  getAttr(path: string, type: number): Uint8Array | undefined {
    return this.inner.getAttr(path, type);
  }
  setAttr(path: string): void {
    throw fsError("EROFS", path);
  }
  removeAttr(path: string): void {
    throw fsError("EROFS", path);
  }
  usage(): FsUsage {
    return this.inner.usage();
  }
}

export interface Resolved {
  /** The mount point ("/usr" or "/bak"). */
  mount: string;
  fs: FileSystem;
  /** The path inside that file system ("/" for the mount point itself). */
  path: string;
}

/** A mount table of absolute device paths, as `uos.mount` builds it. */
export class DeviceVfs {
  private readonly mounts = new Map<string, FileSystem>();

  mount(point: string, fs: FileSystem): void {
    const parts = splitPath(point);
    if (parts.length !== 1) throw fsError("INVAL", point, "mount points are top-level directories");
    this.mounts.set("/" + parts[0]!, fs);
  }

  unmountAll(): void {
    this.mounts.clear();
  }

  mountPoints(): string[] {
    return [...this.mounts.keys()];
  }

  resolve(devicePath: string): Resolved {
    const parts = splitPath(devicePath);
    const top = parts.shift();
    const fs = top === undefined ? undefined : this.mounts.get("/" + top);
    if (top === undefined || fs === undefined) {
      // `/` is not readable or writable on the module; anything else is an unmounted path.
      throw fsError("NOENT", devicePath, top === undefined ? "the root is not accessible" : undefined);
    }
    return { mount: "/" + top, fs, path: "/" + parts.join("/") };
  }

  stat(path: string): FsStat {
    const r = this.resolve(path);
    return r.fs.stat(r.path);
  }

  tryStat(path: string): FsStat | undefined {
    const r = this.resolve(path);
    return tryStat(r.fs, r.path);
  }

  exists(path: string): boolean {
    const r = this.resolve(path);
    return exists(r.fs, r.path);
  }

  open(path: string, flags: OpenFlags): FsFile {
    const r = this.resolve(path);
    return r.fs.open(r.path, flags);
  }

  readFile(path: string): Uint8Array {
    const r = this.resolve(path);
    return readFile(r.fs, r.path);
  }

  /** Read at most `max` bytes from the start, as Python's `f.read(max)`. */
  readHead(path: string, max: number): Uint8Array {
    const f = this.open(path, { read: true });
    try {
      const out = new Uint8Array(Math.min(max, f.size()));
      let n = 0;
      while (n < out.length) {
        const got = f.read(out.subarray(n));
        if (got === 0) break;
        n += got;
      }
      return out.subarray(0, n);
    } finally {
      f.close();
    }
  }

  /** Truncate-and-write, as `open(path, 'wb')` then one write: NOT atomic by itself. */
  writeFile(path: string, data: Uint8Array): void {
    const f = this.open(path, { write: true, create: true, truncate: true });
    try {
      f.write(data);
    } finally {
      f.close();
    }
  }

  remove(path: string): void {
    const r = this.resolve(path);
    r.fs.remove(r.path);
  }

  rename(from: string, to: string): void {
    const a = this.resolve(from);
    const b = this.resolve(to);
    if (a.fs !== b.fs) throw fsError("INVAL", from, `cannot rename across file systems to ${to}`);
    a.fs.rename(a.path, b.path);
  }

  /** `ql_fs.mkdirs`: create the directory and its missing parents. */
  mkdirs(path: string): void {
    const r = this.resolve(path);
    mkdirs(r.fs, r.path);
  }

  readdir(path: string): FsStat[] {
    const r = this.resolve(path);
    return r.fs.readdir(r.path);
  }
}

/** Parent directory of a device path ("/usr/a/b.py" -> "/usr/a"). */
export function deviceDirname(path: string): string {
  const parts = splitPath(path);
  parts.pop();
  return "/" + parts.join("/");
}

/** Collapse repeated slashes ("/bak//usr/x" -> "/bak/usr/x"), as littlefs does on lookup. */
export function normalizeDevicePath(path: string): string {
  return "/" + splitPath(path).join("/");
}
