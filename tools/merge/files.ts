/**
 * Host file helpers for the package commands: read an input file with typed errors, and write
 * outputs atomically (temporary file in the same directory, fsync, rename), so a failed or
 * interrupted command never leaves a half-written package, flash image or extract behind.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
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

/**
 * An output file written in place at any positions, then published atomically: the bytes go to
 * a temporary file beside `path`, and `commit()` flushes it to disk and renames it over `path`.
 * `abort()` (or any failure) removes the temporary file and leaves `path` as it was. Creates the
 * parent directory when missing. A `BackingStore` for `WriteBehindBlockDevice`.
 */
export class AtomicFile implements BackingStore {
  readonly path: string;
  readonly #tmp: string;
  #fd: number | undefined;
  /** The temporary file exists (from a successful open until the rename or removal). */
  #pending = false;

  constructor(path: string) {
    this.path = path;
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
      renameSync(this.#tmp, this.path);
      this.#pending = false;
    } catch (e) {
      throw this.#failure(e);
    }
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
