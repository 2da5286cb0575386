/** Shared fixtures for the module tests: a provisioned board over any file-system driver. */
import { boardById } from "../../firmware-sim/module/boards.js";
import type { FsDriver } from "../../firmware-sim/module/fs-driver.js";
import { LittleFsDriver, MemoryFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import type { FileSystem } from "../../firmware-sim/fs/file-system.js";
import type { FactoryFile } from "../../firmware-sim/module/factory.js";
import { provision } from "../../firmware-sim/module/factory.js";
import { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export const board = boardById("ec600u");

/** Three protected files (one in a sub-directory) and one unprotected. */
export function sampleFiles(): FactoryFile[] {
  return [
    { path: "/usr/main.py", data: enc("print('factory main')\n"), backup: true },
    { path: "/usr/cfg/app.json", data: enc('{"level": 1}'), backup: true },
    { path: "/usr/lib/util.py", data: enc("def f():\n    return 1\n".repeat(300)), backup: true },
    { path: "/usr/notes.txt", data: enc("not protected"), backup: false },
  ];
}

export interface Rig<D extends FsDriver = FsDriver> {
  flash: NorFlash;
  driver: D;
  module(mode?: RestoreMode): Module;
}

/** A provisioned ec600u over the memory driver (no power cuts possible). */
export function memoryRig(files: FactoryFile[] = sampleFiles()): Rig<MemoryFsDriver> {
  const flash = boardFlash(board);
  const driver = new MemoryFsDriver();
  provision(flash, board, driver, { files });
  return {
    flash,
    driver,
    module: (mode) => new Module({ board, flash, fsDriver: driver, restoreMode: mode }),
  };
}

/** The backup partition's file system, writable (as the merger sees it). */
export function writableBak(rig: Rig): FileSystem {
  return rig.driver.mount({
    partition: "customer_backup_fs",
    bd: partitionDevice(rig.flash, board, "customer_backup_fs", { writable: true }),
    config: board.littlefs,
  });
}

/** A provisioned ec600u on littlefs over the NOR model (power cuts reach the file system). */
export function littlefsRig(files: FactoryFile[] = sampleFiles()): Rig<LittleFsDriver> {
  const flash = boardFlash(board);
  const driver = new LittleFsDriver();
  provision(flash, board, driver, { files });
  return {
    flash,
    driver,
    module: (mode) => new Module({ board, flash, fsDriver: driver, restoreMode: mode }),
  };
}
