/**
 * `flashbak merge`: production firmware with backup. Builds `/usr` (customer_fs) and `/bak`
 * (customer_backup_fs) littlefs images from a project directory, with checksum.json and
 * backup_restore.json exactly as the device reads them, and swaps them into a base package.
 */
import type { CommandBody } from "./command-body.js";
import { RESTORE_MODES } from "../../firmware-sim/package/format.js";
import type { RestoreMode } from "../../firmware-sim/package/format.js";
import { Progress } from "../progress.js";
import { io, printJson, println } from "../io.js";
import { runMerge } from "../merge/run-merge.js";

interface Args {
  base: string;
  project: string;
  backup?: string[];
  out?: string;
  board?: string;
  "firmware-version"?: string;
  "restore-mode"?: string;
  timestamp?: boolean;
  json?: boolean;
}

const STEPS = ["read-project", "read-base", "plan", "build-usr", "build-bak", "write", "write-file"];

const mergeCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .option("base", {
        type: "string",
        demandOption: true,
        describe: "Base firmware package (.fbpkg) of the target board, e.g. images/ec600u.fbpkg",
      })
      .option("project", {
        type: "string",
        demandOption: true,
        describe:
          "Project directory: every file goes to /usr (same relative path). flashbak.json in it is the manifest: " +
          '{"backup": [globs], "exclude": [globs], "destinations": {src: dst}, "board", "firmwareVersion", ' +
          '"restoreMode", "name", "version"}',
      })
      .option("backup", {
        type: "string",
        array: true,
        describe:
          "Glob of project files to also store in /bak and protect in checksum.json (repeatable; adds to the " +
          'manifest\'s "backup"). * within a name, ** across directories. A glob matching nothing is an error',
      })
      .option("out", {
        alias: "o",
        type: "string",
        describe: "Output package; default <project name>.fbpkg in the current directory. Written atomically",
      })
      .option("board", {
        type: "string",
        describe: "Refuse a base package for any other board (overrides the manifest)",
      })
      .option("firmware-version", {
        type: "string",
        describe: "Firmware version recorded in the output (default: the base's)",
      })
      .option("restore-mode", {
        type: "string",
        choices: RESTORE_MODES as string[],
        describe:
          "Boot-time restore behaviour recorded in the output (default: manifest, else the base's). faithful = " +
          "the 2021 device, which reads only 16 KiB of checksum.json (~250-300 protected files) and restores empty " +
          "files at every boot, so both are refused; hardened lifts both limits",
      })
      .option("timestamp", {
        type: "boolean",
        default: false,
        describe:
          "Record the build time (SOURCE_DATE_EPOCH if set, else now); off by default so output is reproducible",
      })
      .example(
        "$0 merge --base images/ec600u.fbpkg --project images/example-project --out app.fbpkg",
        "merge as the manifest says",
      )
      .example(
        "$0 merge --base images/ec600u.fbpkg --project app --backup main.py --backup 'cfg/*.json'",
        "protect main.py and the configs",
      )
      .example("$0 merge --base images/ec600s.fbpkg --project app --json", "machine-readable summary"),
  handler: (argv) => {
    const progress = new Progress("merge", STEPS.length, { unit: "steps" });
    let done = 0;
    const r = runMerge({
      base: argv.base,
      project: argv.project,
      ...(argv.backup === undefined ? {} : { backup: argv.backup }),
      ...(argv.out === undefined ? {} : { out: argv.out }),
      ...(argv.board === undefined ? {} : { board: argv.board }),
      ...(argv["firmware-version"] === undefined ? {} : { firmwareVersion: argv["firmware-version"] }),
      ...(argv["restore-mode"] === undefined ? {} : { restoreMode: argv["restore-mode"] as RestoreMode }),
      timestamp: argv.timestamp === true,
      cwd: io().cwd,
      env: io().env,
      onStep: () => progress.update(++done),
    });
    progress.finish();
    const { result, project } = r;
    const fsUsage = result.filesystems.map((f) => ({
      partition: f.partition,
      mount: f.mount,
      files: (f.mount === "/usr" ? result.plan.usrFiles : result.plan.bakFiles).length,
      blocksUsed: f.image.blocksUsed,
      blockCount: f.image.blockCount,
      blockSize: f.image.blockSize,
    }));
    if (argv.json) {
      printJson({
        out: r.out,
        size: result.bytes.length,
        board: result.board.id,
        project: project.name,
        firmwareVersion: result.package.header.firmwareVersion,
        restoreMode: result.package.header.restoreMode,
        files: result.plan.usrFiles.map((f) => f.path),
        backedUp: result.plan.checksum.map((c) => c.name),
        filesystems: fsUsage,
      });
      return;
    }
    println(`${r.out}: ${result.bytes.length} bytes, board ${result.board.id}, project ${project.name}`);
    for (const f of fsUsage) {
      const kib = (b: number): string => `${Math.round((b * f.blockSize) / 1024)} KiB`;
      println(
        `  ${f.mount} (${f.partition}): ${f.files} files, ${kib(f.blocksUsed)} used of ${kib(f.blockCount)}`,
      );
    }
    if (result.plan.checksum.length === 0)
      println('  backup: off (no file selected; use --backup or "backup" in flashbak.json)');
    else
      println(
        `  backup: on, ${result.plan.checksum.length} protected: ${result.plan.checksum.map((c) => c.name).join(", ")}`,
      );
  },
};

export default mergeCommand;
