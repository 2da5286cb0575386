/**
 * The two boot-time restore behaviours (DESIGN.md "Module and boot").
 *
 * `faithful` reproduces the 2021 QuecPython frozen scripts (`backup_restore.py`, `checksum.py`,
 * `file_crc32.py`, `ql_fs.py`, `app_fota_updater.py`) flaws included, so a user can predict
 * what a real module does with a given flash; `hardened` is what those scripts should do. The
 * firmware package picks one (default `faithful`); tests and `sim boot --restore` override it.
 * Every difference is one field below so the code says which flaw it reproduces.
 */
import { UsageError } from "../errors.js";

export type RestoreMode = "faithful" | "hardened";

export const RESTORE_MODES: readonly RestoreMode[] = ["faithful", "hardened"];

export interface RestorePolicy {
  readonly mode: RestoreMode;
  /**
   * Bytes of `/usr/checksum.json` (and `/bak/checksum.json`) read before parsing; the rest is
   * cut off, so a longer file fails to parse and restore silently does nothing (device:
   * `fp.read(16384)`). 0 = read the whole file.
   */
  readonly checksumReadCap: number;
  /** Bytes of `/bak/backup_restore.json` read (device: `fp.read(64)`). 0 = the whole file. */
  readonly configReadCap: number;
  /**
   * Copies and rewrites go to a temporary file renamed over the target (atomic on littlefs).
   * false = the device's `ql_fs.file_copy` and `open(..., 'wt+')`: truncate, then write.
   */
  readonly atomicWrites: boolean;
  /**
   * A corrupt (unparseable) `/usr/checksum.json` falls back to `/bak/checksum.json`. false =
   * the device: only a MISSING working copy is replaced; a corrupt one aborts the restore.
   */
  readonly fallbackToBakChecksum: boolean;
  /**
   * The backup copy in `/bak/usr/...` is checked against `/bak/checksum.json` before it is
   * copied. false = the device trusts `/bak` blindly.
   */
  readonly verifyBackupCopy: boolean;
  /**
   * Names added to checksum.json (`usr_update`, `bak_update`) are lower-cased, and lookups
   * compare lower-cased names (device quirk that breaks mixed-case file names). false = exact.
   */
  readonly lowercaseNames: boolean;
  /**
   * An empty protected file has no CRC (`file_crc32.calc` returns None), so it counts as
   * damaged and is "restored" on every boot. false = an empty file whose entry is null or the
   * CRC of no bytes is intact.
   */
  readonly emptyFileAlwaysRestored: boolean;
  /** Leftover temporary files from an interrupted atomic write are removed at boot. */
  readonly cleanTemporaries: boolean;
}

export const RESTORE_POLICIES: Readonly<Record<RestoreMode, RestorePolicy>> = {
  faithful: {
    mode: "faithful",
    checksumReadCap: 16384,
    configReadCap: 64,
    atomicWrites: false,
    fallbackToBakChecksum: false,
    verifyBackupCopy: false,
    lowercaseNames: true,
    emptyFileAlwaysRestored: true,
    cleanTemporaries: false,
  },
  hardened: {
    mode: "hardened",
    checksumReadCap: 0,
    configReadCap: 0,
    atomicWrites: true,
    fallbackToBakChecksum: true,
    verifyBackupCopy: true,
    lowercaseNames: false,
    emptyFileAlwaysRestored: false,
    cleanTemporaries: true,
  },
};

export function restorePolicy(mode: RestoreMode): RestorePolicy {
  return RESTORE_POLICIES[mode];
}

export function parseRestoreMode(text: string): RestoreMode {
  if (text === "faithful" || text === "hardened") return text;
  throw new UsageError(`unknown restore mode "${text}"`, `use one of: ${RESTORE_MODES.join(", ")}`);
}

/** Suffix of the temporary file an atomic write goes through (removed at boot if left over). */
export const TEMP_SUFFIX = ".fbtmp";
