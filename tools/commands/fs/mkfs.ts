/**
 * `flashbak fs mkfs IMAGE DIR`: build an image from a host directory (format, then copy the
 * tree in littlefs name order). The image file appears only when the whole tree fitted.
 */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { createImage } from "../../fs-image/image-file.js";
import { formatDiskVersion } from "../../fs-image/geometry.js";
import { putHost } from "../../fs-image/transfer.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  dir: string;
}

const mkfs: CommandModule<object, Args> = {
  command: "mkfs <image> <dir>",
  describe: "Create an image holding a host directory's tree",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", {
          type: "string",
          demandOption: true,
          describe: "Image file to write (replaced atomically)",
        })
        .positional("dir", {
          type: "string",
          demandOption: true,
          describe: "Host directory whose contents become /",
        }),
      true,
    )
      .example(
        "$0 fs mkfs usr.img app/ --image-size 384K",
        "a 384 KiB image of ./app, reference configuration",
      )
      .example("$0 fs mkfs usr.img app/ --board ec600u", "the EC600U's /usr partition image")
      .example(
        "$0 fs mkfs data.bin web/ --preset mklittlefs --image-size 1M",
        "like mklittlefs -c web -s 1048576",
      )
      .example(
        "$0 fs mkfs fs.img root/ --preset esp-idf --name-max 64 --image-size 16M --json",
        "ESP-IDF, JSON report",
      ),
  handler: (argv) => {
    const r = createImage(argv.image, geometryOf(argv), (fs, g, stats) => {
      const copied = putHost(fs, argv.dir, undefined, "mkfs");
      const u = fs.usage();
      return {
        image: argv.image,
        dir: argv.dir,
        ...copied,
        imageSize: g.imageSize,
        blockSize: g.blockSize,
        blockCount: g.deviceBlocks,
        diskVersion: formatDiskVersion(fs.fsStat().diskVersion),
        blocksUsed: u.blocksUsed,
        io: { ...stats },
      };
    });
    if (argv.json) {
      printJson(r);
      return;
    }
    println(
      `created ${r.image}: ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes; ` +
        `${r.blocksUsed} of ${r.blockCount} blocks of ${r.blockSize} in use (littlefs ${r.diskVersion})`,
    );
    if (r.skipped.length > 0) println(`skipped (not regular files or directories): ${r.skipped.join(", ")}`);
  },
};

export default mkfs;
