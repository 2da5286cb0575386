/**
 * `checksum.json` and the device's `checksum` module (quecpython-behavior.md sections 1.2, 1.6).
 *
 * The file is a JSON array of `{"name": "/usr/<path>", "crc32": "0x<hex>"}`; names are absolute
 * device paths. `/usr/checksum.json` is the working copy the boot check and the runtime update,
 * `/bak/checksum.json` the factory copy written by the merger. Quirks of the faithful mode
 * (16 KiB read cap, lower-cased names, in-place rewrites) come from the policy.
 */
import { fsError, isPowerLoss } from "../errors.js";
import { computeFileCrc, deviceCrc32, parsePyHex, pyHex } from "./file-crc32.js";
import type { DeviceVfs } from "./device-vfs.js";
import { deviceDirname } from "./device-vfs.js";
import type { RestorePolicy } from "./restore-policy.js";
import {
  ScriptError,
  atomicCopy,
  encodeText,
  fileCopy,
  ujsonDumps,
  ujsonLoads,
  writeWhole,
} from "./script-support.js";

export const USR_CHECKSUM = "/usr/checksum.json";
export const BAK_CHECKSUM = "/bak/checksum.json";

/** One checksum.json item. Unknown keys (an older generation's `sha256`) are kept as they are. */
export interface ChecksumEntry {
  name: string;
  /** `'0x...'` as `hex()` prints it; null when the device computed None (empty/missing file). */
  crc32?: string | null;
  [key: string]: unknown;
}

/** How `check()` found the working copy. */
export type ChecksumSource = "usr" | "copied-from-bak" | "bak-fallback";

export class Checksum {
  constructor(
    private readonly vfs: DeviceVfs,
    private readonly policy: RestorePolicy,
  ) {}

  /**
   * Read and parse a checksum file as the device does: at most `checksumReadCap` bytes, then
   * `ujson.loads`. Throws a ScriptError (the Python exception) for a missing, empty, truncated
   * or malformed file, and for items without a string `name`.
   */
  load(path: string = USR_CHECKSUM): ChecksumEntry[] {
    const cap = this.policy.checksumReadCap;
    let data: Uint8Array;
    try {
      data = cap > 0 ? this.vfs.readHead(path, cap) : this.vfs.readFile(path);
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      throw new ScriptError("OSError", "[Errno 2] ENOENT");
    }
    const parsed = ujsonLoads(data);
    if (!Array.isArray(parsed)) throw new ScriptError("TypeError", "checksum list expected");
    for (const item of parsed) {
      if (
        item === null ||
        typeof item !== "object" ||
        typeof (item as { name?: unknown }).name !== "string"
      ) {
        throw new ScriptError("KeyError", "'name'");
      }
    }
    return parsed as ChecksumEntry[];
  }

  /** Rewrite the working copy: in place ('wt+') in faithful mode, temp + rename when hardened. */
  save(list: readonly ChecksumEntry[]): void {
    writeWhole(this.vfs, USR_CHECKSUM, encodeText(ujsonDumps(list)), this.policy.atomicWrites);
  }

  /**
   * `checksum.check()`: make sure the working copy exists, copying the factory copy when it is
   * missing; the hardened mode also replaces a corrupt one. Returns the list and where it came
   * from; throws the device's exception otherwise.
   */
  check(): { list: ChecksumEntry[]; source: ChecksumSource } {
    if (!this.vfs.exists(USR_CHECKSUM)) {
      this.vfs.mkdirs(deviceDirname(USR_CHECKSUM));
      if (this.policy.atomicWrites) atomicCopy(this.vfs, USR_CHECKSUM, BAK_CHECKSUM);
      else fileCopy(this.vfs, USR_CHECKSUM, BAK_CHECKSUM);
      return { list: this.load(), source: "copied-from-bak" };
    }
    try {
      return { list: this.load(), source: "usr" };
    } catch (e) {
      if (isPowerLoss(e) || !this.policy.fallbackToBakChecksum || !(e instanceof ScriptError)) throw e;
      const factory = this.load(BAK_CHECKSUM);
      this.save(factory);
      return { list: factory, source: "bak-fallback" };
    }
  }

