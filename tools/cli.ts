/**
 * The `flashbak` command line. Commands are thin yargs modules (tools/commands/*.ts) that
 * parse arguments and call a library function; errors are thrown as typed errors and turned
 * into exit codes and messages here, and only here (see exit-codes.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import type { CommandModule } from "yargs";
import { commandNamed, commandTable } from "./commands/index.js";
import { ExitCode, mapError } from "./exit-codes.js";
import { eprintln, io, printJson, takeExitCode } from "./io.js";
import { setSimModuleFactory } from "./serial/open-link.js";

/** The package version, from the nearest package.json above this module (source or dist). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "package.json");
    if (existsSync(p)) return (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version;
    dir = dirname(dir);
  }
  return "unknown";
}

/** A parse failure (unknown option, missing argument): stops the command before it runs. */
class ParseFailure extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/**
 * The yargs modules for this run: the named command loaded from its module, every other one
 * from the command table alone (enough for the command list, suggestions and `--help`).
 */
async function commandModules(argv: string[]): Promise<CommandModule[]> {
  // options come after the command (only --json, --help and --version are global, and take no value)
  const first = argv.find((a) => !a.startsWith("-"));
  const wanted = first === undefined ? undefined : commandNamed(first);
  return Promise.all(
    commandTable.map(async (entry): Promise<CommandModule> => {
      const named = { command: entry.command, describe: entry.describe };
      if (entry === wanted) return { ...(await entry.load()).default, ...named };
      return {
        ...named,
        handler: () => {
          throw new Error(`internal: command "${entry.command}" ran without its module`);
        },
      };
    }),
  );
}

/**
 * Stop yargs rendering the whole help text after every command's handler. yargs 18 keeps it
 * (`usage.cacheHelpMessage()` in its command.js) for a `showHelp()` made after the command; we
 * make none (help for a parse failure is shown before any handler runs, from a fresh render),
 * and laying out a command's options and examples cold took 4-7 ms of a 0.37 s
 * `flashbak fs mkfs` (2-core CI-class machine). yargs has no option for it, so this reaches
 * its internal usage object; false when that is not there (a yargs upgrade: the CLI works as
 * before, only slower, and a test says so).
 */
export function skipHelpCache(parser: object): boolean {
  type Usage = { cacheHelpMessage?: unknown };
  const internal = (
    parser as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }
  ).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage === undefined || typeof usage.cacheHelpMessage !== "function") return false;
  usage.cacheHelpMessage = () => {};
  return true;
}

export async function main(argv: string[]): Promise<number> {
  // "--port sim:FILE.bin" is the full flash-backed module; its code loads when such a port opens
  setSimModuleFactory(async (name, baud) => (await import("./sim/sim-port.js")).simModule(name, baud));
  const json = argv.includes("--json");
  takeExitCode();
  let parser = yargs(argv)
    .scriptName("flashbak")
    .usage(
      "flashbak: firmware simulator and flashing toolchain for MicroPython cellular modules\n\n" +
        "Usage: $0 <command> [options]",
    )
    .option("json", { type: "boolean", describe: "Machine-readable output (errors too)", global: true })
    .version(packageVersion())
    .alias("h", "help")
    .strict()
    .demandCommand(1, "Name a command: see the list above.")
    .recommendCommands()
    .wrap(Math.min(110, io().stdout.columns ?? 100))
    .epilogue(
      "Exit codes: 0 ok, 1 check failed, 2 bad usage or input, 3 power cut (--cut-after), 4 not found,\n" +
        "5 corrupt or incompatible data, 6 no space, 7 device or I/O failure, 70 internal error.\n" +
        "Every command has --help with examples.",
    )
    .fail((msg, err, y) => {
      if (err) throw err;
      // Throwing here is what stops yargs from running the handler without its arguments.
      let help = "";
      y.showHelp((s: string) => {
        help = s;
      });
      throw new ParseFailure(msg, help);
    })
    .exitProcess(false);
  skipHelpCache(parser);
  for (const c of await commandModules(argv)) parser = parser.command(c);

  try {
    let helpText = "";
    await parser.parseAsync(argv, {}, (_err, _argv, output) => {
      helpText = output;
    });
    if (helpText) io().stdout.write(helpText + "\n");
    return takeExitCode() ?? ExitCode.OK;
  } catch (e) {
    if (e instanceof ParseFailure) {
      if (json) printJson({ error: "USAGE", message: e.message });
      else {
        if (e.help) eprintln(e.help);
        eprintln(`\nflashbak: ${e.message}`);
      }
      return ExitCode.USAGE;
    }
    const mapped = mapError(e);
    if (json) printJson(mapped.json);
    else eprintln(mapped.text);
    return mapped.exitCode;
  }
}
