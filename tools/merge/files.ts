/**
 * Host file helpers for the package commands: read an input file with typed errors, and write
 * outputs atomically (temporary file in the same directory, fsync, rename), so a failed or
 * interrupted command never leaves a half-written package, flash image or extract behind.
 */
import {
  close,
  closeSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { FlashbakError } from "../../firmware-sim/errors.js";
import type { BackingStore } from "../../firmware-sim/flash/write-behind-device.js";

function errno(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

/** Read a whole file; a missing file is FILE_NOT_FOUND (exit 4), other failures FILE_IO (exit 7). */
export function readInput(path: string, what: string): Uint8Array {
  try {
    // a view of the Buffer, not a copy (a small file may sit in Buffer's shared pool: keep its offset)
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  } catch (e) {
    throw hostReadError(e, path, what);
  }
}

/** The error for a host file that cannot be read: missing, a directory, or an I/O failure. */
export function hostReadError(e: unknown, path: string, what: string): FlashbakError {
  const code = errno(e);
  if (code === "ENOENT") {
    return new FlashbakError("FILE_NOT_FOUND", `${what} ${path} does not exist`, {
      hint: "check the path",
      cause: e,
    });
  }
  if (code === "EISDIR") {
    return new FlashbakError("USAGE", `${what} ${path} is a directory, not a file`, { cause: e });
  }
  return new FlashbakError("DEVICE_FILE_IO", `cannot read ${what} ${path}: ${(e as Error).message}`, {
    cause: e,
  });
}

let counter = 0;

/** A read-only descriptor of `path`, or undefined when it cannot be opened (missing, say). */
function openIfPresent(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch {
    return undefined;
  }
}

/**
 * Bytes written between background flushes of an AtomicFile (see `#flushInBackground`); 0 turns
 * them off. Windows does not get them: a file still open there cannot be removed on abort.
 */
const BACKGROUND_FLUSH_BYTES = process.platform === "win32" ? 0 : 4 << 20;

/**
 * Hold the file being replaced open across the rename and close it on the thread pool: when a
 * rename drops a file's last link, the kernel frees its pages inside the rename (7-10 ms for a
 * 16 MiB image here); with a descriptor still open that work moves to the close. Not on Windows,
 * where renaming over an open file can fail.
 */
const RELEASE_REPLACED_IN_BACKGROUND = process.platform !== "win32";

/**
 * An output file written in place at any positions, then published atomically: the bytes go to
 * a temporary file beside `path`, and `commit()` flushes it to disk and renames it over `path`.
 * `abort()` (or any failure) removes the temporary file and leaves `path` as it was. Creates the
 * parent directory when missing. A `BackingStore` for `WriteBehindBlockDevice`.
 *
 * While a large file is being written, what is written so far is flushed to disk in the
 * background (an fsync on libuv's thread pool every few MiB), so that `commit()` waits only for
 * the tail: on our CI-class machines the fsync of a 16 MiB image took 17 ms at the end, and 4.6
 * with a background flush started earlier.
 */
export class AtomicFile implements BackingStore {
  readonly path: string;
  readonly #tmp: string;
  #fd: number | undefined;
  /** The temporary file exists (from a successful open until the rename or removal). */
  #pending = false;
  #unflushed = 0;
  /**
   * A second descriptor for the background flushes: Linux reports a write-back error once per
   * open file description, so a background fsync must not be the one that swallows it. commit's
   * fsync on `#fd` still sees every error, and is the one that counts.
   */
  #flushFd: number | undefined;
  #flushesRunning = 0;

  constructor(path: string) {
    this.path = path;
    // found now rather than by the rename at the end, after all the work of filling the file
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) {
      throw new FlashbakError("USAGE", `output ${path} is a directory`, {
        hint: "name a file to write, inside it or elsewhere",
      });
    }
    const dir = dirname(path);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new FlashbakError("DEVICE_FILE_IO", `cannot create directory ${dir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.#tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
    try {
      this.#fd = openSync(this.#tmp, "wx+");
      this.#pending = true;
    } catch (e) {
      throw this.#failure(e);
    }
  }

  write(data: Uint8Array, off: number, len: number, pos: number): void {
    const fd = this.#live();
    try {
      for (let done = 0; done < len;) done += writeSync(fd, data, off + done, len - done, pos + done);
    } catch (e) {
      throw this.#failure(e);
    }
    this.#unflushed += len;
    if (BACKGROUND_FLUSH_BYTES > 0 && this.#unflushed >= BACKGROUND_FLUSH_BYTES) this.#flushInBackground();
  }

  /**
   * Start an fsync of what is written so far on the thread pool. Best effort and unobserved:
   * its result only arrives once the caller yields to the event loop, and commit's own fsync
   * decides. Several may run at once (the writer does not yield in between); the descriptor is
   * closed by the last one to finish, never while one is queued.
   */
  #flushInBackground(): void {
    this.#unflushed = 0;
    if (this.#flushFd === undefined) {
      try {
        this.#flushFd = openSync(this.#tmp, "r+");
      } catch {
        return;
      }
    }
    this.#flushesRunning++;
    fsync(this.#flushFd, () => {
      this.#flushesRunning--;
      this.#closeFlushFd();
    });
  }

  /** Close the background descriptor once the file is done with and no flush is running. */
  #closeFlushFd(): void {
    if (this.#flushFd === undefined || this.#flushesRunning > 0 || this.#fd !== undefined) return;
    const fd = this.#flushFd;
    this.#flushFd = undefined;
    close(fd, () => {});
  }

  read(into: Uint8Array, off: number, len: number, pos: number): void {
    const fd = this.#live();
    let done = 0;
    try {
      while (done < len) {
        const n = readSync(fd, into, off + done, len - done, pos + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      throw this.#failure(e);
    }
    if (done < len) {
      throw this.#failure(new Error(`read ${done} of ${len} bytes at ${pos}: the file is shorter`));
    }
  }

  /** Flush to disk and rename over `path`. On failure the temporary file is gone. */
  commit(): void {
    const fd = this.#live();
    try {
      fsyncSync(fd);
      closeSync(fd);
      this.#fd = undefined;
    } catch (e) {
      throw this.#failure(e);
    }
    const replaced = RELEASE_REPLACED_IN_BACKGROUND ? openIfPresent(this.path) : undefined;
    try {
      renameSync(this.#tmp, this.path);
      this.#pending = false;
    } catch (e) {
      if (replaced !== undefined) closeSync(replaced);
      throw this.#failure(e);
    }
    if (replaced !== undefined) close(replaced, () => {});
    this.#closeFlushFd();
  }

  /** Drop the temporary file (nothing happens once committed or aborted). */
  abort(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // the descriptor is gone either way; removing the file is what matters
      }
      this.#fd = undefined;
    }
    if (this.#pending) rmSync(this.#tmp, { force: true });
    this.#pending = false;
    this.#closeFlushFd();
  }

  #live(): number {
    if (this.#fd === undefined) {
      throw new FlashbakError("DEVICE_FILE_IO", `${this.path}: the output was already committed or aborted`);
    }
    return this.#fd;
  }

  /** Clean up and name the failure (the temporary file is removed). */
  #failure(e: unknown): FlashbakError {
    this.abort();
    if (errno(e) === "EISDIR") {
      return new FlashbakError("USAGE", `output ${this.path} is a directory`, { cause: e });
    }
    return new FlashbakError("DEVICE_FILE_IO", `cannot write ${this.path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Write `data` (one array, or pieces written one after another) to `path` atomically: the bytes
 * go to a temporary file beside it, are flushed to disk, then renamed over `path`. On any
 * failure the temporary file is removed and `path` is untouched. Creates the parent directory
 * when missing.
 */
export function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): void {
  const pieces = data instanceof Uint8Array ? [data] : data;
  const out = new AtomicFile(path);
  let pos = 0;
  for (const piece of pieces) {
    out.write(piece, 0, piece.length, pos);
    pos += piece.length;
  }
  out.commit();
}
