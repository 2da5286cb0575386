/**
 * `flashbak sim fota`: app FOTA staging on the module, as `app_fota.download()` and
 * `set_update_flag()` leave it (the simulator has no network: the bytes come from a file).
 * The next `flashbak sim boot` applies it.
 */
import type { CommandModule } from "yargs";
import { UsageError } from "../../../firmware-sim/errors.js";
import { readInput } from "../../merge/files.js";
import { printJson, println } from "../../io.js";
import { boardOption, cutAfterOption, flashOption, SimSession } from "../../sim/sim-session.js";

interface Args {
  flash: string;
  action: string;
  target?: string;
  file?: string;
  url?: string;
  flag?: boolean;
  board?: string;
  "cut-after"?: number;
  json?: boolean;
}

const fotaCommand: CommandModule<object, Args> = {
  command: "fota <action> [target]",
  describe: "Stage an app FOTA update (/usr/.updater, download.stat, update.flag) or show what is staged",
  builder: (y) =>
    y
      .positional("action", {
        type: "string",
        choices: ["stage", "status"],
        demandOption: true,
        describe: "stage: store TARGET's new contents and set the update flag; status: list staged files",
      })
      .positional("target", {
        type: "string",
        describe: "stage: device path the update replaces, e.g. /usr/main.py",
      })
      .option("file", { type: "string", describe: "stage: host file with the new contents" })
      .option("url", {
        type: "string",
        describe: "stage: URL recorded in download.stat (default file://TARGET)",
      })
      .option("flag", {
        type: "boolean",
        default: true,
        describe: "stage: also set update.flag so the next boot applies it (--no-flag to stage only)",
      })
      .option("flash", flashOption)
      .option("board", boardOption)
      .option("cut-after", cutAfterOption)
      .check((a) => {
        if (a.action === "stage" && (a.target === undefined || a.file === undefined)) {
          throw new UsageError("stage needs a TARGET path and --file");
        }
        return true;
      })
      .example("$0 sim fota --flash dev.bin stage /usr/main.py --file main_v2.py", "then: flashbak sim boot")
      .example("$0 sim fota --flash dev.bin status", "staged files and whether the flag is set"),
  handler: (argv) => {
    const s = new SimSession({ flash: argv.flash, board: argv.board, cutAfter: argv["cut-after"] });
    if (argv.action === "status") {
      const st = s.inspect((m) => {
        m.attach();
        return { flag: m.vfs.exists("/usr/.updater/update.flag"), staged: m.appFota.pending() };
      });
      if (argv.json) printJson(st);
      else {
        println(`update flag: ${st.flag ? "set (applied at the next boot)" : "not set"}`);
        for (const e of st.staged) println(`  ${e.name}  ${e.total_size} bytes  from ${e.url}`);
      }
      return;
    }
    if (argv.action !== "stage")
      throw new UsageError(`unknown fota action "${argv.action}"`, "use stage or status");
    const data = readInput(argv.file!, "update file");
    s.mutate((m) => {
      m.attach();
      m.appFota.stage(argv.target!, data, argv.url);
      if (argv.flag) m.appFota.set_update_flag();
    });
    if (argv.json) printJson({ staged: argv.target, bytes: data.length, flag: argv.flag === true });
    else
      println(`staged ${argv.target} (${data.length} bytes)${argv.flag ? "; applied at the next boot" : ""}`);
  },
};

export default fotaCommand;
