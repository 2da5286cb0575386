/**
 * What the MicroPython runtime needs from the rest of the simulated module. The runtime never
 * reaches into littlefs, the flash or the SecureData partition itself: the module (the lead's
 * wiring in firmware-sim/module/) hands it one `QuecServices` object, and tests hand it fakes
 * built from `MemoryFileSystem` and `MemorySecureData` (below).
 *
 * Everything here is synchronous, because the VM calls it from inside a running Python
 * program. A `PowerLoss` thrown by any of these calls is never caught by the runtime: it
 * unwinds straight out of the VM (which is then dead, as a real CPU without power is) to the
 * harness that models the power supply.
 */
import type { Clock } from "../clock.js";
import type { FileSystem } from "../fs/file-system.js";

/** One mounted file system. `/usr` and `/bak` on a QuecPython module. */
export interface Mount {
  /** Absolute mount point without a trailing slash, e.g. "/usr". Must not be "/". */
  readonly path: string;
  readonly fs: FileSystem;
  /**
   * Refuse writes through Python with OSError(EROFS) even when `fs.readOnly` is false. The
   * module mounts `/bak` this way; the restore logic writes to `/bak` through its own handle.
   */
  readonly readOnly?: boolean;
}

/** SecureData slot store with the device's return codes (reference section 2). */
export interface SecureDataStore {
  /**
   * Store `data` at `index` (1..16). Returns 0 on success, -1 for a bad index or data longer
   * than the slot's capacity (52 B for 1-8, 100 B for 9-12, 500 B for 13-14, 1000 B for 15-16).
   */
  store(index: number, data: Uint8Array): number;
  /** The bytes stored at `index`; `-1` for a bad index, `-2` when never stored. */
  read(index: number): Uint8Array | -1 | -2;
}

/** The device's identity as scripts see it (`modem.getDevImei()` etc.). */
export interface DeviceIdentity {
  /** 15-digit IMEI string. */
  imei: string;
  /** Model name reported by `modem.getDevModel()`, e.g. "EC600N". */
  model: string;
  /** Firmware version reported by `modem.getDevFwVersion()`. */
  firmware: string;
  /** Serial number reported by `modem.getDevSN()`. */
  serial: string;
}

export interface QuecServices {
  /** File systems visible to Python; typically `/usr` (read-write) and `/bak` (read-only). */
  mounts: Mount[];
  secureData: SecureDataStore;
  identity: DeviceIdentity;
  /** Virtual time: `utime` reads it and `utime.sleep` advances it. */
  clock: Clock;
  /**
   * The module's own `file_crc32.calc(path)` (firmware-sim/module/file-crc32.ts): the device
   * CRC as `'0x...'`, or null for a missing or empty file, recording the new CRC of a file
   * `/usr/checksum.json` lists. When absent, the shim computes the CRC only.
   */
  fileCrc32?: (path: string) => string | null;
}

/** Capacity in bytes of SecureData slot `index` (1..16), or 0 for an invalid index. */
export function secureDataCapacity(index: number): number {
  if (!Number.isInteger(index) || index < 1 || index > 16) return 0;
  if (index <= 8) return 52;
  if (index <= 12) return 100;
  if (index <= 14) return 500;
  return 1000;
}

/** In-memory SecureData store: the fake for tests and for a simulator without a flash backend. */
export class MemorySecureData implements SecureDataStore {
  private readonly slots = new Map<number, Uint8Array>();

  store(index: number, data: Uint8Array): number {
    const cap = secureDataCapacity(index);
    if (cap === 0 || data.length > cap) return -1;
    this.slots.set(index, data.slice());
    return 0;
  }

  read(index: number): Uint8Array | -1 | -2 {
    if (secureDataCapacity(index) === 0) return -1;
    const v = this.slots.get(index);
    return v === undefined ? -2 : v.slice();
  }
}

/** A fixed identity for tests and examples. */
/**
 * The IMEI of simulated unit `unit` (1..999999): the example TAC 86119005, a serial number
 * counting from 123456, and the Luhn check digit, so unit 1 is 861190051234562, the default.
 */
export function imeiForUnit(unit: number): string {
  if (!Number.isInteger(unit) || unit < 1 || unit > 999_999) {
    throw new RangeError(`unit ${unit} outside 1..999999`);
  }
  const body = "86119005" + String((123_455 + unit) % 1_000_000).padStart(6, "0");
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Luhn: double every second digit from the right of the full number (check digit included)
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export function exampleIdentity(imei = imeiForUnit(1)): DeviceIdentity {
  return {
    imei,
    model: "EC600N",
    firmware: "QPY_OCPU_FLASHBAK_EC600N_SIM",
    serial: "FBSIM" + imei.slice(-8),
  };
}
