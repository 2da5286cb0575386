/**
 * `flashbak fs check IMAGE`: the full consistency check (firmware-sim/littlefs/check.ts),
 * read-only. Exit 0 only when no error was found; warnings (orphans, an interrupted rename,
 * which littlefs repairs at its next write) do not fail the check.
 */
import type { CommandModule } from "yargs";
import { ExitCode } from "../../exit-codes.js";
import { printJson, println, setExitCode } from "../../io.js";
import { withImageReadOnly } from "../../fs-image/image-file.js";
import { checkImage } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
}

const check: CommandModule<object, Args> = {
  command: "check <image>",
  describe: "Check the whole file system (metadata list, directories, files); exit 1 on errors",
  builder: (y) =>
    withGeometry(
      y.positional("image", { type: "string", demandOption: true, describe: "littlefs image file" }),
      false,
    )
      .example("$0 fs check usr.img", "exit 0 when the image is consistent")
      .example("$0 fs check usr.img --json", "the full report: problems, counts, blocks used"),
  handler: (argv) => {
    const r = withImageReadOnly(argv.image, geometryOf(argv), (fs) => checkImage(fs));
    if (!r.ok) setExitCode(ExitCode.CHECK_FAILED);
    if (argv.json) {
      printJson({ image: argv.image, ...r });
      return;
    }
    for (const p of r.problems) println(`${p.severity}: ${p.where}: ${p.message}`);
    println(
      `${r.ok ? "ok" : "FAILED"}: ${r.dirs} directories, ${r.files} files, ${r.mdirs} metadata pairs, ` +
        `${r.blocksUsed} blocks in use` +
        (r.orphans ? `, ${r.orphans} orphans` : "") +
        (r.pendingMove ? ", a rename pending" : ""),
    );
  },
};

export default check;
