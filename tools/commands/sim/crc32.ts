/**
 * `flashbak sim crc32`: `file_crc32.calc(PATH)` on the module: print the CRC as the device's
 * REPL shows it (`'0x1a2b3c4d'`, or `None` for a missing or empty file) and, as calc does,
 * record it for a file that /usr/checksum.json already lists.
 */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { boardOption, cutAfterOption, flashOption, SimSession } from "../../sim/sim-session.js";

interface Args {
  flash: string;
  path: string;
  board?: string;
  "cut-after"?: number;
  json?: boolean;
}

const crc32Command: CommandModule<object, Args> = {
  command: "crc32 <path>",
  describe: "file_crc32.calc(PATH): print the device CRC and update checksum.json as the device does",
  builder: (y) =>
    y
      .positional("path", { type: "string", demandOption: true, describe: "Device path, e.g. /usr/main.py" })
      .option("flash", flashOption)
      .option("board", boardOption)
      .option("cut-after", cutAfterOption)
      .example("$0 sim crc32 --flash dev.bin /usr/main.py", "after editing main.py, so boot keeps the edit"),
  handler: (argv) => {
    const s = new SimSession({ flash: argv.flash, board: argv.board, cutAfter: argv["cut-after"] });
    const r = s.mutate((m) => {
      m.attach();
      const crc = m.fileCrc32.calc(argv.path);
      return { path: argv.path, crc32: crc, listed: m.checksum.retrieve(argv.path) !== null };
    });
    if (argv.json) printJson(r);
    else println(r.crc32 === null ? "None" : `'${r.crc32}'`);
  },
};

export default crc32Command;
