/**
 * `backup_restore`: the boot-time verify-and-restore step and the runtime backup calls
 * (quecpython-behavior.md sections 1.2, 1.4, 1.6, 1.8).
 *
 * Boot step, as `backup_restore.main()` runs it:
 * 1. read `/bak/backup_restore.json`; stop unless `enable` is non-zero;
 * 2. `checksum.check()`: copy `/bak/checksum.json` to `/usr` when missing;
 * 3. for every listed file whose CRC is None or differs: print `- restoring <name>` and copy
 *    `/bak/<name>` over it, or print `~ backup file does not exist`;
 * 4. `checksum.bulk_update` the restored names.
 * Any Python exception makes the rest of the step a no-op and prints
 * `x backup restore procedure error: <e>`. Power loss is never caught.
 */
import { isPowerLoss } from "../errors.js";
import type { Checksum, ChecksumEntry, ChecksumSource } from "./checksum.js";
import { BAK_CHECKSUM, USR_CHECKSUM, entryMatches } from "./checksum.js";
import { DOWNLOAD_STAT } from "./app-fota.js";
import { computeFileCrc, deviceCrc32, pyHex } from "./file-crc32.js";
import type { DeviceVfs } from "./device-vfs.js";
import { deviceDirname, normalizeDevicePath } from "./device-vfs.js";
import type { RestorePolicy } from "./restore-policy.js";
import { TEMP_SUFFIX } from "./restore-policy.js";
import { ScriptError, asScriptError, atomicCopy, fileCopy, ujsonLoads } from "./script-support.js";

export const BACKUP_CONFIG = "/bak/backup_restore.json";

export interface RestoreResult {
  /** `backup_restore.json` enabled the restore (false when disabled or unreadable). */
  enabled: boolean;
  /** `str(e)` of the exception that aborted the step, if any. */
  error?: string;
  /** Where the working checksum list came from. */
  checksumSource?: ChecksumSource;
  /** Listed files whose CRC was computed. */
  checked: number;
  /** Listed files that were present but whose CRC was None (empty) or differed. */
  mismatched: string[];
  /** Listed files that did not exist. */
  missing: string[];
  /** Files copied back from `/bak`. */
  restored: string[];
  /** Damaged files with no backup copy in `/bak`. */
  backupMissing: string[];
  /** Hardened only: damaged files whose backup copy failed its `/bak/checksum.json` CRC. */
  backupCorrupt: string[];
  /** Hardened only: leftover temporary files of an interrupted atomic write that were removed. */
  temporariesRemoved: string[];
}

export class BackupRestore {
  constructor(
    private readonly vfs: DeviceVfs,
    private readonly checksum: Checksum,
    private readonly policy: RestorePolicy,
  ) {}

