/**
 * `flashbak sim serve [PACKAGE]`: power a simulated module on behind a pseudo-terminal that
 * picocom, screen, miniterm, mpremote and flashbak's own tools open like a real REPL port, with
 * a control socket for power cuts, resets, download mode and line faults. Runs until Ctrl-C.
 */
import { formatMac, macFromSeed } from "../../../firmware-sim/download/esp32-registers.js";
import type { CommandModule } from "yargs";
import type { RestoreMode } from "../../../firmware-sim/module/restore-policy.js";
import { eprintln, printJson, println } from "../../io.js";
import { boardOption, restoreOption } from "../../sim/sim-session.js";
import { serveModule } from "../../sim/serve-module.js";

interface Args {
  package?: string;
  flash?: string;
  board?: string;
  baud: number;
  restore?: RestoreMode;
  download?: boolean;
  link?: string;
  control?: string;
  unit: number;
  imei?: string;
  json?: boolean;
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (sig: string): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(sig);
    };
    const onInt = (): void => stop("SIGINT");
    const onTerm = (): void => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

const serveCommand: CommandModule<object, Args> = {
  command: "serve [package]",
  describe: "Serve a simulated module on a pseudo-terminal (REPL, download mode, control socket)",
  builder: (y) =>
    y
      .positional("package", {
        type: "string",
        describe: "Firmware package (.fbpkg) to flash when the flash file does not exist yet",
      })
      .option("flash", {
        type: "string",
        describe:
          "Flash file holding the module's state across runs: used as it is when it exists, " +
          "created from PACKAGE (or blank for --board) when it does not. Default: a temporary file",
      })
      .option("board", boardOption)
      .option("baud", {
        type: "number",
        default: 115200,
        describe: "UART speed in bits/s (8N1, paced in real time)",
      })
      .option("restore", restoreOption)
      .option("download", {
        type: "boolean",
        describe: "Start in the ROM download mode (for esptool/flashbak flash)",
      })
      .option("link", {
        type: "string",
        describe: "Also create this symlink to the pseudo-terminal (a stable name)",
      })
      .option("control", {
        type: "string",
        describe: "Control socket path (default: a new path in the temp dir)",
      })
      .option("unit", {
        type: "number",
        default: 1,
        describe:
          "Unit number (1..65535): the eFuse MAC 24:0a:c4:00:<unit> and, without --imei, the IMEI " +
          "(unit 1: 861190051234562). Give each module served at once its own, as a station tells units apart by them",
      })
      .option("imei", { type: "string", describe: "IMEI the module reports (default: from --unit)" })
      .example(
        "$0 sim serve images/example.fbpkg --flash dev.bin",
        "serve the example project; state kept in dev.bin",
      )
      .example("$0 sim serve --board ec600u --link /tmp/ttyQ", "a blank EC600U module on /tmp/ttyQ")
      .example(
        "$0 sim serve images/example.fbpkg --download",
        "start in download mode for flashbak flash or esptool",
      )
      .example(
        "$0 sim serve --board ec600u --download --unit 2 --link /tmp/ttyQ2",
        "a second module for a station run, with its own MAC and IMEI",
      )
      .epilogue(
        "Control socket (one command per line, see firmware-sim/SPEC.md 'Control channel'):\n" +
          "  status | power-cycle | reset | download | cut-power next | cut-power at <n> |\n" +
          "  flip-bits rx|tx <n> | drop-bytes rx|tx <n> | disconnect | reconnect\n" +
          "e.g. printf 'cut-power next\\n' | socat - UNIX-CONNECT:<socket>",
      ),
  handler: async (argv) => {
    const served = await serveModule({
      packagePath: argv.package,
      flash: argv.flash,
      board: argv.board,
      baud: argv.baud,
      restore: argv.restore,
      download: argv.download,
      link: argv.link,
      control: argv.control,
      unit: argv.unit,
      imei: argv.imei,
      onBoot: (r) => {
        for (const w of r.warnings) eprintln(`flashbak: WARNING: ${w}`);
        if (r.restore.restored.length > 0)
          eprintln(`flashbak: boot restored ${r.restore.restored.join(", ")}`);
      },
    });
    const port = argv.link ?? served.handle.path;
    const mac = formatMac(macFromSeed(argv.unit));
    const imei = served.device.services.identity.imei;
    if (argv.json) {
      printJson({
        port,
        pty: served.handle.path,
        control: served.controlSocket,
        flash: served.flashPath,
        flashCreated: served.flashCreated,
        board: served.board,
        baud: argv.baud,
        unit: argv.unit,
        mac,
        imei,
      });
    } else {
      println(`flashbak: simulated ${served.board} module on ${port} (${argv.baud} baud)`);
      println(
        `  flash file: ${served.flashPath}` +
          (served.temporaryFlash ? " (temporary: pass --flash FILE to keep the module's state)" : "") +
          (served.flashCreated ? " (new)" : ""),
      );
      println(`  unit ${argv.unit}:     MAC ${mac} (download mode), IMEI ${imei}`);
      println(
        `  control:    ${served.controlSocket}   (printf 'status\\n' | socat - UNIX-CONNECT:${served.controlSocket})`,
      );
      println("  connect with one of:");
      println(`    npx flashbak repl --port ${port}`);
      println(`    mpremote connect ${port} fs ls :/usr`);
      println(`    picocom -b ${argv.baud} ${port}      (Ctrl-A Ctrl-X quits picocom)`);
      println("Ctrl-C stops the module (the flash file is saved).");
    }
    await untilStopped();
    await served.close();
  },
};

export default serveCommand;
