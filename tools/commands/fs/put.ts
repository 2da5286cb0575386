/**
 * `flashbak fs put IMAGE SRC [DEST]`: copy a host file or tree into an image. The image file
 * is replaced atomically only when everything was copied.
 */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { withImageWritable } from "../../fs-image/image-file.js";
import { imagePath } from "../../fs-image/listing.js";
import { putHost } from "../../fs-image/transfer.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  src: string;
  dest?: string;
}

const put: CommandModule<object, Args> = {
  command: "put <image> <src> [dest]",
  describe: "Copy a host file or directory tree into the image",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", {
          type: "string",
          demandOption: true,
          describe: "littlefs image file (changed in place, atomically)",
        })
        .positional("src", { type: "string", demandOption: true, describe: "Host file or directory" })
        .positional("dest", {
          type: "string",
          describe:
            "Where in the image: a directory's contents go into DEST (default /, created as needed); " +
            "a file goes to DEST (default /<name>; into DEST when it is a directory)",
        }),
      false,
    )
      .example("$0 fs put usr.img main.py", "add or replace /main.py")
      .example("$0 fs put usr.img build/lib /lib", "copy the tree build/lib into /lib")
      .example("$0 fs put usr.img cfg.json /etc/", "into an existing directory /etc"),
  handler: (argv) => {
    const dest = argv.dest === undefined ? undefined : imagePath(argv.dest);
    const r = withImageWritable(argv.image, geometryOf(argv), (fs) => {
      const copied = putHost(fs, argv.src, dest);
      return { ...copied, usage: fs.usage() };
    });
    if (argv.json) {
      printJson({ image: argv.image, src: argv.src, dest: dest ?? null, ...r });
      return;
    }
    println(`copied ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes into ${argv.image}`);
    if (r.skipped.length > 0) println(`skipped (not regular files or directories): ${r.skipped.join(", ")}`);
    println(`${r.usage.blocksUsed} of ${r.usage.blockCount} blocks in use`);
  },
};

export default put;
