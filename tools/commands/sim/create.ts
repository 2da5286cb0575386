/**
 * `flashbak sim create`: make a module's flash file, from a firmware package (the board comes
 * from the package) or from a bare board profile (empty /usr and /bak).
 */
import type { CommandModule } from "yargs";
import { UsageError } from "../../../firmware-sim/errors.js";
import { boardById } from "../../../firmware-sim/module/boards.js";
import type { RestoreMode } from "../../../firmware-sim/module/restore-policy.js";
import { printJson, println } from "../../io.js";
import { createFlash } from "../../sim/create-flash.js";
import { cutAfterOption } from "../../sim/sim-session.js";
import { RESTORE_MODES } from "../../../firmware-sim/module/restore-policy.js";
import { boards } from "../../../firmware-sim/module/boards.js";

interface Args {
  flash: string;
  board?: string;
  package?: string;
  "restore-mode"?: RestoreMode;
  reflash?: boolean;
  erase?: boolean;
  "cut-after"?: number;
  json?: boolean;
}

const createCommand: CommandModule<object, Args> = {
  command: "create",
  describe: "Create a module's flash file from a firmware package (or a bare board), or reflash one",
  builder: (y) =>
    y
      .option("flash", {
        type: "string",
        demandOption: true,
        describe: "Flash file to write (the raw chip image); written to a temporary file and renamed",
      })
      .option("package", {
        type: "string",
        describe: "Firmware package (.fbpkg) to flash; the board comes from the package",
      })
      .option("board", {
        type: "string",
        choices: Object.keys(boards),
        describe:
          "Board profile for a bare module (formatted, empty /usr and /bak, no backup) when no --package",
      })
      .option("restore-mode", {
        type: "string",
        choices: [...RESTORE_MODES],
        describe: "With --board: the restore mode the bare firmware chooses (default: the board's, faithful)",
      })
      .option("reflash", {
        type: "boolean",
        describe:
          "The flash file exists: flash the package over it, keeping the partitions preserved on flash " +
          "(SecureData), as a real reflash does",
      })
      .option("erase", { type: "boolean", describe: "The flash file exists: start again from a blank chip" })
      .option("cut-after", cutAfterOption)
      .conflicts("package", "board")
      .conflicts("reflash", "erase")
      .check((a) => {
        if (a.package === undefined && a.board === undefined)
          throw new UsageError("give --package PKG or --board B");
        if (a["restore-mode"] !== undefined && a.package !== undefined) {
          throw new UsageError("--restore-mode is for --board; a package carries its own restore mode");
        }
        return true;
      })
      .example(
        "$0 sim create --package app.fbpkg --flash dev.bin",
        "a module with the package's /usr and /bak",
      )
      .example("$0 sim create --board ec600u --flash blank.bin", "a bare EC600U (empty file systems)")
      .example("$0 sim create --package v2.fbpkg --flash dev.bin --reflash", "reflash; SecureData survives")
      .example(
        "$0 sim create --package app.fbpkg --flash dev.bin --erase --cut-after 3",
        "a flash torn mid-flash",
      ),
  handler: (argv) => {
    const result = createFlash({
      flash: argv.flash,
      packagePath: argv.package,
      board: argv.board === undefined ? undefined : boardById(argv.board),
      restoreMode: argv["restore-mode"],
      existing: argv.reflash ? "reflash" : argv.erase ? "erase" : "refuse",
      cutAfter: argv["cut-after"],
    });
    if (argv.json) {
      printJson(result);
      return;
    }
    println(`${result.flash}: ${result.board} flash ${result.mode === "reflash" ? "reflashed" : "created"}`);
    for (const p of result.written) println(`  wrote ${p.name.padEnd(20)} ${p.imageBytes} bytes`);
    for (const p of result.preserved) println(`  kept  ${p.padEnd(20)} (preserved on flash)`);
    println(`  restore mode: ${result.restoreMode}; ${result.flashOps} flash write operations`);
  },
};

export default createCommand;
