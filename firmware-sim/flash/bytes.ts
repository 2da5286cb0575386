/**
 * Byte copies on the hot paths of the block-device and littlefs layers.
 *
 * `dst.set(src.subarray(a, b))` allocates a view object per call. littlefs moves most bytes in
 * pieces of 4 to 512 bytes hundreds of thousands of times per image: with a view for every
 * copy a 1000-file pack made 182 MB of garbage. A loop for short copies and a native `set` for
 * longer ones costs the fewest instructions (counted under callgrind over the same pack, with
 * the cut-over at 4, 16, 32 and 128 bytes: 16 is best) and leaves 69 MB of garbage.
 */
const LOOP_MAX = 16;

/** Copy `len` bytes from src[srcOff..] to dst[dstOff..]. The ranges must not overlap. */
export function copyBytes(
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
): void {
  if (len <= LOOP_MAX) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}
