/** `flashbak fs get IMAGE DIR [PATH]`: extract a file or a tree into a host directory, read-only. */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { withImageReadOnly } from "../../fs-image/image-file.js";
import { imagePath } from "../../fs-image/listing.js";
import { getToHost } from "../../fs-image/transfer.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  dir: string;
  path?: string;
}

const get: CommandModule<object, Args> = {
  command: "get <image> <dir> [path]",
  describe: "Extract a file or directory tree to a host directory",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", { type: "string", demandOption: true, describe: "littlefs image file" })
        .positional("dir", {
          type: "string",
          demandOption: true,
          describe: "Host directory to write into (created when missing; existing files are replaced)",
        })
        .positional("path", {
          type: "string",
          describe:
            "What to extract (default /: the whole image, its contents directly into DIR; " +
            "another directory lands as DIR/<name>, a file as DIR/<name>)",
        }),
      false,
    )
      .example("$0 fs get usr.img out", "unpack the whole image into ./out")
      .example("$0 fs get usr.img out /lib", "unpack /lib as ./out/lib")
      .example("$0 fs get usr.img . /main.py", "copy one file into the current directory"),
  handler: (argv) => {
    const path = imagePath(argv.path);
    const r = withImageReadOnly(argv.image, geometryOf(argv), (fs) =>
      getToHost(fs, path, argv.dir, argv.image),
    );
    if (argv.json) printJson({ path, dir: argv.dir, ...r });
    else
      println(
        `extracted ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes from ${path} to ${argv.dir}`,
      );
  },
};

export default get;
