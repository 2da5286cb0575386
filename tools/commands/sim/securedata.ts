/**
 * `flashbak sim securedata`: `SecureData.Store` / `SecureData.Read` on the module's raw
 * SecureData region, and the region's status. A record never stored reads as -2 and exits 4.
 */
import type { CommandModule } from "yargs";
import { FlashbakError, UsageError } from "../../../firmware-sim/errors.js";
import { capacityOf } from "../../../firmware-sim/module/securedata-layout.js";
import { io, printJson, println } from "../../io.js";
import { readInput } from "../../merge/files.js";
import { boardOption, cutAfterOption, flashOption, SimSession } from "../../sim/sim-session.js";

interface Args {
  flash: string;
  action: string;
  index?: number;
  hex?: string;
  file?: string;
  raw?: boolean;
  board?: string;
  "cut-after"?: number;
  json?: boolean;
}

function parseHex(text: string): Uint8Array {
  const t = text.replace(/\s+/g, "").replace(/^0x/i, "");
  if (t.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(t)) {
    throw new UsageError(`--hex "${text}" is not an even number of hex digits`);
  }
  return new Uint8Array(Buffer.from(t, "hex"));
}

const securedataCommand: CommandModule<object, Args> = {
  command: "securedata <action> [index]",
  describe: "SecureData.Store / SecureData.Read on the module's raw region (indexes 1-16), or its status",
  builder: (y) =>
    y
      .positional("action", {
        type: "string",
        choices: ["store", "read", "status"],
        demandOption: true,
        describe: "store: Store(INDEX, data); read: Read(INDEX); status: sectors and stored records",
      })
      .positional("index", {
        type: "number",
        describe: "Record index: 1-8 hold 52 bytes, 9-12 100, 13-14 500, 15-16 1000",
      })
      .option("hex", { type: "string", describe: "store: the bytes as hex digits" })
      .option("file", { type: "string", describe: "store: the bytes of a host file" })
      .option("raw", { type: "boolean", describe: "read: write the bytes themselves instead of hex" })
      .option("flash", flashOption)
      .option("board", boardOption)
      .option("cut-after", cutAfterOption)
      .conflicts("hex", "file")
      .check((a) => {
        if (a.action !== "status" && a.index === undefined)
          throw new UsageError(`${a.action} needs an INDEX`);
        if (a.action === "store" && a.hex === undefined && a.file === undefined) {
          throw new UsageError("store needs --hex HEX or --file F");
        }
        return true;
      })
      .example("$0 sim securedata --flash dev.bin store 1 --hex 00ff10", "store three bytes at index 1")
      .example("$0 sim securedata --flash dev.bin read 1", "print them as hex (exit 4 if never stored)")
      .example(
        "$0 sim securedata --flash dev.bin store 15 --file key.der --cut-after 2",
        "a Store cut short",
      ),
  handler: (argv) => {
    const s = new SimSession({ flash: argv.flash, board: argv.board, cutAfter: argv["cut-after"] });
    if (argv.action === "status") {
      const st = s.inspect((m) => m.secureData.inspect());
      if (argv.json) printJson(st);
      else {
        println(`region: ${st.state}${st.reason !== undefined ? ` (${st.reason})` : ""}`);
        for (const sec of st.sectors) {
          println(
            `  sector ${sec.sector}: ${sec.kind}${sec.kind === "valid" ? ` generation ${sec.generation}, ${sec.writeOffset} bytes used` : ""}`,
          );
        }
        for (const r of st.records)
          println(`  index ${r.index}: ${r.len} bytes, seq ${r.seq}, ${r.copies} copies`);
      }
      return;
    }
    if (argv.action !== "store" && argv.action !== "read") {
      throw new UsageError(`unknown securedata action "${argv.action}"`, "use store, read or status");
    }
    const index = argv.index!;
    if (argv.action === "store") {
      const data = argv.hex !== undefined ? parseHex(argv.hex) : readInput(argv.file!, "data file");
      const code = s.mutate((m) => m.secureData.Store(index, data, data.length));
      if (code !== 0) {
        const st = s.inspect((m) => m.secureData.inspect());
        if (st.state === "unrecognised") {
          throw new FlashbakError(
            "SECUREDATA_CORRUPT",
            `Store returned ${code}: the region is not recognised`,
            {
              hint: st.reason,
            },
          );
        }
        throw new UsageError(
          `Store(${index}, ${data.length} bytes) returned ${code}`,
          `index ${index} holds 1..${capacityOf(index) || "?"} bytes; indexes are 1-16`,
        );
      }
      if (argv.json) printJson({ index, result: code, length: data.length });
      else println(`Store(${index}) -> 0 (${data.length} bytes)`);
      return;
    }
    const buf = new Uint8Array(Math.max(1, capacityOf(index)));
    const n = s.inspect((m) => m.secureData.Read(index, buf, buf.length));
    if (n === -2) {
      throw new FlashbakError(
        "SECUREDATA_NOT_FOUND",
        `Read(${index}) returned -2: nothing was ever stored there`,
        {
          details: { index, result: -2 },
        },
      );
    }
    if (n < 0) throw new UsageError(`Read(${index}) returned ${n}`, "indexes are 1-16");
    const data = buf.subarray(0, n);
    if (argv.json) printJson({ index, result: n, hex: Buffer.from(data).toString("hex") });
    else if (argv.raw) io().stdout.write(data);
    else println(Buffer.from(data).toString("hex"));
  },
};

export default securedataCommand;
