/** `flashbak sim boards`: the board profiles (chip, partition map, littlefs configuration). */
import type { CommandModule } from "yargs";
import { chipById } from "../../../firmware-sim/flash/chips.js";
import { boards } from "../../../firmware-sim/module/boards.js";
import { printJson, println } from "../../io.js";

interface Args {
  json?: boolean;
}

const hex = (n: number): string => "0x" + n.toString(16).padStart(6, "0");

function size(n: number): string {
  if (n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n % 1024 === 0) return `${n >> 10} KiB`;
  return `${n} B`;
}

const boardsCommand: CommandModule<object, Args> = {
  command: "boards",
  describe: "List the simulated boards: flash chip, partitions (offset, size, flags) and littlefs config",
  builder: (y) =>
    y.example("$0 sim boards", "one block per board").example("$0 sim boards --json", "the profiles as JSON"),
  handler: (argv) => {
    const list = Object.values(boards);
    if (argv.json) {
      printJson(list.map((b) => ({ ...b, flashSize: chipById(b.flashChip).size })));
      return;
    }
    for (const b of list) {
      const chip = chipById(b.flashChip);
      println(`${b.id}: ${b.description}`);
      println(
        `  platform ${b.platform}, chip ${chip.id} (${chip.part}, ${size(chip.size)}), restore ${b.defaultRestoreMode}`,
      );
      println("  partition            type        offset    size      mount  flags");
      for (const p of b.partitions) {
        const flags = [p.readOnly ? "read-only" : "", p.preserveOnFlash ? "preserved-on-flash" : ""].filter(
          Boolean,
        );
        println(
          `  ${p.name.padEnd(20)} ${p.type.padEnd(11)} ${hex(p.offset)}  ${size(p.size).padEnd(9)} ${(p.mount ?? "-").padEnd(6)} ${flags.join(",")}`,
        );
      }
      const l = b.littlefs;
      println(
        `  littlefs: block ${l.blockSize}, read ${l.readSize}, prog ${l.progSize}, cache ${l.cacheSize}, ` +
          `lookahead ${l.lookaheadSize}, block_cycles ${l.blockCycles}, name_max ${l.nameMax}, ` +
          `version ${(l.diskVersion >>> 16).toString()}.${(l.diskVersion & 0xffff).toString()}`,
      );
      println();
    }
  },
};

export default boardsCommand;