  /** Does the item name `name`? Case-insensitive on the device, exact when hardened. */
  matches(item: ChecksumEntry, name: string): boolean {
    return this.policy.lowercaseNames ? item.name.toLowerCase() === name.toLowerCase() : item.name === name;
  }

  /** `checksum.retrieve(name)`: the item for `name`, or null (None). */
  retrieve(name: string): ChecksumEntry | null {
    const list = this.tryLoad();
    return list?.find((i) => this.matches(i, name)) ?? null;
  }

  /**
   * `checksum.update(name)`: recompute the CRC of an entry ALREADY listed (never adds one) and
   * rewrite the file. Returns the list, or null when there is no readable checksum.json.
   */
  update(name: string): ChecksumEntry[] | null {
    return this.bulk_update([name]);
  }

  /** `checksum.bulk_update(names)`: update each listed name, one rewrite at the end. */
  bulk_update(names: readonly string[]): ChecksumEntry[] | null {
    const list = this.tryLoad();
    if (list === null) return null;
    let changed = false;
    for (const name of names) {
      for (const item of list) {
        if (!this.matches(item, name)) continue;
        const crc = this.crcForEntry(item.name);
        if (crc === undefined) continue;
        item.crc32 = crc;
        changed = true;
      }
    }
    if (changed) this.save(list);
    return list;
  }

  /** Set a known CRC on listed entries (file_crc32.calc already computed it). */
  setCrc(name: string, crc: string | null): boolean {
    const list = this.tryLoad();
    if (list === null) return false;
    const hits = list.filter((i) => this.matches(i, name));
    if (hits.length === 0) return false;
    // Nothing to record: skip the rewrite (each one costs flash programs and erases).
    if (hits.every((i) => i.crc32 === crc)) return true;
    for (const item of hits) item.crc32 = crc;
    this.save(list);
    return true;
  }

  /**
   * `checksum.usr_update(name)`: like update, but adds a missing entry (lower-cased on the
   * device). Returns the list, or null without a readable checksum.json.
   */
  usr_update(name: string): ChecksumEntry[] | null {
    const list = this.tryLoad();
    if (list === null) return null;
    if (!list.some((i) => this.matches(i, name))) {
      list.push({ name: this.policy.lowercaseNames ? name.toLowerCase() : name, crc32: null });
    }
    for (const item of list) {
      if (!this.matches(item, name)) continue;
      const crc = this.crcForEntry(item.name);
      if (crc !== undefined) item.crc32 = crc;
    }
    this.save(list);
    return list;
  }

  /**
   * `checksum.bak_update(backfile)`: the device rewrites `/bak/checksum.json` through a second
   * writable mount. On this module `/bak` is read-only to everything running on it, so this
   * raises OSError EROFS, as any write to /bak does.
   */
  bak_update(backfile: string): never {
    throw fsError("EROFS", BAK_CHECKSUM, `cannot record ${backfile}: the backup partition is read-only`);
  }

  /**
   * The CRC the policy records for a file: the device stores `calc()` (None for empty or
   * missing files); the hardened mode stores the CRC of an empty file too and leaves the
   * entry of a missing file alone (undefined).
   */
  private crcForEntry(name: string): string | null | undefined {
    const crc = computeFileCrc(this.vfs, name);
    if (crc !== null || this.policy.emptyFileAlwaysRestored) return crc;
    const st = this.vfs.tryStat(name);
    return st !== undefined && st.type === "file" && st.size === 0
      ? pyHex(deviceCrc32(new Uint8Array(0)))
      : undefined;
  }

  private tryLoad(): ChecksumEntry[] | null {
    try {
      return this.load();
    } catch (e) {
      if (e instanceof ScriptError) return null;
      throw e;
    }
  }
}

/** Does a file whose device CRC is `crc` (null = None) match the entry? As `int(a,16) != int(b,16)`. */
export function entryMatches(entryCrc: unknown, crc: string | null): boolean {
  if (crc === null) return false;
  const want = parsePyHex(entryCrc);
  return want !== undefined && want === parsePyHex(crc);
}
