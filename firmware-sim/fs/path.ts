/** Path helpers for the '/'-separated absolute paths of the `FileSystem` seam. */
import { fsError } from "../errors.js";

/** Split an absolute path into components; rejects "." / ".." / empty components. */
export function splitPath(path: string): string[] {
  if (!path.startsWith("/")) throw fsError("INVAL", path, "path must be absolute (start with '/')");
  const parts = path.split("/").filter((p) => p.length > 0);
  for (const p of parts) {
    if (p === "." || p === "..") throw fsError("INVAL", path, "'.' and '..' are not allowed in paths");
  }
  return parts;
}

export function normalizePath(path: string): string {
  return "/" + splitPath(path).join("/");
}

export function joinPath(dir: string, name: string): string {
  return dir === "/" || dir === "" ? `/${name}` : `${dir.replace(/\/+$/, "")}/${name}`;
}

export function dirname(path: string): string {
  const parts = splitPath(path);
  parts.pop();
  return "/" + parts.join("/");
}

export function basename(path: string): string {
  const parts = splitPath(path);
  return parts.length === 0 ? "" : parts[parts.length - 1]!;
}

const utf8 = new TextEncoder();

/**
 * littlefs directory order: memcmp over the common prefix of the UTF-8 bytes; on a tie the
 * LONGER name sorts first (observed with the reference: aa, abc, abd, ab, a, b).
 */
export function compareNames(a: string | Uint8Array, b: string | Uint8Array): number {
  const x = typeof a === "string" ? utf8.encode(a) : a;
  const y = typeof b === "string" ? utf8.encode(b) : b;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return y.length - x.length;
}
