/** Every top-level command, one module per file. Keep this list sorted by command name. */
import type { CommandModule } from "yargs";
import chips from "./chips.js";
import device from "./device.js";
import execCommand from "./exec.js";
import exportCommand from "./export.js";
import flash from "./flash.js";
import fsCommand from "./fs.js";
import inspect from "./inspect.js";
import merge from "./merge.js";
import ports from "./ports.js";
import repl from "./repl.js";
import sim from "./sim.js";
import station from "./station.js";
import verify from "./verify.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs modules differ in their argument types
export const commands: CommandModule<any, any>[] = [
  chips,
  device,
  execCommand,
  exportCommand,
  flash,
  fsCommand,
  inspect,
  merge,
  ports,
  repl,
  sim,
  station,
  verify,
];
