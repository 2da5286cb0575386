/**
 * Image sniffing for host tools: find the littlefs superblock in raw image bytes the way
 * mklittlefs's unpack/list do (scan for the "littlefs" magic, read the superblock struct that
 * follows it), so an image can be mounted without knowing its geometry (block count 0).
 */
import { readLe32 } from "./tag.js";

export interface DetectedGeometry {
  blockSize: number;
  /** Block count recorded in the superblock (0 is possible on hand-made images). */
  blockCount: number;
  /** On-disk version, e.g. 0x00020001. */
  version: number;
  /** Byte offset of the magic (8 into block 0 or 1 of the superblock pair). */
  magicOffset: number;
}

const MAGIC = [0x6c, 0x69, 0x74, 0x74, 0x6c, 0x65, 0x66, 0x73]; // "littlefs"

function magicAt(img: Uint8Array, i: number): boolean {
  for (let k = 0; k < 8; k++) if (img[i + k] !== MAGIC[k]) return false;
  return true;
}

/**
 * The block size (and count, version) of a littlefs image, or undefined when no plausible
 * superblock is found. Only magics at byte 8 of a block, followed by a sane struct, count.
 */
export function detectBlockSize(img: Uint8Array): DetectedGeometry | undefined {
  for (let i = 8; i + 32 <= img.length; i++) {
    if (img[i] !== 0x6c || !magicAt(img, i)) continue;
    // superblock struct payload starts 4 bytes after the magic (after its INLINESTRUCT tag)
    const version = readLe32(img, i + 12);
    const blockSize = readLe32(img, i + 16);
    const blockCount = readLe32(img, i + 20);
    if (version >>> 16 !== 2) continue;
    if (blockSize < 128 || blockSize > 1 << 30 || (i - 8) % blockSize !== 0) continue;
    // the magic must sit in block 0 or 1 (the superblock pair)
    if ((i - 8) / blockSize > 1) continue;
    return { blockSize, blockCount, version, magicOffset: i };
  }
  return undefined;
}
