/**
 * The boot sequence the module runs at power-on and on every soft reboot (the frozen
 * `_boot.py`, quecpython-behavior.md section 1.4), and its structured report.
 *
 * 1. Mount `/usr` (`customer_fs`); a partition that does not mount is formatted and mounted
 *    again, exactly as `vfs_lfsx.c` does. The device says nothing; the report says so loudly.
 * 2. Mount `/bak` (`customer_backup_fs`) read-only. The device would format an unmountable
 *    backup partition too (leaving it empty, so restore fails); the module may not write it,
 *    so it is left as it is for diagnosis and restore is reported unavailable.
 * 3. print `mount.`; `backup_restore.main()`; then the pending app FOTA, last.
 */
import { FsError, isPowerLoss } from "../errors.js";
import type { FlashStats } from "../flash/nor-flash.js";
import type { FileSystem } from "../fs/file-system.js";
import type { RestoreResult } from "./backup-restore.js";
import { BackupRestore } from "./backup-restore.js";
import type { BoardProfile } from "./boards.js";
import { ReadOnlyFileSystem } from "./device-vfs.js";
import type { DeviceVfs } from "./device-vfs.js";
import type { FotaResult } from "./app-fota.js";
import type { AppFota } from "./app-fota.js";
import type { FsDriver, MountRequest } from "./fs-driver.js";
import type { RestoreMode } from "./restore-policy.js";
import type { RegionState } from "./securedata.js";

export type BootKind = "power-on" | "soft-reboot";

export interface MountOutcome {
  mount: string;
  partition: string;
  /** mounted as found / formatted because it did not mount / unavailable (left untouched). */
  status: "mounted" | "formatted" | "unavailable";
  /** The mount error, when it failed. */
  error?: string;
}

export interface BootReport {
  kind: BootKind;
  board: string;
  restoreMode: RestoreMode;
  /** Who chose the restore mode. */
  restoreModeSource: "override" | "firmware" | "board-default";
  fsDriver: string;
  mounts: MountOutcome[];
  /** Partitions reformatted at this boot (all their files are gone). */
  formatted: string[];
  restore: RestoreResult;
  fota: FotaResult;
  secureData: { state: RegionState; records: number } | undefined;
  /** What the device prints, line by line. */
  log: string[];
  /** Loud notes the device does not print (reformatted partitions, unavailable backup). */
  warnings: string[];
  /** Flash work done by this boot. */
  flash: Pick<FlashStats, "reads" | "bytesRead" | "programs" | "bytesProgrammed" | "erases" | "busyUs">;
}

export interface BootContext {
  board: BoardProfile;
  vfs: DeviceVfs;
  driver: FsDriver;
  usr: MountRequest;
  bak: MountRequest;
  backupRestore: BackupRestore;
  appFota: AppFota;
  print: (line: string) => void;
  warn: (line: string) => void;
}

export interface BootMounts {
  usr: FileSystem;
  bak: FileSystem | undefined;
  outcomes: MountOutcome[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Step 1 and 2: mount both partitions, formatting `/usr` when it does not mount. */
export function mountAll(ctx: BootContext): BootMounts {
  ctx.vfs.unmountAll();
  const outcomes: MountOutcome[] = [];
  let usr: FileSystem;
  try {
    usr = ctx.driver.mount(ctx.usr);
    outcomes.push({ mount: "/usr", partition: ctx.usr.partition, status: "mounted" });
  } catch (e) {
    if (isPowerLoss(e) || !(e instanceof FsError)) throw e;
    ctx.warn(
      `/usr (${ctx.usr.partition}) could not be mounted (${e.message}) and was REFORMATTED: every file in it is gone`,
    );
    ctx.driver.format(ctx.usr);
    usr = ctx.driver.mount(ctx.usr);
    outcomes.push({ mount: "/usr", partition: ctx.usr.partition, status: "formatted", error: e.message });
  }
  ctx.vfs.mount("/usr", usr);
  let bak: FileSystem | undefined;
  try {
    bak = new ReadOnlyFileSystem(ctx.driver.mount(ctx.bak));
    ctx.vfs.mount("/bak", bak);
    outcomes.push({ mount: "/bak", partition: ctx.bak.partition, status: "mounted" });
  } catch (e) {
    if (isPowerLoss(e) || !(e instanceof FsError)) throw e;
    ctx.warn(
      `/bak (${ctx.bak.partition}) could not be mounted (${e.message}); it is read-only to the module, so it ` +
        `was left as it is and no file can be restored (reflash the package to repair it)`,
    );
    outcomes.push({ mount: "/bak", partition: ctx.bak.partition, status: "unavailable", error: message(e) });
  }
  return { usr, bak, outcomes };
}

/** Steps 3: `mount.`, the restore, then the app FOTA. */
export function runBootScripts(ctx: BootContext): { restore: RestoreResult; fota: FotaResult } {
  ctx.print("mount.");
  const restore = ctx.backupRestore.main(ctx.print);
  const fota = ctx.appFota.update();
  if (fota.error !== undefined)
    ctx.warn(`app FOTA did not finish (${fota.error}); it is retried at the next boot`);
  return { restore, fota };
}

/** Why a boot was not clean (restored, unrestorable, reformatted, restore failed), or none. */
export function bootProblems(report: BootReport): string[] {
  const r = report.restore;
  const out: string[] = [];
  if (report.formatted.length > 0) out.push(`reformatted ${report.formatted.join(", ")}`);
  if (r.error !== undefined) out.push(`restore failed: ${r.error}`);
  if (r.restored.length > 0) out.push(`restored ${r.restored.join(", ")}`);
  const lost = [...r.backupMissing, ...r.backupCorrupt];
  if (lost.length > 0) out.push(`could not restore ${lost.join(", ")}`);
  return out;
}
