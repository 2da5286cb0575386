/**
 * An independent, bitwise CRC-32 with zlib's calling convention (`crc32(data, value)`), as the
 * oracle for the device CRC tests: no table, no zlib, straight from the polynomial 0xEDB88320.
 */
export function zlibCrc32(data: Uint8Array, value: number): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
