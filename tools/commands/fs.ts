/**
 * `flashbak fs`: littlefs image files on the host. Each subcommand is its own module in
 * tools/commands/fs/; the work is done by tools/fs-image/. Read-only subcommands (ls, cat, get,
 * info, check) never write the image; the others replace it atomically, only on success.
 */
import type { CommandModule } from "yargs";
import type { CommandBody } from "./command-body.js";
import cat from "./fs/cat.js";
import check from "./fs/check.js";
import format from "./fs/format.js";
import get from "./fs/get.js";
import info from "./fs/info.js";
import ls from "./fs/ls.js";
import mkdir from "./fs/mkdir.js";
import mkfs from "./fs/mkfs.js";
import mv from "./fs/mv.js";
import put from "./fs/put.js";
import rm from "./fs/rm.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subcommand has its own argument type
const subcommands: CommandModule<any, any>[] = [mkfs, ls, cat, get, put, rm, mv, mkdir, info, check, format];

const fsCommand: CommandBody = {
  builder: (y) =>
    subcommands
      .reduce((acc, c) => acc.command(c), y)
      .demandCommand(1, "Name an fs subcommand: see the list above.")
      .epilogue(
        'Existing images: the block size is found in the superblock (the "littlefs" magic at byte 8 of\n' +
          "block 0 or 1) and the block count taken from it, as mklittlefs does; give --block-size to insist.",
      )
      .example("$0 fs mkfs usr.img app/ --image-size 384K", "build an image from a directory")
      .example("$0 fs ls usr.img -lR", "list everything with sizes")
      .example("$0 fs get usr.img out/", "unpack it")
      .example("$0 fs check usr.img", "consistency check, exit 1 on errors"),
  handler: () => {},
};

export default fsCommand;
