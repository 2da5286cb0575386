/**
 * littlefs's CRC-32 (`lfs_crc` in lfs_util.c): reflected polynomial 0x04C11DB7 (table 0xEDB88320),
 * caller-supplied initial value (0xffffffff to start), and NO final XOR. Because there is no final
 * XOR, running the CRC over `data || le32(crc)` gives 0, which the commit writer uses to verify
 * what it just programmed. `lfsCrc(0xffffffff, d) === zlib.crc32(d) ^ 0xffffffff`.
 */

/** 8 tables for slicing-by-8: T[k][b] is the CRC of byte b followed by k zero bytes. */
const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++)
      t[k * 256 + i] = (t[(k - 1) * 256 + i]! >>> 8) ^ t[t[(k - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();
const TABLE = T.subarray(0, 256);

/** Continue `crc` over `len` bytes of `data` starting at `off`; returns the new (unsigned) CRC. */
export function lfsCrc(crc: number, data: Uint8Array, off = 0, len = data.length - off): number {
  let c = crc >>> 0;
  let i = off;
  const end = off + len;
  // 8 bytes per step: the hot path of every metadata fetch
  for (; i + 8 <= end; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      T[0x700 + (a & 0xff)]! ^
      T[0x600 + ((a >>> 8) & 0xff)]! ^
      T[0x500 + ((a >>> 16) & 0xff)]! ^
      T[0x400 + (a >>> 24)]! ^
      T[0x300 + data[i + 4]!]! ^
      T[0x200 + data[i + 5]!]! ^
      T[0x100 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
  }
  for (; i < end; i++) c = (c >>> 8) ^ TABLE[(c ^ data[i]!) & 0xff]!;
  return c >>> 0;
}

/**
 * CRC of the 4 little-endian bytes of `word`, continuing `crc` (used for rev, tags and the seed),
 * in one slicing-by-4 step. A fetch that resumes from its memo folds every commit's CRC into the
 * seed, so a pack calls this hundreds of thousands of times, many of them before the JIT has
 * optimized it: the unrolled step took it from 14 ms to a few of a cold `fs mkfs`.
 */
export function lfsCrcWord(crc: number, word: number): number {
  const a = (crc ^ word) >>> 0;
  return (
    (T[0x300 + (a & 0xff)]! ^
      T[0x200 + ((a >>> 8) & 0xff)]! ^
      T[0x100 + ((a >>> 16) & 0xff)]! ^
      T[a >>> 24]!) >>>
    0
  );
}

/** The standard zlib CRC-32 (with final XOR), as used by the vector manifests. */
export function zlibCrc32(data: Uint8Array): number {
  return (lfsCrc(0xffffffff, data) ^ 0xffffffff) >>> 0;
}
