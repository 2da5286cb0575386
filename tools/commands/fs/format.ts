/** `flashbak fs format IMAGE`: write an empty littlefs image (a new file or over an existing one). */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { createImage } from "../../fs-image/image-file.js";
import { formatDiskVersion } from "../../fs-image/geometry.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
}

const format: CommandModule<object, Args> = {
  command: "format <image>",
  describe: "Create an empty image (an existing file keeps its size unless one is given)",
  builder: (y) =>
    withGeometry(
      y.positional("image", { type: "string", demandOption: true, describe: "Image file to write" }),
      true,
    )
      .example("$0 fs format usr.img --image-size 384K", "an empty 384 KiB image, 4096-byte blocks")
      .example("$0 fs format usr.img --board ec600u", "the EC600U's /usr: its size and configuration")
      .example(
        "$0 fs format old.img --disk-version 2.0 --preset micropython --image-size 1M",
        "for older MicroPython",
      ),
  handler: (argv) => {
    const r = createImage(argv.image, geometryOf(argv), (fs, g) => ({
      image: argv.image,
      imageSize: g.imageSize,
      blockSize: g.blockSize,
      blockCount: g.deviceBlocks,
      eraseValue: g.eraseValue,
      diskVersion: formatDiskVersion(fs.fsStat().diskVersion),
      usage: fs.usage(),
    }));
    if (argv.json) printJson(r);
    else
      println(
        `formatted ${r.image}: ${r.blockCount} blocks of ${r.blockSize} bytes (${r.imageSize} bytes), ` +
          `littlefs ${r.diskVersion}`,
      );
  },
};

export default format;
