/**
 * App FOTA (`app_fota` and `app_fota_updater`, quecpython-behavior.md section 1.5).
 *
 * Staging: `download(url, file_name)` stores the new file at `/usr/.updater/<file_name>` (the
 * name includes `/usr`, so `/usr/main.py` is staged as `/usr/.updater/usr/main.py`) and keeps
 * a JSON list of `{"url", "name", "total_size"}` in `/usr/.updater/download.stat`;
 * `set_update_flag()` creates `/usr/.updater/update.flag`. The simulator has no network, so
 * `stage()` takes the bytes a download would have fetched.
 *
 * Apply (at boot, after the restore step): for each stat entry copy the staged file over
 * `name`, `checksum.update(name)` (only entries already listed get the new CRC), rewrite the stat
 * file without that entry (so an interrupted apply resumes where it stopped), and at the end
 * delete the flag and stat files and the whole `/usr/.updater` directory. The factory copy in
 * `/bak` is not updated: a later corruption restores the factory version.
 */
import { isPowerLoss } from "../errors.js";
import { removeRecursive } from "../fs/fs-util.js";
import type { Checksum } from "./checksum.js";
import type { DeviceVfs } from "./device-vfs.js";
import { deviceDirname, normalizeDevicePath } from "./device-vfs.js";
import type { RestorePolicy } from "./restore-policy.js";
import {
  ScriptError,
  asScriptError,
  atomicCopy,
  encodeText,
  fileCopy,
  ujsonDumps,
  ujsonLoads,
  writeWhole,
} from "./script-support.js";

export const UPDATER_DIR = "/usr/.updater";
export const DOWNLOAD_STAT = `${UPDATER_DIR}/download.stat`;
export const UPDATE_FLAG = `${UPDATER_DIR}/update.flag`;
/** `download.stat` is read with the same 16 KiB cap as checksum.json on the device. */
const STAT_READ_CAP = 16384;

export interface StatEntry {
  url: string;
  name: string;
  total_size: number;
}

export interface FotaResult {
  /** The update flag was present at boot. */
  pending: boolean;
  /** Files copied into place, in order. */
  applied: string[];
  /** Applied files whose checksum.json entry got the new CRC (the already-listed ones). */
  crcUpdated: string[];
  /** Hardened: a half-removed `/usr/.updater` from an interrupted clean-up was removed. */
  leftoverRemoved?: boolean;
  /** `str(e)` of the exception that stopped the apply, if any (it resumes next boot). */
  error?: string;
}

export function stagedPath(name: string): string {
  return normalizeDevicePath(UPDATER_DIR + "/" + name);
}

export class AppFota {
  constructor(
    private readonly vfs: DeviceVfs,
    private readonly checksum: Checksum,
    private readonly policy: RestorePolicy,
  ) {}

  /** What a finished `download(url, file_name)` leaves: the staged file and its stat entry. */
  stage(fileName: string, data: Uint8Array, url = `file://${fileName}`): void {
    if (!normalizeDevicePath(fileName).startsWith("/usr/")) {
      throw new ScriptError("ValueError", `FOTA target must be under /usr: ${fileName}`);
    }
    const staged = stagedPath(fileName);
    this.vfs.mkdirs(deviceDirname(staged));
    this.vfs.writeFile(staged, data);
    const list = this.readStat().filter((e) => e.name !== fileName);
    list.push({ url, name: fileName, total_size: data.length });
    this.writeStat(list);
  }

  /** `set_update_flag()`: the next boot applies the staged files. */
  set_update_flag(): void {
    this.vfs.mkdirs(UPDATER_DIR);
    this.vfs.writeFile(UPDATE_FLAG, new Uint8Array(0));
  }

  /** Staged entries not yet applied. */
  pending(): StatEntry[] {
    return this.readStat();
  }

  /** `app_fota_updater.update()`: apply a flagged update (boot step). */
  update(): FotaResult {
    const r: FotaResult = { pending: false, applied: [], crcUpdated: [] };
    try {
      r.pending = this.vfs.exists(UPDATE_FLAG);
      if (!r.pending) {
        // Hardened: an updater directory with neither flag nor stat file is what a cut during
        // the final clean-up leaves (or a download cut before its stat entry): remove it.
        if (this.policy.atomicWrites && this.vfs.exists(UPDATER_DIR) && !this.vfs.exists(DOWNLOAD_STAT)) {
          this.removeUpdaterDir();
          r.leftoverRemoved = true;
        }
        return r;
      }
      const list = this.statForApply();
      while (list.length > 0) {
        const entry = list[0]!;
        const src = stagedPath(entry.name);
        this.vfs.mkdirs(deviceDirname(entry.name));
        if (this.policy.atomicWrites) atomicCopy(this.vfs, entry.name, src);
        else fileCopy(this.vfs, entry.name, src);
        r.applied.push(entry.name);
        if (this.checksum.retrieve(entry.name) !== null) {
          this.checksum.update(entry.name);
          r.crcUpdated.push(entry.name);
        }
        list.shift();
        this.writeStat(list);
      }
      if (this.policy.atomicWrites) {
        // Stat first: a cut after it leaves the flag with no stat, which resumes as "done".
        if (this.vfs.exists(DOWNLOAD_STAT)) this.vfs.remove(DOWNLOAD_STAT);
        this.vfs.remove(UPDATE_FLAG);
      } else {
        // The device's order: a cut after the flag leaves /usr/.updater behind for good.
        this.vfs.remove(UPDATE_FLAG);
        this.vfs.remove(DOWNLOAD_STAT);
      }
      this.removeUpdaterDir();
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      r.error = asScriptError(e).text;
    }
    return r;
  }

  private removeUpdaterDir(): void {
    const dir = this.vfs.resolve(UPDATER_DIR);
    removeRecursive(dir.fs, dir.path);
  }

  /**
   * The stat list when applying. The device raises if it is missing (the flag stays, and every
   * boot fails the same way); hardened treats a missing stat file as "nothing left", which is
   * what a cut between the last stat rewrite and the cleanup leaves.
   */
  private statForApply(): StatEntry[] {
    if (this.policy.atomicWrites && !this.vfs.exists(DOWNLOAD_STAT)) return [];
    return this.readStat(true);
  }

  private readStat(strict = false): StatEntry[] {
    if (!this.vfs.exists(DOWNLOAD_STAT)) {
      if (strict) throw new ScriptError("OSError", "[Errno 2] ENOENT");
      return [];
    }
    const data =
      this.policy.checksumReadCap > 0
        ? this.vfs.readHead(DOWNLOAD_STAT, STAT_READ_CAP)
        : this.vfs.readFile(DOWNLOAD_STAT);
    const parsed = ujsonLoads(data);
    if (!Array.isArray(parsed)) throw new ScriptError("TypeError", "download.stat is not a list");
    return parsed.filter(
      (e): e is StatEntry => e !== null && typeof e === "object" && typeof (e as StatEntry).name === "string",
    );
  }

  private writeStat(list: readonly StatEntry[]): void {
    this.vfs.mkdirs(UPDATER_DIR);
    writeWhole(this.vfs, DOWNLOAD_STAT, encodeText(ujsonDumps(list)), this.policy.atomicWrites);
  }
}
