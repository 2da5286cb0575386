/**
 * Damage a file on the flash itself, below the file system, as a power glitch or a worn cell
 * would: find a block of the file's partition that holds the start of the file's bytes, flip
 * one bit in it (erase and reprogram the block, two flash write operations), and check through
 * a fresh mount that the file now reads differently. A block holding a stale copy (an old
 * version the file system no longer uses) is skipped in favour of the next candidate.
 */
import { FlashbakError, UsageError } from "../../firmware-sim/errors.js";
import { partitionAt, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import type { Module } from "../../firmware-sim/module/module.js";
import { deviceCrc32 } from "../../firmware-sim/module/file-crc32.js";

export interface CorruptResult {
  path: string;
  partition: string;
  /** Block of the partition that was damaged. */
  block: number;
  /** Byte offset inside that block. */
  offset: number;
  /** The byte before and after (one bit flipped). */
  before: number;
  after: number;
  /** How the file reads now: different bytes, or gone / unreadable. */
  effect: "content-changed" | "unreadable";
}

const PROBE = 64;

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle), from);
}

function readsAs(m: Module, path: string): number | undefined {
  try {
    m.attach();
    return deviceCrc32(m.vfs.readFile(path));
  } catch (e) {
    if (e instanceof FlashbakError) return undefined;
    throw e;
  }
}

/** Flip one bit of `path`'s stored bytes on flash. `bit` (0..7) picks the bit; default 0. */
export function corruptFile(m: Module, path: string, bit = 0): CorruptResult {
  m.attach();
  const mount = m.vfs.resolve(path).mount;
  const content = m.vfs.readFile(path);
  if (content.length === 0) throw new UsageError(`${path} is empty: there are no bytes to damage`);
  const before = deviceCrc32(content);
  const probe = content.subarray(0, Math.min(PROBE, content.length));
  const part = partitionAt(m.board, mount);
  const bd = partitionDevice(m.flash, m.board, part.name, { writable: true });
  const bs = bd.geometry.blockSize;
  const buf = new Uint8Array(bs);
  for (let b = 0; b < bd.geometry.blockCount; b++) {
    bd.read(b, 0, buf);
    for (let at = indexOf(buf, probe); at >= 0; at = indexOf(buf, probe, at + 1)) {
      const offset = at + (probe.length >> 1);
      const data = buf.slice();
      const old = data[offset]!;
      data[offset] = old ^ (1 << (bit & 7));
      bd.erase(b);
      bd.prog(b, 0, data);
      const now = readsAs(m, path);
      if (now !== before) {
        return {
          path,
          partition: part.name,
          block: b,
          offset,
          before: old,
          after: data[offset]!,
          effect: now === undefined ? "unreadable" : "content-changed",
        };
      }
      buf.set(data);
    }
  }
  throw new FlashbakError("SIM_NOT_FOUND", `no block of ${part.name} holds the bytes of ${path}`, {
    hint: "the file may be stored inline in its directory's metadata; try a larger file",
  });
}
