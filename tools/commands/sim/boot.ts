/**
 * `flashbak sim boot`: power the module on from its flash file and run the device's boot
 * (mount /usr and /bak, backup verify/restore, pending app FOTA); print the boot log exactly as
 * the device prints it, or with --json the structured boot report. The flash file is saved.
 */
import type { CommandModule } from "yargs";
import type { RestoreMode } from "../../../firmware-sim/module/restore-policy.js";
import { bootProblems } from "../../../firmware-sim/module/boot.js";
import { ExitCode } from "../../exit-codes.js";
import { eprintln, printJson, println, setExitCode } from "../../io.js";
import {
  boardOption,
  cutAfterOption,
  flashOption,
  restoreOption,
  SimSession,
} from "../../sim/sim-session.js";

interface Args {
  flash: string;
  board?: string;
  restore?: RestoreMode;
  "cut-after"?: number;
  "expect-intact"?: boolean;
  json?: boolean;
}

const bootCommand: CommandModule<object, Args> = {
  command: "boot",
  describe: "Power on the module: mount, verify and restore protected files, apply a pending FOTA",
  builder: (y) =>
    y
      .option("flash", flashOption)
      .option("board", boardOption)
      .option("restore", restoreOption)
      .option("cut-after", cutAfterOption)
      .option("expect-intact", {
        type: "boolean",
        describe:
          "Exit 1 unless the boot found everything intact: nothing restored or unrestorable, no " +
          "partition reformatted, no restore error (for scripts and CI)",
      })
      .example("$0 sim boot --flash dev.bin", "the boot log as the device prints it")
      .example(
        "$0 sim boot --flash dev.bin --expect-intact",
        "fail (exit 1) if the boot had to repair anything",
      )
      .example("$0 sim boot --flash dev.bin --restore hardened --json", "the boot report, hardened restore")
      .example("$0 sim boot --flash dev.bin --cut-after 5", "lose power during the restore; exit status 3"),
  handler: (argv) => {
    const s = new SimSession({
      flash: argv.flash,
      board: argv.board,
      restore: argv.restore,
      cutAfter: argv["cut-after"],
    });
    const report = s.mutate((m) => m.boot());
    const problems = bootProblems(report);
    if (argv["expect-intact"] && problems.length > 0) setExitCode(ExitCode.CHECK_FAILED);
    if (argv.json) {
      printJson(report);
      return;
    }
    for (const line of report.log) println(line);
    for (const w of report.warnings) eprintln(`flashbak: WARNING: ${w}`);
    const r = report.restore;
    eprintln(
      `flashbak: ${report.board} booted (${report.restoreMode} restore): ${r.checked} protected file(s) checked, ` +
        `${r.restored.length} restored, ${r.backupMissing.length + r.backupCorrupt.length} not restorable` +
        (report.fota.applied.length > 0 ? `; FOTA applied ${report.fota.applied.length} file(s)` : ""),
    );
    if (argv["expect-intact"] && problems.length > 0)
      eprintln(`flashbak: boot was not intact: ${problems.join("; ")}`);
  },
};

export default bootCommand;
