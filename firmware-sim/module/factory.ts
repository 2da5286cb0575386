/**
 * Factory provisioning: what flashing a merged package leaves on a module (quecpython-behavior.md
 * section 1.7). The merger puts every selected file plus `checksum.json` into `customer_fs`, and
 * the files ticked "backup" plus `checksum.json` and `backup_restore.json` into
 * `customer_backup_fs` (under `usr/...`). This writes the partitions directly, as the flasher
 * does, never through a running module; the SecureData region is left alone.
 *
 * Used by `flashbak sim create` without a package and by tests; packages go through the
 * package reader instead.
 */
import type { NorFlash } from "../flash/nor-flash.js";
import type { FileSystem } from "../fs/file-system.js";
import { mkdirs, writeFile } from "../fs/fs-util.js";
import { dirname, normalizePath } from "../fs/path.js";
import { UsageError } from "../errors.js";
import type { BoardProfile } from "./boards.js";
import { deviceCrc32, pyHex } from "./file-crc32.js";
import type { FirmwareInfo } from "./firmware-info.js";
import { writeFirmwareInfo } from "./firmware-info.js";
import { partitionAt, partitionDevice } from "./flash-map.js";
import type { FsDriver, MountRequest } from "./fs-driver.js";
import { encodeText, ujsonDumps } from "./script-support.js";

export interface FactoryFile {
  /** Device path under /usr, e.g. "/usr/main.py". */
  path: string;
  data: Uint8Array;
  /** Protected: copied to /bak and listed in checksum.json. */
  backup?: boolean;
}

export interface ProvisionOptions {
  files: readonly FactoryFile[];
  /**
   * Write `/bak/backup_restore.json` with `{"enable": 1}` (0 writes `{"enable": 0}`).
   * Default: enabled when at least one file is protected; undefined file otherwise.
   */
  restoreEnabled?: boolean;
  /** Firmware descriptor (board, restore mode, package name); default: none written. */
  firmware?: FirmwareInfo;
}

export interface ProvisionResult {
  files: number;
  protectedFiles: number;
  /** checksum.json as written, or undefined when no file is protected. */
  checksum: Array<{ name: string; crc32: string }> | undefined;
}

function writableReq(flash: NorFlash, board: BoardProfile, mount: string): MountRequest {
  const p = partitionAt(board, mount);
  return {
    partition: p.name,
    bd: partitionDevice(flash, board, p.name, { writable: true }),
    config: board.littlefs,
  };
}

function put(fs: FileSystem, path: string, data: Uint8Array): void {
  mkdirs(fs, dirname(path));
  writeFile(fs, path, data);
}

/** Format `/usr` and `/bak` and write the factory content, as flashing a merged package does. */
export function provision(
  flash: NorFlash,
  board: BoardProfile,
  driver: FsDriver,
  opts: ProvisionOptions,
): ProvisionResult {
  const usrReq = writableReq(flash, board, "/usr");
  const bakReq = writableReq(flash, board, "/bak");
  driver.format(usrReq);
  driver.format(bakReq);
  const usr = driver.mount(usrReq);
  const bak = driver.mount(bakReq);
  const list: Array<{ name: string; crc32: string }> = [];
  for (const f of opts.files) {
    const dev = normalizePath(f.path);
    if (!dev.startsWith("/usr/")) throw new UsageError(`factory file ${f.path} is not under /usr`);
    const inner = dev.slice("/usr".length);
    put(usr, inner, f.data);
    if (f.backup) {
      put(bak, dev, f.data);
      list.push({ name: dev, crc32: pyHex(deviceCrc32(f.data)) });
    }
  }
  const enabled = opts.restoreEnabled ?? list.length > 0;
  if (list.length > 0) {
    const json = encodeText(ujsonDumps(list));
    put(usr, "/checksum.json", json);
    put(bak, "/checksum.json", json);
  }
  if (opts.restoreEnabled !== undefined || list.length > 0) {
    put(bak, "/backup_restore.json", encodeText(ujsonDumps({ enable: enabled ? 1 : 0 })));
  }
  if (opts.firmware !== undefined) writeFirmwareInfo(flash, board, opts.firmware);
  return {
    files: opts.files.length,
    protectedFiles: list.length,
    checksum: list.length > 0 ? list : undefined,
  };
}
