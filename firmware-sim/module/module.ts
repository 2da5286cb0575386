/**
 * The simulated QuecPython module: a board profile, its NOR flash (one `PartitionBlockDevice`
 * per partition), a virtual clock and a logger, plus the device's frozen-script services with
 * their device names (`file_crc32`, `checksum`, `backup_restore`, `app_fota`, `SecureData`) for
 * the MicroPython runtime to wire.
 *
 * `boot()` is power-on and `softReboot()` is Ctrl-D: both re-run the whole `_boot.py` sequence
 * (mounts, backup verify/restore, app FOTA). Nothing on the module may write `/bak`.
 */
import type { Clock } from "../clock.js";
import { FsError, isPowerLoss } from "../errors.js";
import type { NorFlash } from "../flash/nor-flash.js";
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import { nullLogger } from "../logger.js";
import { AppFota } from "./app-fota.js";
import { BackupRestore } from "./backup-restore.js";
import type { BoardProfile } from "./boards.js";
import type { BootContext, BootKind, BootReport } from "./boot.js";
import { mountAll, runBootScripts } from "./boot.js";
import { Checksum } from "./checksum.js";
import { DeviceVfs, ReadOnlyFileSystem } from "./device-vfs.js";
import { FileCrc32 } from "./file-crc32.js";
import { readFirmwareInfo } from "./firmware-info.js";
import { partitionAt, partitionDevice, partitionOfType } from "./flash-map.js";
import type { FsDriver, MountRequest } from "./fs-driver.js";
import type { RestoreMode, RestorePolicy } from "./restore-policy.js";
import { restorePolicy } from "./restore-policy.js";
import { SecureData } from "./securedata.js";

export interface ModuleOptions {
  /** Board profile: chip, partition map, littlefs configuration. */
  board: BoardProfile;
  /** The module's flash chip (powered on by the caller, e.g. with `boardFlash`). */
  flash: NorFlash;
  /** How littlefs partitions are mounted and formatted (littlefs, or the memory fake). */
  fsDriver: FsDriver;
  /** Virtual clock. Default: the flash's clock. */
  clock?: Clock;
  /** Diagnostics (boot lines at info, warnings at warn). Default: discarded. */
  logger?: Logger;
  /** Force a restore mode instead of the firmware's choice (tests, `sim boot --restore`). */
  restoreMode?: RestoreMode;
}

export class Module {
  readonly board: BoardProfile;
  readonly flash: NorFlash;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly vfs = new DeviceVfs();
  readonly restoreMode: RestoreMode;
  readonly restoreModeSource: BootReport["restoreModeSource"];
  readonly policy: RestorePolicy;
  /** `checksum` module. */
  readonly checksum: Checksum;
  /** `file_crc32` module. */
  readonly fileCrc32: FileCrc32;
  /** `backup_restore` module. */
  readonly backupRestore: BackupRestore;
  /** `app_fota` (staging) and `app_fota_updater` (apply). */
  readonly appFota: AppFota;
  /** Report of the last boot, once booted. */
  lastBoot: BootReport | undefined;

  private readonly driver: FsDriver;
  private readonly usrReq: MountRequest;
  private readonly bakReq: MountRequest;
  private mounted: { usr: FileSystem; bak: FileSystem | undefined } | undefined;
  private sd: SecureData | undefined;

  constructor(opts: ModuleOptions) {
    this.board = opts.board;
    this.flash = opts.flash;
    this.clock = opts.clock ?? opts.flash.clock;
    this.logger = opts.logger ?? nullLogger;
    this.driver = opts.fsDriver;
    if (opts.restoreMode !== undefined) {
      this.restoreMode = opts.restoreMode;
      this.restoreModeSource = "override";
    } else {
      const fw = readFirmwareInfo(this.flash, this.board);
      this.restoreMode = fw?.restoreMode ?? this.board.defaultRestoreMode;
      this.restoreModeSource = fw !== undefined ? "firmware" : "board-default";
    }
    this.policy = restorePolicy(this.restoreMode);
    this.checksum = new Checksum(this.vfs, this.policy);
    this.fileCrc32 = new FileCrc32(this.vfs, this.checksum);
    this.backupRestore = new BackupRestore(this.vfs, this.checksum, this.policy);
    this.appFota = new AppFota(this.vfs, this.checksum, this.policy);
    const req = (mount: string): MountRequest => {
      const p = partitionAt(this.board, mount);
      return {
        partition: p.name,
        bd: partitionDevice(this.flash, this.board, p.name),
        config: this.board.littlefs,
      };
    };
    this.usrReq = req("/usr");
    this.bakReq = req("/bak");
  }

