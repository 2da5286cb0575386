/** `flashbak fs mv IMAGE FROM TO`: rename or move inside the image; replaced atomically. */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { moveInImage } from "../../fs-image/edit.js";
import { withImageWritable } from "../../fs-image/image-file.js";
import { imagePath } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  from: string;
  to: string;
}

const mv: CommandModule<object, Args> = {
  command: "mv <image> <from> <to>",
  describe: "Rename or move a file or directory inside the image",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", {
          type: "string",
          demandOption: true,
          describe: "littlefs image file (changed atomically)",
        })
        .positional("from", {
          type: "string",
          demandOption: true,
          describe: "Existing path inside the image",
        })
        .positional("to", {
          type: "string",
          demandOption: true,
          describe:
            "New path; an existing directory receives FROM under its own name, an existing file is replaced",
        }),
      false,
    )
      .example("$0 fs mv usr.img /main.py /main.bak", "rename a file")
      .example("$0 fs mv usr.img /cfg.json /etc", "move it into the existing directory /etc"),
  handler: (argv) => {
    const r = withImageWritable(argv.image, geometryOf(argv), (fs) =>
      moveInImage(fs, imagePath(argv.from), imagePath(argv.to)),
    );
    if (argv.json) printJson(r);
    else println(`moved ${r.from} -> ${r.to}`);
  },
};

export default mv;
