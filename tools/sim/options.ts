/** Options shared by the `flashbak sim` subcommands, described once so every --help agrees. */
import { boards } from "../../firmware-sim/module/boards.js";
import { RESTORE_MODES } from "../../firmware-sim/module/restore-policy.js";

export const flashOption = {
  type: "string",
  demandOption: true,
  describe: "Flash file: the raw image of the module's whole flash chip (flashbak sim create makes one)",
} as const;

export const boardOption = {
  type: "string",
  choices: Object.keys(boards),
  describe: "Board the flash file belongs to (default: read from the firmware descriptor, or the chip size)",
} as const;

export const cutAfterOption = {
  type: "number",
  describe:
    "Lose power right after the Nth flash write operation (program or erase, counted from 1). The torn " +
    "flash is saved and the command exits with status 3; if the work needs fewer operations it finishes (0)",
} as const;

export const restoreOption = {
  type: "string",
  choices: [...RESTORE_MODES],
  describe:
    "Boot-time restore behaviour: faithful (the 2021 device, flaws included) or hardened (atomic, verified). " +
    "Default: what the firmware package chose",
} as const;
