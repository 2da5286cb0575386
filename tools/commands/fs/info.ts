/** `flashbak fs info IMAGE`: the superblock, global state and usage of an image, read-only. */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { withImageReadOnly } from "../../fs-image/image-file.js";
import { infoImage, type InfoReport } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
}

function show(r: InfoReport): void {
  const pair = (p: [number, number]): string => `{0x${p[0].toString(16)}, 0x${p[1].toString(16)}}`;
  const rows: Array<[string, string]> = [
    ["image", `${r.image} (${r.imageSize} bytes, ${r.fileBlocks} blocks)`],
    ["disk version", `${r.diskVersion} (${r.diskVersionHex})`],
    ["block size", `${r.blockSize}${r.blockSizeDetected ? " (detected)" : ""}`],
    ["block count", String(r.blockCount)],
    ["name max", String(r.nameMax)],
    ["file max", String(r.fileMax)],
    ["attr max", String(r.attrMax)],
    ["erase value", r.eraseValue],
    ["root pair", pair(r.rootPair)],
    [
      "gstate",
      `tag=${r.gstate.tag} pair=${pair(r.gstate.pair)}` +
        (r.gstate.pendingMove ? " (a rename is pending)" : "") +
        (r.gstate.orphans ? " (orphans to repair)" : "") +
        (r.gstate.superblockUpdate ? " (superblock to rewrite)" : ""),
    ],
    ["used", `${r.blocksUsed} blocks (${r.bytesUsed} bytes)`],
    ["free", `${r.blocksFree} blocks (${r.bytesFree} bytes)`],
  ];
  for (const [k, v] of rows) println(`${(k + ":").padEnd(14)}${v}`);
}

const info: CommandModule<object, Args> = {
  command: "info <image>",
  describe: "Superblock (version, geometry, limits), root pair, global state and usage",
  builder: (y) =>
    withGeometry(
      y.positional("image", { type: "string", demandOption: true, describe: "littlefs image file" }),
      false,
    )
      .example("$0 fs info usr.img", "what the superblock says, and how full it is")
      .example("$0 fs info usr.img --json", "the same as one JSON object"),
  handler: (argv) => {
    const r = withImageReadOnly(argv.image, geometryOf(argv), (fs, g) => infoImage(fs, g));
    if (argv.json) printJson(r);
    else show(r);
  },
};

export default info;
