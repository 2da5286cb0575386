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
 * The length in bytes of `s` encoded as UTF-8 (TextEncoder's encoding: a lone surrogate is
 * U+FFFD, 3 bytes), without encoding it: checking 1000 names' lengths with TextEncoder took a
 * cold `fs mkfs` several milliseconds.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * littlefs directory order: memcmp over the common prefix of the UTF-8 bytes; on a tie the
 * LONGER name sorts first (observed with the reference: aa, abc, abd, ab, a, b).
 *
 * Two strings are compared by UTF-16 code unit without encoding them (sorting a host directory
 * of 100 names encoded each name ~14 times, half of a cold 1000-file walk). Outside surrogates
 * the first differing unit decides as its UTF-8 bytes would, and a string is a prefix of another
 * in units exactly when it is in bytes; a difference at a surrogate (a character above U+FFFF,
 * or a lone one, which encodes as U+FFFD) is settled by the bytes.
 */
export function compareNames(a: string | Uint8Array, b: string | Uint8Array): number {
  if (typeof a === "string" && typeof b === "string") {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a.charCodeAt(i);
      const y = b.charCodeAt(i);
      if (x !== y) {
        if ((x & 0xf800) !== 0xd800 && (y & 0xf800) !== 0xd800) return x - y;
        return compareBytes(utf8.encode(a), utf8.encode(b));
      }
    }
    // a shorter string ending in a lone high surrogate is not a byte prefix of a pair
    if (n > 0 && (a.charCodeAt(n - 1) & 0xfc00) === 0xd800)
      return compareBytes(utf8.encode(a), utf8.encode(b));
    return b.length - a.length;
  }
  return compareBytes(typeof a === "string" ? utf8.encode(a) : a, typeof b === "string" ? utf8.encode(b) : b);
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return y.length - x.length;
}
