/**
 * `flashbak sim fs`: the module's files from the shell, on the flash file (no boot scripts run;
 * this is what a host sees over the REPL of a module that has booted).
 * ls / cat read; write / rm change /usr as a REPL upload would (so a protected file edited this
 * way is reverted at the next boot unless its CRC is updated: `flashbak sim crc32`); corrupt
 * damages a file's bytes on the flash itself, below the file system.
 */
import type { CommandModule } from "yargs";
import { UsageError } from "../../../firmware-sim/errors.js";
import { io, printJson, println, readStdin } from "../../io.js";
import { readInput } from "../../merge/files.js";
import { corruptFile } from "../../sim/corrupt-file.js";
import { boardOption, cutAfterOption, flashOption, SimSession } from "../../sim/sim-session.js";

interface Args {
  flash: string;
  action: string;
  path?: string;
  file?: string;
  recursive?: boolean;
  bit?: number;
  board?: string;
  "cut-after"?: number;
  json?: boolean;
}

function joinDevice(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

const fsCommand: CommandModule<object, Args> = {
  command: "fs <action> [path]",
  describe: "List, read, write, remove or damage the module's files (/usr, /bak)",
  builder: (y) =>
    y
      .positional("action", {
        type: "string",
        choices: ["ls", "cat", "write", "rm", "corrupt"],
        demandOption: true,
        describe:
          "ls: list a directory; cat: print a file's bytes; write: replace a /usr file (stdin or --file); " +
          "rm: remove a file or empty directory; corrupt: flip a bit of the file's data on the flash",
      })
      .positional("path", {
        type: "string",
        describe: "Device path (/usr/..., /bak/...); ls defaults to /usr",
      })
      .option("file", {
        type: "string",
        describe: "write: take the contents from this host file instead of stdin",
      })
      .option("recursive", { alias: "r", type: "boolean", describe: "ls: list sub-directories too" })
      .option("bit", { type: "number", default: 0, describe: "corrupt: which bit (0-7) of the byte to flip" })
      .option("flash", flashOption)
      .option("board", boardOption)
      .option("cut-after", cutAfterOption)
      .check((a) => {
        if (a.action !== "ls" && a.path === undefined) throw new UsageError(`${a.action} needs a PATH`);
        return true;
      })
      .example("$0 sim fs --flash dev.bin ls -r", "every file in /usr with its size")
      .example("$0 sim fs --flash dev.bin cat /usr/checksum.json", "print a file")
      .example("echo 'print(2)' | $0 sim fs --flash dev.bin write /usr/main.py", "upload as the REPL would")
      .example(
        "$0 sim fs --flash dev.bin corrupt /usr/main.py",
        "damage it on flash; the next boot restores it",
      ),
  handler: async (argv) => {
    const path = argv.path ?? "/usr";
    const s = new SimSession({ flash: argv.flash, board: argv.board, cutAfter: argv["cut-after"] });
    switch (argv.action) {
      case "ls": {
        const rows = s.inspect((m) => {
          m.attach();
          const out: Array<{ path: string; type: string; size: number }> = [];
          const visit = (dir: string): void => {
            for (const e of m.vfs.readdir(dir)) {
              const p = joinDevice(dir, e.name);
              out.push({ path: p, type: e.type, size: e.size });
              if (e.type === "dir" && argv.recursive) visit(p);
            }
          };
          visit(path);
          return out;
        });
        if (argv.json) printJson(rows);
        else
          for (const r of rows)
            println(`${r.type === "dir" ? "d" : "-"} ${String(r.size).padStart(8)}  ${r.path}`);
        return;
      }
      case "cat": {
        const data = s.inspect((m) => {
          m.attach();
          return m.vfs.readFile(path);
        });
        if (argv.json) printJson({ path, size: data.length, base64: Buffer.from(data).toString("base64") });
        else io().stdout.write(data);
        return;
      }
      case "write": {
        const data = argv.file !== undefined ? readInput(argv.file, "input file") : await readStdin();
        s.mutate((m) => {
          m.attach();
          const parent = path.slice(0, path.lastIndexOf("/"));
          if (parent.split("/").filter(Boolean).length > 1) m.vfs.mkdirs(parent);
          m.vfs.writeFile(path, data);
        });
        if (argv.json) printJson({ path, size: data.length });
        else println(`wrote ${path} (${data.length} bytes)`);
        return;
      }
      case "rm": {
        s.mutate((m) => {
          m.attach();
          m.vfs.remove(path);
        });
        if (argv.json) printJson({ removed: path });
        else println(`removed ${path}`);
        return;
      }
      case "corrupt": {
        const r = s.mutate((m) => corruptFile(m, path, argv.bit ?? 0));
        if (argv.json) printJson(r);
        else
          println(
            `damaged ${r.path}: ${r.partition} block ${r.block} byte ${r.offset} ` +
              `0x${r.before.toString(16).padStart(2, "0")} -> 0x${r.after.toString(16).padStart(2, "0")} (${r.effect})`,
          );
        return;
      }
      default:
        throw new UsageError(`unknown fs action "${argv.action}"`, "use ls, cat, write, rm or corrupt");
    }
  },
};

export default fsCommand;
