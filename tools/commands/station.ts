/**
 * `flashbak station`: factory flashing. Flashes every module on a set of ports in parallel
 * (each with its own progress line and result), optionally provisions SecureData per unit,
 * records every unit in a database, and can keep running, flashing each module plugged in.
 * With only --db and --export, it exports the records and prints the summary.
 */
import { readFileSync } from "node:fs";
import type { CommandBody } from "./command-body.js";
import { UsageError } from "../../firmware-sim/errors.js";
import { boardById, partitionByName } from "../../firmware-sim/module/boards.js";
import { packageInput } from "../flasher/flash-input.js";
import { planFlash } from "../flasher/flash-plan.js";
import { realTime } from "../flasher/host-time.js";
import { ExitCode } from "../exit-codes.js";
import { printJson, println, setExitCode } from "../io.js";
import { writeFileAtomic } from "../merge/files.js";
import { DownloadModeProvisioner } from "../station/download-mode-provisioner.js";
import { ReplProvisioner } from "../station/repl-provisioner.js";
import { resolvePorts } from "../station/port-sources.js";
import {
  CsvProvisionSource,
  TemplateProvisionSource,
  type ProvisionSource,
  type Provisioner,
} from "../station/provisioning.js";
import { JsonlRecordStore, openRecordStore } from "../station/record-stores.js";
import { runStation } from "../station/station.js";
import { StationView } from "../station/station-view.js";
import {
  recordsToCsv,
  summarize,
  type StationSummary,
  type UnitRecordStore,
} from "../station/unit-record.js";

interface Args {
  package?: string;
  ports?: string;
  board?: string;
  continuous: boolean;
  "max-units": number;
  before: "reset" | "no-reset";
  db?: string;
  csv?: string;
  template?: string[];
  provision: "download-mode" | "repl";
  baud: number;
  retries: number;
  export?: string;
  json?: boolean;
}

function printSummary(s: StationSummary, json: boolean | undefined): void {
  if (json) {
    printJson({ summary: s });
    return;
  }
  println(
    `Units: ${s.units}  passed: ${s.passed}  failed: ${s.failed}  throughput: ${(s.bytesPerSecond / 1024).toFixed(1)} KiB/s per unit  ${s.unitsPerHour} units/h`,
  );
  for (const [code, n] of Object.entries(s.failures)) println(`  ${code}: ${n}`);
}

const stationCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .option("package", { type: "string", describe: "Firmware package (.fbpkg) to write to every module" })
      .option("ports", {
        type: "string",
        describe:
          'Ports: "P1,P2,...", "auto" (every USB serial port), or "sim:N" (N in-process simulated modules)',
      })
      .option("board", {
        type: "string",
        describe: "Refuse the package unless it is for this board (ec600u, ec600s)",
      })
      .option("continuous", {
        type: "boolean",
        default: false,
        describe:
          "Keep running: flash each module when it is plugged in (a finished one must be unplugged first); Ctrl-C stops",
      })
      .option("max-units", {
        type: "number",
        default: 0,
        describe: "Stop after this many units (0 = no limit)",
      })
      .option("db", {
        type: "string",
        describe:
          "Unit record database: FILE.sqlite (SQLite) or FILE.jsonl (JSON lines); appended, durable per unit. Default: station-<time>.jsonl here",
      })
      .option("csv", {
        type: "string",
        describe: "Provision SecureData from this CSV (columns sd1..sd16, optional mac); see SPEC.md",
      })
      .option("template", {
        type: "string",
        array: true,
        describe:
          'Provision SecureData from rules like "sd1=SN{seq:06}" "sd13=hex:{random:32}" ({seq}, {mac}, {random:N})',
      })
      .option("provision", {
        choices: ["download-mode", "repl"] as const,
        default: "download-mode" as const,
        describe:
          "How --csv/--template values are stored: download-mode (identity = chip MAC, SecureData written through the loader) or repl (identity = IMEI, SecureData.Store over the MicroPython REPL after the reset)",
      })
      .option("baud", { type: "number", default: 921600, describe: "Baud rate after connecting, per port" })
      .option("retries", { type: "number", default: 2, describe: "Reconnect-and-continue attempts per unit" })
      .option("before", {
        choices: ["reset", "no-reset"] as const,
        default: "reset" as const,
        describe:
          "reset: enter download mode with the DTR/RTS sequence; no-reset: the fixture puts modules in download mode itself",
      })
      .option("export", {
        type: "string",
        describe: "After the run (or alone with --db), write every record to FILE.csv or FILE.json",
      })
      .check((a) => {
        if (a.package === undefined && a.export === undefined)
          throw new UsageError("give --package (to flash) or --db with --export (to report)");
        if (a.package !== undefined && a.ports === undefined) throw new UsageError("--package needs --ports");
        if (a.csv !== undefined && a.template !== undefined)
          throw new UsageError("give --csv or --template, not both");
        return true;
      })
      .example(
        "$0 station --package app.fbpkg --ports /dev/ttyUSB0,/dev/ttyUSB1 --db line1.sqlite",
        "flash two modules at once",
      )
      .example(
        "$0 station --package app.fbpkg --ports auto --continuous --db line1.sqlite",
        "flash every module as it is plugged in",
      )
      .example(
        '$0 station --package app.fbpkg --ports sim:8 --template "sd1=SN{seq:06}"',
        "8 simulated modules, serial numbers provisioned",
      )
      .example(
        "$0 station --package app.fbpkg --ports auto --provision repl --csv keys.csv --db line1.sqlite",
        "store per-unit keys with SecureData.Store over the REPL; units identified by IMEI",
      )
      .example("$0 station --db line1.sqlite --export line1.csv", "export the records and print the summary"),
  handler: async (argv) => {
    let store: UnitRecordStore | undefined;
    try {
      store = argv.db !== undefined ? await openRecordStore(argv.db) : undefined;
      if (argv.package !== undefined) {
        store ??= new JsonlRecordStore(`station-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`);
        const input = packageInput(argv.package, argv.board);
        const plan = planFlash(input.regions, { flashSize: input.flashSize });
        const ports = await resolvePorts(argv.ports!, input.board, { repl: argv.provision === "repl" });
        let provisionSource: ProvisionSource | undefined;
        const used = (await store.all()).map((r) => r.provisionRow).filter((n) => n > 0);
        if (argv.csv !== undefined)
          provisionSource = new CsvProvisionSource(readFileSync(argv.csv, "utf8"), used);
        if (argv.template !== undefined)
          provisionSource = new TemplateProvisionSource(argv.template, Math.max(0, ...used) + 1);
        let provisioner: Provisioner | undefined;
        if (provisionSource !== undefined && argv.provision === "repl") {
          provisioner = new ReplProvisioner({ chunkDelayMs: ports.sim !== undefined ? 0 : 10 });
        } else if (provisionSource !== undefined) {
          if (input.board === undefined) throw new UsageError("provisioning needs the package's board");
          provisioner = new DownloadModeProvisioner(partitionByName(boardById(input.board), "securedata"));
        }
        const view = new StationView(argv.json === true);
        const ac = new AbortController();
        const onSigint = (): void => ac.abort();
        process.once("SIGINT", onSigint);
        try {
          const records = await runStation({
            plan,
            packageSha256: input.sha256,
            source: ports.source,
            ports: ports.ports,
            continuous: argv.continuous,
            maxUnits: argv["max-units"],
            job: {
              baud: argv.baud,
              reconnects: argv.retries,
              requiredFlashSize: input.flashSize,
              resetBefore: argv.before === "reset",
            },
            provisioner,
            provisionSource,
            store,
            time: ports.sim?.timeline ?? realTime,
            signal: ac.signal,
            onEvent: (e) => view.handle(e),
          });
          view.draw(true);
          if (records.some((r) => r.result === "fail")) setExitCode(ExitCode.CHECK_FAILED);
          printSummary(summarize(records), argv.json);
          if (ports.sim !== undefined && !argv.json) println(`(simulated modules: times are virtual)`);
        } finally {
          process.removeListener("SIGINT", onSigint);
        }
      }
      if (argv.export !== undefined) {
        if (store === undefined) throw new UsageError("--export needs --db");
        const all = await store.all();
        const text = argv.export.endsWith(".json") ? JSON.stringify(all, null, 2) + "\n" : recordsToCsv(all);
        writeFileAtomic(argv.export, new TextEncoder().encode(text));
        if (argv.package === undefined) printSummary(summarize(all), argv.json);
        if (!argv.json) println(`Exported ${all.length} record(s) to ${argv.export}`);
      }
    } finally {
      await store?.close();
    }
  },
};

export default stationCommand;
