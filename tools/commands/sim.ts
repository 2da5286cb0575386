/**
 * `flashbak sim`: script a simulated module from the shell. Each subcommand is its own module
 * in tools/commands/sim/; they all work on a flash file (the raw chip image).
 */
import type { CommandModule } from "yargs";
import type { CommandBody } from "./command-body.js";
import boards from "./sim/boards.js";
import boot from "./sim/boot.js";
import crc32 from "./sim/crc32.js";
import create from "./sim/create.js";
import fota from "./sim/fota.js";
import fs from "./sim/fs.js";
import securedata from "./sim/securedata.js";
import serve from "./sim/serve.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subcommand has its own argument type
const subcommands: CommandModule<any, any>[] = [boards, create, boot, fs, crc32, securedata, fota, serve];

const simCommand: CommandBody = {
  builder: (y) =>
    subcommands
      .reduce((acc, c) => acc.command(c), y)
      .demandCommand(1, "Name a sim subcommand: see the list above.")
      .example("$0 sim boards", "the board profiles and their flash maps")
      .example("$0 sim create --package app.fbpkg --flash dev.bin", "flash a package onto a new module")
      .example("$0 sim boot --flash dev.bin", "power on: mount, verify and restore, FOTA"),
  handler: () => {},
};

export default simCommand;
