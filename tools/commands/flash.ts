/**
 * `flashbak flash`: write a firmware package (or a flat binary) to one module over its serial
 * port through the ESP ROM loader protocol: connect, fast baud, compressed writes, skip what
 * is already identical, verify every segment by MD5, reset into the firmware.
 */
import type { CommandBody } from "./command-body.js";
import { UsageError } from "../../firmware-sim/errors.js";
import { bootCheck, serialBootCheck, type BootReport } from "../flasher/boot-check.js";
import { flashModule, type FlashResult } from "../flasher/flash-job.js";
import { binaryInput, packageInput, parseSize, type FlashInput } from "../flasher/flash-input.js";
import { planFlash } from "../flasher/flash-plan.js";
import { ExitCode } from "../exit-codes.js";
import { eprintln, interactive, printJson, println, setExitCode } from "../io.js";
import { Progress } from "../progress.js";
import { resolvePorts } from "../station/port-sources.js";

interface Args {
  package?: string;
  port: string;
  bin?: string;
  offset?: string;
  board?: string;
  baud: number;
  reset: boolean;
  before: "reset" | "no-reset";
  skip: boolean;
  compress: boolean;
  retries: number;
  "segment-size": string;
  "check-boot": boolean;
  verbose: boolean;
  json?: boolean;
}

const flashCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .positional("package", { type: "string", describe: "Firmware package (.fbpkg) to write" })
      .option("port", {
        type: "string",
        demandOption: true,
        describe:
          'Serial port of the module (e.g. /dev/ttyUSB0), or "sim" for an in-process simulated module',
      })
      .option("bin", {
        type: "string",
        describe: "Write this flat binary instead of a package (with --offset)",
      })
      .option("offset", {
        type: "string",
        describe: "Flash offset of --bin, bytes (0x10000, 65536, 64K); sector aligned",
      })
      .option("board", {
        type: "string",
        describe:
          "Board the module is (ec600u, ec600s): refuses a package for another board; with --bin, keeps its preserved partitions untouched",
      })
      .option("baud", {
        type: "number",
        default: 921600,
        describe: "Baud rate after connecting (115200..3000000); 0 = stay at 115200",
      })
      .option("reset", {
        type: "boolean",
        default: true,
        describe: "Reset into the firmware when done (--no-reset leaves it in download mode)",
      })
      .option("before", {
        choices: ["reset", "no-reset"] as const,
        default: "reset" as const,
        describe:
          "reset: enter download mode with the DTR/RTS sequence; no-reset: the module is already in download mode",
      })
      .option("skip", {
        type: "boolean",
        default: true,
        describe: "Skip segments whose MD5 already matches (--no-skip rewrites everything)",
      })
      .option("compress", {
        type: "boolean",
        default: true,
        describe: "Send compressed data (--no-compress sends it raw)",
      })
      .option("retries", {
        type: "number",
        default: 2,
        describe: "Reconnect-and-continue attempts after a timeout or a failed verify (0..10)",
      })
      .option("segment-size", {
        type: "string",
        default: "64K",
        describe: "Unit of skip, verify and resume (multiple of 4K)",
      })
      .option("check-boot", {
        type: "boolean",
        default: false,
        describe: "After the reset, read the boot report over the REPL",
      })
      .option("verbose", {
        type: "boolean",
        default: false,
        describe: "Print loader steps (connect, baud change, reconnects)",
      })
      .check((a) => {
        if ((a.package === undefined) === (a.bin === undefined))
          throw new UsageError("give a PACKAGE or --bin FILE (not both)");
        if (a.bin !== undefined && a.offset === undefined) throw new UsageError("--bin needs --offset");
        if (a.retries < 0 || a.retries > 10) throw new UsageError("--retries must be 0..10");
        return true;
      })
      .example(
        "$0 flash --port /dev/ttyUSB0 app.fbpkg",
        "flash a package at 921600 baud, verify, reset into the firmware",
      )
      .example(
        "$0 flash --port /dev/ttyUSB0 --bin fw.bin --offset 0x10000 --board ec600u",
        "flash a flat binary, sparing SecureData",
      )
      .example(
        "$0 flash --port sim images/example.fbpkg",
        "flash a simulated module; prints what it would take (virtual time)",
      )
      .example(
        "$0 flash --port /dev/ttyUSB0 app.fbpkg --no-reset --json",
        "stay in download mode; print the result as JSON",
      ),
  handler: async (argv) => {
    const input: FlashInput =
      argv.package !== undefined
        ? packageInput(argv.package, argv.board)
        : binaryInput(argv.bin!, parseSize(argv.offset!, "--offset"), argv.board);
    // The REPL client may register a richer check; the serial one needs nothing but the port.
    const check = argv["check-boot"] ? (bootCheck() ?? serialBootCheck) : undefined;
    if (check !== undefined && !argv.reset)
      throw new UsageError("--check-boot needs the reset into the firmware (drop --no-reset)");
    const plan = planFlash(input.regions, {
      flashSize: input.flashSize,
      segmentSize: parseSize(argv["segment-size"], "--segment-size"),
    });
    const ports = await resolvePorts(argv.port, input.board, { repl: check !== undefined });
    const name = ports.ports?.[0] ?? argv.port;
    const { link, time } = await ports.source.open(name);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once("SIGINT", onSigint);
    const bar = argv.json
      ? undefined
      : new Progress(name, plan.totalBytes, { unit: "B", lines: !interactive() });
    let result: FlashResult;
    let boot: BootReport | undefined;
    try {
      result = await flashModule(link, plan, {
        baud: argv.baud,
        resetBefore: argv.before === "reset",
        resetAfter: argv.reset,
        skipUnchanged: argv.skip,
        compress: argv.compress,
        reconnects: argv.retries,
        requiredFlashSize: input.flashSize,
        time,
        signal: ac.signal,
        onProgress: (p) => bar?.update(p.done),
        onLog: argv.verbose && !argv.json ? (l) => eprintln(l) : undefined,
      });
      bar?.finish();
      if (check !== undefined) boot = await check(link, time);
    } finally {
      process.removeListener("SIGINT", onSigint);
      await link.close();
    }
    if (boot !== undefined && !boot.ok) setExitCode(ExitCode.CHECK_FAILED);
    const simulated = ports.sim !== undefined;
    if (argv.json) {
      printJson({ input: input.label, sha256: input.sha256, simulatedTime: simulated, ...result, boot });
      return;
    }
    const secs = result.durationMs / 1000;
    const kbits = secs > 0 ? ((result.totalBytes * 8) / 1000 / secs).toFixed(1) : "-";
    println(
      `${name}: ${result.identity.chip} MAC ${result.identity.mac}, flash ${result.identity.flashSize >> 20} MiB, ${result.baud} baud`,
    );
    println(
      `Wrote ${result.writtenBytes} bytes (${result.sentBytes} sent), skipped ${result.skippedBytes} unchanged, ` +
        `in ${secs.toFixed(2)} s${simulated ? " of simulated time" : ""} (${kbits} kbit/s effective)`,
    );
    for (const p of plan.preserved)
      println(`Preserved ${p.name} at 0x${p.offset.toString(16)} (${p.size} bytes), not touched`);
    println(
      `Verified ${result.segmentsWritten} written segment(s) by MD5${result.reconnects ? `, after ${result.reconnects} reconnect(s)` : ""}`,
    );
    println(
      result.reset
        ? "Reset into the firmware"
        : argv.reset
          ? "Still in download mode: the reset lines do not reach the module; reset or power-cycle it by hand"
          : "Left in download mode (--no-reset)",
    );
    if (boot !== undefined) println(`Boot: ${boot.summary}`);
  },
};

export default flashCommand;
