/**
 * The JS half of the VFS bridge and of the QuecPython shims: the object registered in the VM
 * as the module `_fbhost`. Python calls these functions (python-vfs.ts, python-quec.ts) with
 * str/int arguments and gets str/int back; errors come back as `-errno` or "!errno" so that
 * no JS exception ever unwinds through the VM, except `PowerLoss`, which must: a device that
 * lost power stops executing mid-instruction, and the harness catches it outside.
 *
 * Every call also runs the runtime's check hook (`BridgeHooks.poll`), which is how a running
 * program notices a Ctrl-C from the host (see DESIGN.md "Runtime and serial").
 */
import { FsError, isPowerLoss } from "../errors.js";
import type { FsFile, OpenFlags } from "../fs/file-system.js";
import type { QuecServices } from "./services.js";

/** errno values as MicroPython's OSError carries them (the littlefs codes, positive). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EEXIST: 17,
  ENOTDIR: 20,
  EINVAL: 22,
  EROFS: 30,
} as const;

export interface BridgeHooks {
  /** Called on every host call: poll the UART for Ctrl-C, account VM time. */
  poll(): void;
  /** True when the program must stop here (see `MicroPythonVm` main.py budget). */
  shouldPark(): boolean;
}

interface Handle {
  file: FsFile;
  writable: boolean;
}

/** Modelled cost of one call from Python into the host, in virtual microseconds. */
const CALL_COST_US = 20;

/** Parse a Python `open()` mode ("r", "rb", "w+", "ab", "x", "wt+", ...) into littlefs flags. */
export function parseMode(mode: string): OpenFlags | undefined {
  const base = mode.replace(/[bt]/g, "");
  const plus = base.includes("+");
  switch (base.replace("+", "")) {
    case "r":
      return { read: true, write: plus };
    case "w":
      return { write: true, read: plus, create: true, truncate: true };
    case "a":
      return { write: true, read: plus, create: true, append: true };
    case "x":
      return { write: true, read: plus, create: true, exclusive: true };
    default:
      return undefined;
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}

export class HostBridge {
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;

  constructor(
    private readonly services: QuecServices,
    private readonly hooks: BridgeHooks,
    /** Seconds since 1970 at virtual time 0 (the module's RTC setting). */
    private readonly epochBaseS: number,
  ) {}

  /** Run `fn`, turning file-system errors into `-errno`; PowerLoss passes through. */
  private guard<T>(fn: () => T): T | number {
    this.tick();
    try {
      return fn();
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      if (e instanceof FsError) return e.errno;
      return -Errno.EIO;
    }
  }

  private tick(): void {
    this.services.clock.advance(CALL_COST_US);
    this.hooks.poll();
  }

  private mount(n: number): { fs: QuecServices["mounts"][number]["fs"]; ro: boolean } {
    const m = this.services.mounts[n];
    if (m === undefined) throw new FsError("INVAL", `no mount ${n}`);
    return { fs: m.fs, ro: m.readOnly === true || m.fs.readOnly };
  }

  private writable(n: number): QuecServices["mounts"][number]["fs"] {
    const m = this.mount(n);
    if (m.ro) throw new FsError("EROFS", `${this.services.mounts[n]?.path}: read-only file system`);
    return m.fs;
  }

  /** Close every open file (soft reboot). Not called after a power cut. */
  closeAll(): void {
    for (const [id, h] of this.handles) {
      this.handles.delete(id);
      try {
        h.file.close();
      } catch (e) {
        if (isPowerLoss(e)) throw e;
      }
    }
  }

  /** The object registered as `_fbhost`: every function Python may call. */
  module(): Record<string, unknown> {
    const s = this.services;
    return {
      open: (m: number, path: string, mode: string) =>
        this.guard(() => {
          const flags = parseMode(mode);
          if (flags === undefined) return -Errno.EINVAL;
          const fs = flags.write ? this.writable(m) : this.mount(m).fs;
          const id = this.nextHandle++;
          this.handles.set(id, { file: fs.open(path, flags), writable: flags.write === true });
          return id;
        }),
      read: (h: number, n: number) =>
        this.guard(() => {
          const f = this.handles.get(h);
          if (f === undefined) return `!${Errno.EBADF}`;
          const buf = new Uint8Array(Math.max(0, Math.min(n, 1 << 20)));
          const got = f.file.read(buf);
          return hex(buf.subarray(0, got));
        }),
      write: (h: number, data: string) =>
        this.guard(() => {
          const f = this.handles.get(h);
          if (f === undefined || !f.writable) return -Errno.EBADF;
          return f.file.write(unhex(data));
        }),
      seek: (h: number, off: number, whence: number) =>
        this.guard(() => {
          const f = this.handles.get(h);
          if (f === undefined) return -Errno.EBADF;
          return f.file.seek(off, whence);
        }),
      sync: (h: number) =>
        this.guard(() => {
          this.handles.get(h)?.file.sync();
          return 0;
        }),
      close: (h: number) =>
        this.guard(() => {
          const f = this.handles.get(h);
          this.handles.delete(h);
          f?.file.close();
          return 0;
        }),
      stat: (m: number, path: string) =>
        this.guard(() => {
          const st = this.mount(m).fs.stat(path);
          return `${st.type === "dir" ? "d" : "f"} ${st.size}`;
        }),
      listdir: (m: number, path: string) =>
        this.guard(() =>
          JSON.stringify(
            this.mount(m)
              .fs.readdir(path)
              .map((e) => [e.name, e.type === "dir" ? 1 : 0, e.size]),
          ),
        ),
      mkdir: (m: number, path: string) => this.guard(() => (this.writable(m).mkdir(path), 0)),
      remove: (m: number, path: string) =>
        this.guard(() => {
          const fs = this.writable(m);
          if (fs.stat(path).type === "dir") return -21;
          fs.remove(path);
          return 0;
        }),
      rmdir: (m: number, path: string) =>
        this.guard(() => {
          const fs = this.writable(m);
          if (fs.stat(path).type !== "dir") return -Errno.ENOTDIR;
          fs.remove(path);
          return 0;
        }),
      rename: (m: number, from: string, to: string) =>
        this.guard(() => (this.writable(m).rename(from, to), 0)),
      statvfs: (m: number) =>
        this.guard(() => {
          const u = this.mount(m).fs.usage();
          const free = Math.max(0, u.blockCount - u.blocksUsed);
          return JSON.stringify([u.blockSize, u.blockSize, u.blockCount, free, free, 0, 0, 0, 0, 255]);
        }),
      crc_calc: (path: string) => {
        this.tick();
        // -1: the module supplies no calc of its own; the Python shim computes the CRC itself.
        return s.fileCrc32 === undefined ? -1 : (s.fileCrc32(path) ?? null);
      },
      sd_store: (index: number, data: string) => (this.tick(), s.secureData.store(index, unhex(data))),
      sd_read: (index: number) => {
        this.tick();
        const r = s.secureData.read(index);
        return typeof r === "number" ? r : hex(r);
      },
      identity: () => JSON.stringify(s.identity),
      // Numbers above 2^31 lose bits on the way into the VM (the glue converts JS integers
      // to int32), so times travel as decimal strings.
      now_us: () => (this.tick(), String(Math.floor(s.clock.now()))),
      epoch_s: () => (this.tick(), String(Math.floor(this.epochBaseS + s.clock.now() / 1e6))),
      sleep_us: (usText: string) => {
        const us = Number(usText);
        this.tick();
        if (us > 0 && Number.isFinite(us)) s.clock.advance(us);
        this.hooks.poll();
        return this.hooks.shouldPark() ? 1 : 0;
      },
    };
  }
}
