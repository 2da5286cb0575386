/** `flashbak fs mkdir IMAGE PATH [-p]`: create a directory; the image is replaced atomically. */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { makeDirInImage } from "../../fs-image/edit.js";
import { withImageWritable } from "../../fs-image/image-file.js";
import { imagePath } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  path: string;
  parents?: boolean;
}

const mkdir: CommandModule<object, Args> = {
  command: "mkdir <image> <path>",
  describe: "Create a directory (-p: with its parents, no error if it exists)",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", {
          type: "string",
          demandOption: true,
          describe: "littlefs image file (changed atomically)",
        })
        .positional("path", {
          type: "string",
          demandOption: true,
          describe: "Directory to create inside the image",
        })
        .option("parents", {
          alias: "p",
          type: "boolean",
          describe: "Create missing parents; an existing directory is fine",
        }),
      false,
    )
      .example("$0 fs mkdir usr.img /logs", "one new directory")
      .example("$0 fs mkdir usr.img /lib/drivers/i2c -p", "a nested path"),
  handler: (argv) => {
    const path = imagePath(argv.path);
    const r = withImageWritable(argv.image, geometryOf(argv), (fs) =>
      makeDirInImage(fs, path, argv.parents === true),
    );
    if (argv.json) printJson(r);
    else println(`created ${r.created}`);
  },
};

export default mkdir;
