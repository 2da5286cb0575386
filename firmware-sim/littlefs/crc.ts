/**
 * littlefs's CRC-32 (`lfs_crc` in lfs_util.c): reflected polynomial 0x04C11DB7 (table 0xEDB88320),
 * caller-supplied initial value (0xffffffff to start), and NO final XOR. Because there is no final
 * XOR, running the CRC over `data || le32(crc)` gives 0, which the commit writer uses to verify
 * what it just programmed. `lfsCrc(0xffffffff, d) === zlib.crc32(d) ^ 0xffffffff`.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Continue `crc` over `len` bytes of `data` starting at `off`; returns the new (unsigned) CRC. */
export function lfsCrc(crc: number, data: Uint8Array, off = 0, len = data.length - off): number {
  let c = crc >>> 0;
  const end = off + len;
  for (let i = off; i < end; i++) c = (c >>> 8) ^ TABLE[(c ^ data[i]!) & 0xff]!;
  return c >>> 0;
}

/** CRC of the 4 little-endian bytes of `word`, continuing `crc` (used for rev, tags and the seed). */
export function lfsCrcWord(crc: number, word: number): number {
  let c = crc >>> 0;
  for (let i = 0; i < 4; i++) c = (c >>> 8) ^ TABLE[(c ^ ((word >>> (8 * i)) & 0xff)) & 0xff]!;
  return c >>> 0;
}

/** The standard zlib CRC-32 (with final XOR), as used by the vector manifests. */
export function zlibCrc32(data: Uint8Array): number {
  return (lfsCrc(0xffffffff, data) ^ 0xffffffff) >>> 0;
}
