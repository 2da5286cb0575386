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
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { FlashbakError } from "../../firmware-sim/errors.js";

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
 * Write `data` (one array, or pieces written one after another) to `path` atomically: the bytes
 * go to a temporary file beside it, are flushed to disk, then renamed over `path`. On any
 * failure the temporary file is removed and `path` is untouched. Creates the parent directory
 * when missing.
 */
export function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): void {
  const pieces = data instanceof Uint8Array ? [data] : data;
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new FlashbakError("DEVICE_FILE_IO", `cannot create directory ${dir}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx");
    for (const piece of pieces) {
      let off = 0;
      while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    if (errno(e) === "EISDIR")
      throw new FlashbakError("USAGE", `output ${path} is a directory`, { cause: e });
    throw new FlashbakError("DEVICE_FILE_IO", `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}