  /** `/usr`, once booted. */
  get usr(): FileSystem {
    if (this.mounted === undefined) throw new Error("module not booted: call boot() first");
    return this.mounted.usr;
  }

  /** `/bak` (read-only), once booted; undefined when it could not be mounted. */
  get bak(): FileSystem | undefined {
    if (this.mounted === undefined) throw new Error("module not booted: call boot() first");
    return this.mounted.bak;
  }

  /**
   * The mounts as the MicroPython runtime takes them (runtime/services.ts `Mount`): `/usr`
   * read-write, `/bak` read-only. Available once booted or attached.
   */
  runtimeMounts(): Array<{ path: string; fs: FileSystem; readOnly?: boolean }> {
    const out: Array<{ path: string; fs: FileSystem; readOnly?: boolean }> = [{ path: "/usr", fs: this.usr }];
    const bak = this.bak;
    if (bak !== undefined) out.push({ path: "/bak", fs: bak, readOnly: true });
    return out;
  }

  /** The `SecureData` store on the board's raw region (mounted on first use). */
  get secureData(): SecureData {
    if (this.sd === undefined) {
      const part = partitionOfType(this.board, "securedata");
      if (part === undefined) throw new Error(`board ${this.board.id} has no securedata partition`);
      this.sd = new SecureData(partitionDevice(this.flash, this.board, part.name));
    }
    return this.sd;
  }

  /**
   * Mount `/usr` and `/bak` as a booted module has them, without running the boot scripts and
   * without formatting anything (host tools inspecting or changing a module's files).
   * Throws the mount's FsError when `/usr` holds no file system.
   */
  attach(): void {
    this.vfs.unmountAll();
    let usr: FileSystem;
    try {
      usr = this.driver.mount(this.usrReq);
    } catch (e) {
      if (isPowerLoss(e) || !(e instanceof FsError)) throw e;
      throw new FsError(e.lfs, `/usr (${this.usrReq.partition}) does not mount: ${e.message}`, {
        hint: "boot the module first (flashbak sim boot): the device formats a /usr that does not mount",
      });
    }
    this.vfs.mount("/usr", usr);
    let bak: FileSystem | undefined;
    try {
      bak = new ReadOnlyFileSystem(this.driver.mount(this.bakReq));
      this.vfs.mount("/bak", bak);
    } catch (e) {
      if (isPowerLoss(e) || !(e instanceof FsError)) throw e;
    }
    this.mounted = { usr, bak };
  }

  /** Power-on boot. */
  boot(): BootReport {
    return this.run("power-on");
  }

  /** Ctrl-D soft reboot: the same `_boot.py` again. */
  softReboot(): BootReport {
    return this.run("soft-reboot");
  }

  private run(kind: BootKind): BootReport {
    const before = this.flash.stats();
    const log: string[] = [];
    const warnings: string[] = [];
    const ctx: BootContext = {
      board: this.board,
      vfs: this.vfs,
      driver: this.driver,
      usr: this.usrReq,
      bak: this.bakReq,
      backupRestore: this.backupRestore,
      appFota: this.appFota,
      print: (line) => {
        log.push(line);
        this.logger.log("info", line, { source: "_boot.py" });
      },
      warn: (line) => {
        warnings.push(line);
        this.logger.log("warn", line, { source: "boot" });
      },
    };
    this.mounted = undefined;
    const m = mountAll(ctx);
    this.mounted = { usr: m.usr, bak: m.bak };
    const { restore, fota } = runBootScripts(ctx);
    // Re-scan SecureData at every boot: it must come through untouched, and a bad region shows.
    this.sd = undefined;
    let secureData: BootReport["secureData"];
    if (partitionOfType(this.board, "securedata") !== undefined) {
      const st = this.secureData.inspect();
      secureData = { state: st.state, records: st.records.length };
      if (st.state === "unrecognised") warnings.push(`SecureData region not recognised: ${st.reason ?? ""}`);
    }
    const after = this.flash.stats();
    const report: BootReport = {
      kind,
      board: this.board.id,
      restoreMode: this.restoreMode,
      restoreModeSource: this.restoreModeSource,
      fsDriver: this.driver.name,
      mounts: m.outcomes,
      formatted: m.outcomes.filter((o) => o.status === "formatted").map((o) => o.partition),
      restore,
      fota,
      secureData,
      log,
      warnings,
      flash: {
        reads: after.reads - before.reads,
        bytesRead: after.bytesRead - before.bytesRead,
        programs: after.programs - before.programs,
        bytesProgrammed: after.bytesProgrammed - before.bytesProgrammed,
        erases: after.erases - before.erases,
        busyUs: after.busyUs - before.busyUs,
      },
    };
    this.lastBoot = report;
    return report;
  }
}
