/**
 * `flashbak fs ls IMAGE [PATH]`: list a directory of a littlefs image in littlefs order (the
 * order the device's os.listdir returns), read-only.
 */
import type { CommandModule } from "yargs";
import { printJson, println } from "../../io.js";
import { withImageReadOnly } from "../../fs-image/image-file.js";
import { imagePath, listImage, type ListEntry } from "../../fs-image/listing.js";
import { geometryOf, withGeometry, type GeometryArgs } from "./options.js";

interface Args extends GeometryArgs {
  image: string;
  path?: string;
  long?: boolean;
  recursive?: boolean;
  crc32?: boolean;
}

function line(e: ListEntry, full: boolean, long: boolean): string {
  const name = (full ? e.path : e.name) + (e.type === "dir" ? "/" : "");
  if (!long) return e.crc32 !== undefined ? `${e.crc32}  ${name}` : name;
  const kind = e.type === "dir" ? "d" : "-";
  const size = String(e.size ?? 0).padStart(10);
  const attrs = String(e.attrs ?? 0).padStart(3);
  const crc = e.crc32 !== undefined ? `  ${e.crc32}` : "";
  return `${kind} ${size} ${attrs}${crc}  ${name}`;
}

const ls: CommandModule<object, Args> = {
  command: "ls <image> [path]",
  describe: "List a directory (littlefs order); -l adds type, size and attribute count",
  builder: (y) =>
    withGeometry(
      y
        .positional("image", { type: "string", demandOption: true, describe: "littlefs image file" })
        .positional("path", { type: "string", describe: "Directory or file inside the image (default /)" })
        .option("long", {
          alias: "l",
          type: "boolean",
          describe: "Type (d/-), size in bytes and user-attribute count",
        })
        .option("recursive", {
          alias: "R",
          type: "boolean",
          describe: "List sub-directories too, with full paths",
        })
        .option("crc32", {
          type: "boolean",
          describe: "Read every file and show its zlib CRC-32 (as vector manifests do)",
        }),
      false,
    )
      .example("$0 fs ls usr.img", "the root directory, names only")
      .example("$0 fs ls usr.img /lib -l", "type, size and attribute count of each entry in /lib")
      .example("$0 fs ls usr.img -R --crc32 --json", "every entry below /, with contents CRC-32, as JSON")
      .example("$0 fs ls flash-usr.img --board ec600u", "check that the EC600U's configuration mounts it"),
  handler: (argv) => {
    const path = imagePath(argv.path);
    const rows = withImageReadOnly(argv.image, geometryOf(argv), (fs) =>
      listImage(fs, path, { recursive: argv.recursive, long: argv.long, crc: argv.crc32 }),
    );
    if (argv.json) {
      printJson(rows);
      return;
    }
    for (const r of rows) println(line(r, argv.recursive === true, argv.long === true));
  },
};

export default ls;
