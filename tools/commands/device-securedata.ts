/** `flashbak device securedata`: store or read a SecureData slot on a live module. */
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { UsageError } from "../../firmware-sim/errors.js";
import { printJson, println } from "../io.js";
import { secureDataRead, secureDataStore } from "../repl/securedata.js";
import { withRawRepl } from "../repl/raw-repl.js";
import { replBaudOption, replPortOption } from "../repl/port-options.js";

interface Args {
  action: "store" | "read";
  index: number;
  port: string;
  baud: number;
  hex?: string;
  text?: string;
  file?: string;
  json?: boolean;
}

function payload(a: Args): Uint8Array {
  const given = [a.hex, a.text, a.file].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError("store needs exactly one of --hex, --text, --file");
  if (a.hex !== undefined) {
    if (!/^([0-9a-fA-F]{2})*$/.test(a.hex))
      throw new UsageError("--hex must be an even number of hex digits");
    return new Uint8Array(Buffer.from(a.hex, "hex"));
  }
  if (a.text !== undefined) return new TextEncoder().encode(a.text);
  return new Uint8Array(readFileSync(a.file as string));
}

const deviceSecureDataCommand: CommandModule<object, Args> = {
  command: "securedata <action> <index>",
  describe: "Store or read a SecureData slot (1..16) on a live module",
  builder: (y) =>
    y
      .positional("action", {
        choices: ["store", "read"] as const,
        demandOption: true,
        describe: "store or read",
      })
      .positional("index", {
        type: "number",
        demandOption: true,
        describe: "Slot 1..16 (capacity 52 B for 1-8, 100 B for 9-12, 500 B for 13-14, 1000 B for 15-16)",
      })
      .option("port", replPortOption)
      .option("baud", replBaudOption)
      .option("hex", { type: "string", describe: "store: the bytes as hex digits" })
      .option("text", { type: "string", describe: "store: the bytes as UTF-8 text" })
      .option("file", { type: "string", describe: "store: the bytes of this local file" })
      .example(
        "$0 device securedata --port /dev/ttyUSB2 store 3 --hex 00a1ff",
        "store 3 bytes (0x00 survives)",
      )
      .example(
        "$0 device securedata --port /dev/ttyUSB2 read 3",
        "print slot 3 as hex; exit 4 if it was never stored",
      ),
  handler: async (argv) => {
    await withRawRepl({ port: argv.port, baud: argv.baud }, async (repl) => {
      if (argv.action === "store") {
        const data = payload(argv);
        await secureDataStore(repl, argv.index, data);
        if (argv.json) printJson({ index: argv.index, stored: data.length });
        else println(`stored ${data.length} bytes in SecureData slot ${argv.index}`);
      } else {
        const data = await secureDataRead(repl, argv.index);
        const hex = Buffer.from(data).toString("hex");
        if (argv.json) printJson({ index: argv.index, length: data.length, hex });
        else println(hex);
      }
    });
  },
};

export default deviceSecureDataCommand;
