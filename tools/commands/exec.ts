/** `flashbak exec`: run Python on a module (or the simulator) through its raw REPL. */
import { readFileSync } from "node:fs";
import type { CommandBody } from "./command-body.js";
import { FlashbakError, UsageError } from "../../firmware-sim/errors.js";
import { ExitCode } from "../exit-codes.js";
import { io, printJson, setExitCode } from "../io.js";
import { withRawRepl } from "../repl/raw-repl.js";
import { replBaudOption, replPortOption } from "../repl/port-options.js";

interface Args {
  port: string;
  baud: number;
  code?: string;
  file?: string;
  "soft-reset": boolean;
  timeout: number;
  json?: boolean;
}

const execCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .positional("code", { type: "string", describe: "Python source to run (or use --file)" })
      .option("port", replPortOption)
      .option("baud", replBaudOption)
      .option("file", { type: "string", describe: "Run this local .py file instead of CODE" })
      .option("soft-reset", {
        type: "boolean",
        default: false,
        describe: "Soft-reboot first: re-runs the boot (and backup restore) and skips main.py",
      })
      .option("timeout", {
        type: "number",
        default: 30,
        describe: "Seconds to wait for the program to finish (1..3600)",
      })
      .example('$0 exec --port /dev/ttyUSB2 "import modem; print(modem.getDevImei())"', "read the IMEI")
      .example("$0 exec --port sim --file selftest.py", "run a local script on the simulator")
      .example('$0 exec --port COM6 --json "print(1)"', '{"stdout":"1\\n","error":null}'),
  handler: async (argv) => {
    if ((argv.code === undefined) === (argv.file === undefined))
      throw new UsageError("give either CODE or --file, not both or neither");
    if (!(argv.timeout >= 1 && argv.timeout <= 3600))
      throw new UsageError("--timeout must be 1..3600 seconds");
    const code = argv.file !== undefined ? readFileSync(argv.file, "utf8") : (argv.code as string);
    const r = await withRawRepl(
      {
        port: argv.port,
        baud: argv.baud,
        softReset: argv["soft-reset"],
        repl: { execTimeoutMs: argv.timeout * 1000 },
      },
      (repl) => repl.exec(code),
    );
    const stdout = new TextDecoder().decode(r.stdout).replace(/\r\n/g, "\n");
    if (argv.json) {
      printJson({ stdout, error: r.stderr === "" ? null : r.stderr.replace(/\r\n/g, "\n") });
      if (r.stderr !== "") setExitCode(ExitCode.CHECK_FAILED);
      return;
    }
    io().stdout.write(stdout);
    if (r.stderr !== "") {
      throw new FlashbakError("PYTHON_EXCEPTION", r.stderr.replace(/\r\n/g, "\n").trimEnd(), {
        hint: "the program raised an exception on the module (traceback above)",
      });
    }
  },
};

export default execCommand;
