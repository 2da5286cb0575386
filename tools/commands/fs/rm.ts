/** `flashbak fs rm IMAGE PATH [-r]`: remove a file or directory; the image is replaced atomically. */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { removeInImage } from "../../fs-image/edit.js";
import { withImageWritable } from "../../fs-image/image-file.js";
import { imagePath } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  path: string;
  recursive?: boolean;
}

const rm: CommandModule<object, Args> = {
  command: "rm <image> <path>",
  describe: "Remove a file or an empty directory (-r: a directory with everything in it)",
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
          describe: "File or directory inside the image",
        })
        .option("recursive", {
          alias: "r",
          type: "boolean",
          describe: "Remove a directory and everything below it",
        }),
      false,
    )
      .example("$0 fs rm usr.img /old.py", "remove one file")
      .example("$0 fs rm usr.img /logs -r", "remove a directory tree"),
  handler: (argv) => {
    const path = imagePath(argv.path);
    const r = withImageWritable(argv.image, geometryOf(argv), (fs) =>
      removeInImage(fs, path, argv.recursive === true),
    );
    if (argv.json) printJson({ removed: path, ...r });
    else println(`removed ${path} (${r.files} files, ${r.dirs} directories)`);
  },
};

export default rm;
