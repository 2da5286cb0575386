/**
 * What an existing image says about itself before it is mounted: its block size (found the way
 * mklittlefs's unpack/list find it: the "littlefs" magic at byte 8 of a superblock block, then
 * the block_size field of the superblock struct that follows it) and its erased byte value.
 *
 * Superblock block layout (reference/littlefs-format.md 1.4, 1.7): le32 revision, the
 * SUPERBLOCK tag, "littlefs" at bytes 8..15, the INLINESTRUCT tag at 16, then version (20),
 * block_size (24), block_count (28), name_max, file_max, attr_max.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";

const MAGIC = new TextEncoder().encode("littlefs");
const MAGIC_OFF = 8;
const BLOCK_SIZE_OFF = 24;
const MIN_BLOCK = 128;

function hasMagic(img: Uint8Array, at: number): boolean {
  if (at + MAGIC_OFF + MAGIC.length > img.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (img[at + MAGIC_OFF + i] !== MAGIC[i]) return false;
  return true;
}

function le32(img: Uint8Array, at: number): number {
  if (at + 4 > img.length) return 0;
  return (img[at]! | (img[at + 1]! << 8) | (img[at + 2]! << 16) | (img[at + 3]! << 24)) >>> 0;
}

export interface Detection {
  /** Block size found in the superblock struct. */
  blockSize: number;
  /** Which copies of the superblock carried the magic (0 = block 0, 1 = block 1). */
  found: number[];
}

/** True for a block size the image can hold as whole blocks: >= 128 and dividing the size. */
function plausible(bs: number, size: number): boolean {
  return bs >= MIN_BLOCK && bs <= size && size % bs === 0;
}

/**
 * Find the block size of a littlefs image. Block 0 is at byte 0; block 1 is at byte B for the
 * unknown block size B, so candidate offsets are tried for every B the superblock could give.
 * Prefers a block size both copies agree on; falls back to one good copy (the other may be torn
 * or damaged: littlefs itself mounts with either). Throws IMAGE_NOT_LITTLEFS when neither copy
 * has the magic, saying what was looked for.
 */
export function detectBlockSize(img: Uint8Array, path = "image"): Detection {
  const from0 = hasMagic(img, 0) ? le32(img, BLOCK_SIZE_OFF) : undefined;
  if (from0 !== undefined && plausible(from0, img.length) && hasMagic(img, from0)) {
    return { blockSize: from0, found: [0, 1] };
  }
  // block 1 is self-describing: its magic sits at B + 8 and its struct says B
  for (let off = MIN_BLOCK; off < img.length; off += MIN_BLOCK) {
    if (!hasMagic(img, off)) continue;
    const bs = le32(img, off + BLOCK_SIZE_OFF);
    if (bs === off && plausible(bs, img.length)) return { blockSize: bs, found: [1] };
  }
  if (from0 !== undefined && plausible(from0, img.length)) return { blockSize: from0, found: [0] };
  if (from0 !== undefined) {
    throw new FlashbakError(
      "IMAGE_BAD_SUPERBLOCK",
      `${path}: the superblock says block size ${from0}, which does not fit a ${img.length}-byte image`,
      {
        hint: "the image may be truncated, or damaged; give --block-size to override",
        details: { blockSize: from0 },
      },
    );
  }
  const where =
    img.length < 2 * MIN_BLOCK
      ? `the file is only ${img.length} bytes, less than two littlefs blocks of at least ${MIN_BLOCK}`
      : `no "littlefs" magic at byte 8 of block 0, nor of block 1 for any block size from ` +
        `${MIN_BLOCK} to ${img.length} bytes`;
  throw new FlashbakError("IMAGE_NOT_LITTLEFS", `${path}: not a littlefs image: ${where}`, {
    hint: "check the file (a whole-flash dump needs the partition cut out first)",
    details: { size: img.length },
  });
}

/**
 * The erased byte of an image: littlefs leaves the end of its superblock blocks unwritten, so
 * the last byte of blocks 0 and 1 is what the writer's erase left there. 0xff unless both say 0x00
 * (reference images written with -e 0); a full superblock block gives no evidence, hence 0xff.
 */
export function detectEraseValue(img: Uint8Array, blockSize: number): number {
  if (img.length < 2 * blockSize) return 0xff;
  const a = img[blockSize - 1];
  const b = img[2 * blockSize - 1];
  return a === 0x00 && b === 0x00 ? 0x00 : 0xff;
}
