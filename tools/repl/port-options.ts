/** The `--port` and `--baud` options every command that talks to a module's REPL shares. */

export const replPortOption = {
  type: "string",
  demandOption: true,
  describe:
    'The module\'s REPL serial port ("/dev/ttyUSB2", "COM6", a pseudo-terminal from `sim serve`), ' +
    '"sim" for an in-memory simulator, or "sim:FILE.bin" for the flash-backed module in a flash file',
} as const;

export const replBaudOption = {
  type: "number",
  default: 115200,
  describe: "Line speed in bits/s (USB CDC ports ignore it)",
} as const;
