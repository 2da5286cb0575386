/**
 * `file_crc32.calc(path)` (quecpython-behavior.md section 1.3): the device CRC of a file, read
 * 4096 bytes at a time, as Python's `hex()` string; None (null) for a missing, unreadable or
 * empty file.
 *
 * The QuecPython docs tell users to call `file_crc32.calc()` after editing a protected file so
 * the next boot does not revert it; this simulator follows the documented contract: `calc` also
 * records the new CRC for a file that `/usr/checksum.json` already lists (it never adds one).
 */
import { FsError, isPowerLoss } from "../errors.js";
import { crc32Update, DEVICE_CRC_SEED, pyHex } from "./device-crc32.js";
import type { DeviceVfs } from "./device-vfs.js";

/** Block size `file_crc32.calc` reads with. */
export const CRC_BLOCK = 4096;

/** The device CRC of a file's contents as `'0x...'`, or null (None). Never throws for I/O. */
export function computeFileCrc(vfs: DeviceVfs, path: string): string | null {
  let f;
  try {
    f = vfs.open(path, { read: true });
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    if (e instanceof FsError) return null;
    throw e;
  }
  try {
    let crc = DEVICE_CRC_SEED;
    let blocks = 0;
    const buf = new Uint8Array(CRC_BLOCK);
    for (;;) {
      const n = f.read(buf);
      if (n === 0) break;
      crc = crc32Update(crc, buf.subarray(0, n));
      blocks++;
    }
    return blocks > 0 ? pyHex(crc) : null;
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    if (e instanceof FsError) return null;
    throw e;
  } finally {
    f.close();
  }
}

/** What `calc` needs from the checksum module: record a CRC for an already-listed name. */
export interface CrcRecorder {
  setCrc(name: string, crc: string | null): boolean;
}

export class FileCrc32 {
  constructor(
    private readonly vfs: DeviceVfs,
    private readonly recorder: CrcRecorder,
  ) {}

  /** `file_crc32.calc(path)`: `'0x...'` or null (None); updates a listed checksum.json entry. */
  calc(path: string): string | null {
    const crc = computeFileCrc(this.vfs, path);
    if (crc !== null) this.recorder.setCrc(path, crc);
    return crc;
  }
}
