/** `flashbak fs cat IMAGE PATH`: write one file's bytes to standard output, read-only. */
import type { CommandModule } from "yargs";
import { io, printJson } from "../../io.js";
import { withImageReadOnly } from "../../fs-image/image-file.js";
import { catImage, crc32Hex, imagePath } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  path: string;
}

const cat: CommandModule<object, Args> = {
  command: "cat <image> <path>",
  describe: "Print a file's bytes (raw; --json gives base64 with size and CRC-32)",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", { type: "string", demandOption: true, describe: "littlefs image file" })
        .positional("path", { type: "string", demandOption: true, describe: "File inside the image" }),
      false,
    )
      .example("$0 fs cat usr.img /main.py", "print a script")
      .example("$0 fs cat usr.img /data/blob.bin > blob.bin", "copy a binary file out")
      .example("$0 fs cat usr.img /boot.py --json", "size, CRC-32 and base64 contents"),
  handler: (argv) => {
    const path = imagePath(argv.path);
    const data = withImageReadOnly(argv.image, geometryOf(argv), (fs) => catImage(fs, path));
    if (argv.json) {
      printJson({
        path,
        size: data.length,
        crc32: crc32Hex(data),
        base64: Buffer.from(data).toString("base64"),
      });
      return;
    }
    io().stdout.write(data);
  },
};

export default cat;
