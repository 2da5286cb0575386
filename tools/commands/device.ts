/**
 * `flashbak device ...`: work on a live module (or the in-process simulator) through its
 * MicroPython REPL port. `flashbak fs IMAGE ...` is the offline littlefs image tool; this
 * is its counterpart for a running device.
 */
import type { CommandBody } from "./command-body.js";
import deviceFs from "./device-fs.js";
import deviceSecureData from "./device-securedata.js";

const deviceCommand: CommandBody = {
  builder: (y) =>
    y
      .command(deviceFs)
      .command(deviceSecureData)
      .demandCommand(1, "Name a device command: fs or securedata.")
      .example("$0 device fs --port /dev/ttyUSB2 ls /usr", "list /usr on the module")
      .example("$0 device securedata --port sim read 3", "read SecureData slot 3 of the simulator"),
  handler: () => {},
};

export default deviceCommand;
