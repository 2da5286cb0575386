/**
 * Every top-level command: its yargs command string, its one-line description and how to load
 * its module (tools/commands/<name>.ts, a `CommandBody`). Keep this list sorted by command name.
 *
 * The CLI registers the command being run from its module and every other one from this table
 * alone, so start-up loads one command's code (and `--help` none): each module pulls in its
 * whole library (littlefs, the module simulator, the MicroPython runtime, serialport...).
 */
import type { CommandBody } from "./command-body.js";

export interface CommandEntry {
  /** The yargs command string: name, then positionals ("fs <command>", "exec [code]"). */
  command: string;
  describe: string;
  load(): Promise<{ default: CommandBody }>;
}

export const commandTable: readonly CommandEntry[] = [
  {
    command: "chips",
    describe: "List the simulated NOR flash chips (size, erase units, timings, endurance)",
    load: () => import("./chips.js"),
  },
  {
    command: "device <command>",
    describe: "Files and SecureData on a live module over its REPL port (fs, securedata)",
    load: () => import("./device.js"),
  },
  {
    command: "exec [code]",
    describe: "Run Python code on a module through its raw REPL and print what it prints",
    load: () => import("./exec.js"),
  },
  {
    command: "export <package>",
    describe:
      "Write the whole flash of a firmware package as one flat binary (gaps and SecureData erased, 0xFF)",
    load: () => import("./export.js"),
  },
  {
    command: "flash [package]",
    describe: "Write a firmware package (or a flat binary) to a module in download mode, verified by MD5",
    load: () => import("./flash.js"),
  },
  {
    command: "fs <command>",
    describe: "littlefs image files: mkfs, ls, cat, get, put, rm, mv, mkdir, info, check, format",
    load: () => import("./fs.js"),
  },
  {
    command: "inspect <package>",
    describe:
      "Show a firmware package: partitions, versions, /usr and /bak files with CRCs, backup and checksum state",
    load: () => import("./inspect.js"),
  },
  {
    command: "merge",
    describe:
      "Merge a project into a base firmware package: new /usr and /bak littlefs images (replacing the base's) " +
      "with checksum.json and backup_restore.json as the device reads them",
    load: () => import("./merge.js"),
  },
  {
    command: "ports",
    describe: "List serial ports; Quectel modules (USB vendor 2C7C) and their REPL port are marked",
    load: () => import("./ports.js"),
  },
  {
    command: "repl",
    describe: "Interactive terminal on a module's REPL (raw keys pass through; Ctrl-] exits)",
    load: () => import("./repl.js"),
  },
  {
    command: "sim <command>",
    describe: "Simulated module: boards, flash files, boot-time restore, files, SecureData, FOTA",
    load: () => import("./sim.js"),
  },
  {
    command: "station",
    describe: "Factory flashing: flash and provision many modules in parallel, one record per unit",
    load: () => import("./station.js"),
  },
  {
    command: "verify <package>",
    describe:
      "Verify every checksum of a firmware package and its checksum.json files (exit 0 only if all hold)",
    load: () => import("./verify.js"),
  },
];

/** The entry named by the first word of its command string. */
export function commandNamed(name: string): CommandEntry | undefined {
  return commandTable.find((c) => c.command.split(" ")[0] === name);
}