  /** Is restore enabled? Throws the device's exception for a missing or malformed file. */
  readEnable(): boolean {
    const cap = this.policy.configReadCap;
    let data: Uint8Array;
    try {
      data = cap > 0 ? this.vfs.readHead(BACKUP_CONFIG, cap) : this.vfs.readFile(BACKUP_CONFIG);
    } catch (e) {
      throw asScriptError(e);
    }
    const cfg = ujsonLoads(data);
    if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg) || !("enable" in cfg)) {
      throw new ScriptError("KeyError", "'enable'");
    }
    const v = (cfg as { enable: unknown }).enable;
    return !(v === 0 || v === false);
  }

  /** `backup_restore.main()`, printing through `print`. */
  main(print: (line: string) => void): RestoreResult {
    const r: RestoreResult = {
      enabled: false,
      checked: 0,
      mismatched: [],
      missing: [],
      restored: [],
      backupMissing: [],
      backupCorrupt: [],
      temporariesRemoved: [],
    };
    try {
      r.enabled = this.readEnable();
      if (!r.enabled) return r;
      if (this.policy.cleanTemporaries) r.temporariesRemoved = this.removeTemporaries();
      const { list, source } = this.checksum.check();
      r.checksumSource = source;
      // The factory list is read only when a backup copy has to be verified (damage found).
      let factory: ChecksumEntry[] | undefined;
      const lazyFactory = (): ChecksumEntry[] => (factory ??= this.factoryList());
      for (const item of list)
        this.checkOne(item, this.policy.verifyBackupCopy ? lazyFactory : undefined, print, r);
      if (r.restored.length > 0) this.checksum.bulk_update(r.restored);
    } catch (e) {
      const err = asScriptError(e);
      r.error = err.text;
      print(`x backup restore procedure error: ${err.text}`);
    }
    return r;
  }

  private checkOne(
    item: ChecksumEntry,
    factory: (() => ChecksumEntry[]) | undefined,
    print: (line: string) => void,
    r: RestoreResult,
  ): void {
    const name = item.name;
    const crc = computeFileCrc(this.vfs, name);
    r.checked++;
    if (this.intact(name, item.crc32, crc)) return;
    const present = this.vfs.tryStat(name) !== undefined;
    (present ? r.mismatched : r.missing).push(name);
    print(`- restoring ${name}`);
    const backup = normalizeDevicePath("/bak/" + name);
    if (!this.vfs.exists(backup)) {
      print("~ backup file does not exist");
      r.backupMissing.push(name);
      return;
    }
    if (factory !== undefined && !this.backupTrusted(name, backup, factory())) {
      print("~ backup file does not match /bak/checksum.json");
      r.backupCorrupt.push(name);
      return;
    }
    this.vfs.mkdirs(deviceDirname(name));
    if (this.policy.atomicWrites) atomicCopy(this.vfs, name, backup);
    else fileCopy(this.vfs, name, backup);
    r.restored.push(name);
  }

  /** The CRC test: the device treats None (missing or empty) as damaged, always. */
  private intact(name: string, want: unknown, crc: string | null): boolean {
    if (entryMatches(want, crc)) return true;
    if (crc !== null || this.policy.emptyFileAlwaysRestored) return false;
    const st = this.vfs.tryStat(name);
    if (st === undefined || st.type !== "file" || st.size !== 0) return false;
    return want === null || entryMatches(want, pyHex(deviceCrc32(new Uint8Array(0))));
  }

  private factoryList(): ChecksumEntry[] {
    try {
      return this.checksum.load(BAK_CHECKSUM);
    } catch (e) {
      if (e instanceof ScriptError) return [];
      throw e;
    }
  }

  /** Hardened: is the backup copy the one the merger recorded in `/bak/checksum.json`? */
  private backupTrusted(name: string, backup: string, factory: ChecksumEntry[]): boolean {
    const entry = factory.find((i) => i.name === name);
    if (entry === undefined) return false;
    const crc = computeFileCrc(this.vfs, backup);
    if (entryMatches(entry.crc32, crc)) return true;
    // An empty factory file: None on the device; accept it when the factory entry says so.
    return (
      crc === null && this.vfs.stat(backup).size === 0 && (entry.crc32 === null || entry.crc32 === undefined)
    );
  }

  /**
   * Remove a `<name>.fbtmp` an interrupted atomic rewrite of checksum.json or download.stat
   * left behind. Protected files need no sweep: a cut before the rename leaves the target
   * unchanged (still damaged, or the FOTA still pending), so the next restore or FOTA rewrites
   * the same temporary and renames it; only these two metadata files could strand one.
   */
  private removeTemporaries(): string[] {
    const removed: string[] = [];
    for (const name of [USR_CHECKSUM, DOWNLOAD_STAT]) {
      const tmp = name + TEMP_SUFFIX;
      if (this.vfs.tryStat(tmp)?.type !== "file") continue;
      this.vfs.remove(tmp);
      removed.push(tmp);
    }
    return removed;
  }

  /**
   * `backup_restore.bak_update(file, data)`: create a new JSON file together with its backup.
   * Returns 0 ok, -1 bad input or file exists, -2 flag file unreadable, -3 backup disabled,
   * -5 failure. The backup partition is read-only on this module, so a valid call ends in
   * -5 (the device writes it through a second, writable mount at /_bak).
   */
  bak_update(file: unknown, data: unknown): number {
    if (typeof file !== "string" || !file.startsWith("/usr/") || data === null || typeof data !== "object")
      return -1;
    if (this.vfs.tryStat(file) !== undefined) return -1;
    const gate = this.gate();
    if (gate !== 0) return gate;
    try {
      this.vfs.writeFile(normalizeDevicePath("/bak/" + file), new Uint8Array(0));
      return 0;
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      return -5;
    }
  }

  /**
   * `backup_restore.bak_file(file)`: copy an existing /usr file into the backup partition.
   * Returns 1 ok, -1 bad input or missing file, -2 flag file unreadable, -3 disabled,
   * -4 checksum failed, -6 copy failed (always, here: /bak is read-only on the module).
   */
  bak_file(file: unknown): number {
    if (typeof file !== "string" || !file.startsWith("/usr/")) return -1;
    if (this.vfs.tryStat(file)?.type !== "file") return -1;
    const gate = this.gate();
    if (gate !== 0) return gate;
    if (computeFileCrc(this.vfs, file) === null) return -4;
    try {
      fileCopy(this.vfs, normalizeDevicePath("/bak/" + file), file);
      return 1;
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      return -6;
    }
  }

  private gate(): number {
    try {
      return this.readEnable() ? 0 : -3;
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      return -2;
    }
  }
}
