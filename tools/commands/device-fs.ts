/** `flashbak device fs`: list, read, write, remove and sync files on a live module. */
import { renameSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { CommandModule } from "yargs";
import { UsageError } from "../../firmware-sim/errors.js";
import { io, printJson, println } from "../io.js";
import { Progress } from "../progress.js";
import { DeviceFs } from "../repl/device-fs.js";
import { withRawRepl } from "../repl/raw-repl.js";
import { syncDir } from "../repl/sync.js";
import { replBaudOption, replPortOption } from "../repl/port-options.js";

const ACTIONS = ["ls", "cat", "get", "put", "rm", "mkdir", "sync"] as const;

interface Args {
  action: (typeof ACTIONS)[number];
  paths?: string[];
  port: string;
  baud: number;
  checksum: boolean;
  compress: boolean;
  "dry-run": boolean;
  json?: boolean;
}

function need(paths: string[], n: number, usage: string): string[] {
  if (paths.length !== n) throw new UsageError(`expected: ${usage}`);
  return paths;
}

const deviceFsCommand: CommandModule<object, Args> = {
  command: "fs <action> [paths..]",
  describe: "Files on a live module: ls, cat, get, put, rm, mkdir, sync (verified, atomic writes)",
  builder: (y) =>
    y
      .positional("action", { choices: ACTIONS, describe: "What to do", demandOption: true })
      .positional("paths", {
        type: "string",
        array: true,
        describe:
          "ls [REMOTE]; cat REMOTE; get REMOTE [LOCAL]; put LOCAL REMOTE; rm REMOTE; mkdir REMOTE; sync LOCALDIR [REMOTEDIR]",
      })
      .option("port", replPortOption)
      .option("baud", replBaudOption)
      .option("checksum", {
        type: "boolean",
        default: true,
        describe:
          "After put/sync, update the CRC in /usr/checksum.json for files it protects (--no-checksum skips)",
      })
      .option("compress", {
        type: "boolean",
        default: true,
        describe: "Deflate data when the module can inflate it (--no-compress: base64 only)",
      })
      .option("dry-run", {
        type: "boolean",
        default: false,
        describe: "sync: only report what would be sent",
      })
      .example("$0 device fs --port /dev/ttyUSB2 ls /usr", "list /usr")
      .example(
        "$0 device fs --port COM6 put main.py /usr/main.py",
        "upload, verify by CRC, rename into place, fix checksum.json",
      )
      .example("$0 device fs --port COM6 sync ./app /usr", "send only the files whose CRC differs")
      .example("$0 device fs --port sim get /usr/main.py main.py", "download a file"),
  handler: async (argv) => {
    const paths = argv.paths ?? [];
    await withRawRepl({ port: argv.port, baud: argv.baud }, async (repl) => {
      const dev = new DeviceFs(repl);
      switch (argv.action) {
        case "ls": {
          const [dir = "/usr"] = paths;
          const list = await dev.ls(dir);
          if (argv.json) printJson(list);
          else
            for (const e of list)
              println(`${e.type === "dir" ? "d" : "-"} ${String(e.size).padStart(9)} ${e.name}`);
          return;
        }
        case "cat": {
          const [remote] = need(paths, 1, "cat REMOTE") as [string];
          io().stdout.write(await dev.get(remote));
          return;
        }
        case "get": {
          if (paths.length < 1 || paths.length > 2) throw new UsageError("expected: get REMOTE [LOCAL]");
          const remote = paths[0] as string;
          const local = paths[1] ?? basename(remote);
          const data = await dev.get(remote);
          writeFileSync(local + ".part", data);
          renameSync(local + ".part", local);
          if (argv.json) printJson({ remote, local, bytes: data.length });
          else println(`${remote} -> ${local} (${data.length} bytes)`);
          return;
        }
        case "put": {
          const [local, remote] = need(paths, 2, "put LOCAL REMOTE") as [string, string];
          const data = new Uint8Array(readFileSync(local));
          const bar = new Progress(`put ${remote}`, data.length, { unit: "B" });
          const r = await dev.put(remote, data, {
            updateChecksum: argv.checksum,
            compress: argv.compress,
            progress: (done) => bar.update(done),
          });
          bar.finish();
          if (argv.json) printJson(r);
          else
            println(
              `${local} -> ${remote} (${r.bytes} bytes, crc ${r.crc32 ?? "none"}${r.checksumUpdated ? ", checksum.json updated" : ""})`,
            );
          return;
        }
        case "rm":
          await dev.rm(need(paths, 1, "rm REMOTE")[0] as string);
          return;
        case "mkdir":
          await dev.mkdir(need(paths, 1, "mkdir REMOTE")[0] as string);
          return;
        case "sync": {
          if (paths.length < 1 || paths.length > 2)
            throw new UsageError("expected: sync LOCALDIR [REMOTEDIR]");
          const r = await syncDir(dev, paths[0] as string, paths[1] ?? "/usr", {
            updateChecksum: argv.checksum,
            compress: argv.compress,
            dryRun: argv["dry-run"],
          });
          if (argv.json) printJson(r);
          else {
            for (const s of r.sent)
              println(`${argv["dry-run"] ? "would send" : "sent"} ${s.path} (${s.bytes} bytes)`);
            println(`${r.sent.length} sent, ${r.unchanged.length} unchanged`);
          }
          return;
        }
      }
    });
  },
};

export default deviceFsCommand;
