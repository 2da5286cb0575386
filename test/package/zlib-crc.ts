/** zlib's own crc32 (Node's zlib module), as the independent oracle for the device CRC tests. */
import { crc32 } from "node:zlib";

export function zlibCrc32(data: Uint8Array, value: number): number {
  return crc32(data, value) >>> 0;
}
