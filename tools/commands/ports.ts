/** `flashbak ports`: list serial ports and point out a Quectel module's REPL port. */
import type { CommandBody } from "./command-body.js";
import { printJson, println } from "../io.js";
import { listPorts } from "../serial/port-list.js";

interface Args {
  all: boolean;
  json?: boolean;
}

const portsCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .option("all", {
        type: "boolean",
        default: false,
        describe: "Also list ports that are not Quectel modules",
      })
      .example("$0 ports", "Quectel ports only, REPL port marked")
      .example("$0 ports --all --json", "every port as JSON, with USB ids and interface numbers"),
  handler: async (argv) => {
    const ports = (await listPorts()).filter((p) => argv.all || p.kind !== "other");
    if (argv.json) {
      printJson(ports);
      return;
    }
    if (ports.length === 0) {
      println(argv.all ? "no serial ports found" : "no Quectel module found (use --all to see every port)");
      return;
    }
    for (const p of ports) {
      const ids = p.vendorId
        ? ` ${p.vendorId}:${p.productId ?? "????"}${p.interface ? ` if${p.interface}` : ""}`
        : "";
      println(`${p.path.padEnd(20)} ${(p.kind === "quectel-repl" ? "REPL" : "").padEnd(5)}${ids}  ${p.note}`);
    }
  },
};

export default portsCommand;
