/** `flashbak chips`: the NOR flash chip profiles the simulator models, with their timings. */
import type { CommandBody } from "./command-body.js";
import { chips } from "../../firmware-sim/flash/chips.js";
import { printJson, println } from "../io.js";

interface Args {
  json?: boolean;
}

const chipsCommand: CommandBody<Args> = {
  builder: (y) =>
    y.example("$0 chips", "table of chip profiles").example("$0 chips --json", "one JSON array for scripts"),
  handler: (argv) => {
    const list = Object.values(chips);
    if (argv.json) {
      printJson(list);
      return;
    }
    println(
      "id            part           size     sector  blocks      page  tPP typ/max    tSE typ/max      endurance",
    );
    for (const c of list) {
      const t = c.timing;
      println(
        [
          c.id.padEnd(13),
          c.part.padEnd(14),
          `${c.size >> 20} MiB`.padEnd(8),
          `${c.sectorSize}`.padEnd(7),
          c.blockSizes
            .map((b) => `${b >> 10}K`)
            .join("/")
            .padEnd(11),
          `${c.pageSize}`.padEnd(5),
          `${t.pageProgramUs / 1000}/${t.pageProgramMaxUs / 1000} ms`.padEnd(14),
          `${t.sectorEraseUs / 1000}/${t.sectorEraseMaxUs / 1000} ms`.padEnd(16),
          `${c.endurance}`,
        ].join(" "),
      );
    }
  },
};

export default chipsCommand;
