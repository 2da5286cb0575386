/**
 * What the device's frozen Python scripts have in common, modelled once: Python exceptions
 * (`ScriptError`, with the text `print(e)` shows in the boot log), `ujson` encoding, and the
 * two ways of writing a file (`ql_fs.file_copy`'s truncate-then-write, or an atomic
 * temporary-plus-rename).
 *
 * A `PowerLoss` is never turned into a `ScriptError`: `asScriptError` rethrows it.
 */
import { FlashbakError, FsError, isPowerLoss } from "../errors.js";
import type { DeviceVfs } from "./device-vfs.js";
import { TEMP_SUFFIX } from "./restore-policy.js";

/** A Python exception raised inside a frozen script. `text` is `str(e)`. */
export class ScriptError extends FlashbakError {
  readonly pyType: string;
  readonly text: string;
  constructor(pyType: string, text: string) {
    super("SCRIPT_ERROR", `${pyType}: ${text}`);
    this.pyType = pyType;
    this.text = text;
  }
}

/** MicroPython's OSError text for a littlefs error: `[Errno 2] ENOENT`. */
export function osErrorText(e: FsError): string {
  const name = e.lfs.startsWith("E") ? e.lfs : `E${e.lfs}`;
  return `[Errno ${-e.errno}] ${name}`;
}

/**
 * Turn anything thrown below a script into the Python exception the script would see.
 * Power loss passes through untouched: the module is off, nothing runs any more.
 */
export function asScriptError(e: unknown): ScriptError {
  if (isPowerLoss(e)) throw e;
  if (e instanceof ScriptError) return e;
  if (e instanceof FsError) return new ScriptError("OSError", osErrorText(e));
  if (e instanceof SyntaxError) return new ScriptError("ValueError", "syntax error in JSON");
  if (e instanceof FlashbakError) return new ScriptError("OSError", `[Errno 5] EIO (${e.code})`);
  throw e;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: false });

export function encodeText(s: string): Uint8Array {
  return utf8.encode(s);
}

export function decodeText(b: Uint8Array): string {
  return utf8d.decode(b);
}

/** `ujson.loads`: a ValueError("syntax error in JSON") on anything unparseable. */
export function ujsonLoads(data: Uint8Array): unknown {
  try {
    return JSON.parse(decodeText(data)) as unknown;
  } catch {
    throw new ScriptError("ValueError", "syntax error in JSON");
  }
}

/** `ujson.dumps`: separators ", " and ": " as MicroPython prints them. */
export function ujsonDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(ujsonDumps).join(", ") + "]";
  if (typeof v === "object") {
    return (
      "{" +
      Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${JSON.stringify(k)}: ${ujsonDumps(x)}`)
        .join(", ") +
      "}"
    );
  }
  throw new ScriptError("TypeError", `can't convert ${typeof v} to JSON`);
}

/** Chunk size of `ql_fs.file_copy` (it reads and writes 4096 bytes at a time). */
export const COPY_CHUNK = 4096;

/**
 * `ql_fs.file_copy(dst, src)`: destination first; opens `dst` with 'wb+' (truncating it at
 * once) and copies 4096 bytes at a time. Not atomic: a power cut can leave `dst` short.
 */
export function fileCopy(vfs: DeviceVfs, dst: string, src: string): void {
  const from = vfs.open(src, { read: true });
  try {
    const to = vfs.open(dst, { read: true, write: true, create: true, truncate: true });
    try {
      const buf = new Uint8Array(COPY_CHUNK);
      for (;;) {
        const n = from.read(buf);
        if (n === 0) break;
        to.write(buf.subarray(0, n));
      }
    } finally {
      to.close();
    }
  } finally {
    from.close();
  }
}

/**
 * Write `data` to `path` so that a power cut leaves either the old file or the new one: write
 * a temporary file beside it, close (littlefs commits), then rename over the target (a single
 * littlefs metadata commit).
 */
export function atomicWrite(vfs: DeviceVfs, path: string, data: Uint8Array): void {
  const tmp = path + TEMP_SUFFIX;
  vfs.writeFile(tmp, data);
  vfs.rename(tmp, path);
}

/** Copy `src` over `dst` atomically (the hardened restore). */
export function atomicCopy(vfs: DeviceVfs, dst: string, src: string): void {
  atomicWrite(vfs, dst, vfs.readFile(src));
}

/** Write a whole file the way the policy says: atomic, or truncate-then-write. */
export function writeWhole(vfs: DeviceVfs, path: string, data: Uint8Array, atomic: boolean): void {
  if (atomic) atomicWrite(vfs, path, data);
  else vfs.writeFile(path, data);
}
