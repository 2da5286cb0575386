/**
 * A top-level command module without its name and description: those live in the command
 * table (index.ts), which the CLI reads without loading any command, so that `flashbak fs mkfs`
 * loads only `fs` and its libraries, and `flashbak --help` loads none.
 */
import type { CommandModule } from "yargs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs modules differ in their argument types
export type CommandBody<A = any> = Omit<CommandModule<object, A>, "command" | "describe" | "aliases">;
