/** `flashbak repl`: an interactive terminal on a module's MicroPython REPL. */
import type { CommandBody } from "./command-body.js";
import { eprintln, io } from "../io.js";
import { runTerminal } from "../repl/terminal.js";
import { openLink } from "../serial/open-link.js";
import { replBaudOption, replPortOption } from "../repl/port-options.js";

interface Args {
  port: string;
  baud: number;
}

const replCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .option("port", replPortOption)
      .option("baud", replBaudOption)
      .example("$0 repl --port /dev/ttyUSB2", "talk to the module; Ctrl-C stops main.py, Ctrl-D soft-reboots")
      .example("$0 repl --port sim", "try the simulator's REPL"),
  handler: async (argv) => {
    const link = await openLink(argv.port, argv.baud);
    eprintln(`connected to ${argv.port} at ${argv.baud} baud; Ctrl-] exits`);
    try {
      // A carriage return makes the friendly REPL print its prompt, so the user sees where it is.
      await link.write(new Uint8Array([0x0d]));
      await runTerminal(link, { input: io().stdin as NodeJS.ReadStream, output: io().stdout });
    } finally {
      await link.close();
      eprintln("\ndisconnected");
    }
  },
};

export default replCommand;
