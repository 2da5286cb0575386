/**
 * Turn a `--port` argument into a `SerialLink`:
 *  - "sim" or "sim:<name>": an in-process simulated module reached through `SimBinding` and
 *    node-serialport, exactly as hardware is. What module answers is decided by the factory
 *    set with `setSimModuleFactory` (the full flash-backed module registers one; the default
 *    is an in-memory REPL device);
 *  - anything else: a real serial port ("/dev/ttyUSB0", "COM6", a pseudo-terminal path).
 */
import { importExternal } from "../../firmware-sim/external-import.js";
import type { SimLine } from "../../firmware-sim/serial/sim-line.js";
import { SimBinding } from "../../firmware-sim/serial/sim-binding.js";
import type { SerialLink } from "./link.js";
import { StreamLink } from "./stream-link.js";

/** What a simulated port needs from the module behind it: its serial line. */
export interface SimModule {
  line: SimLine;
  /** Called when the module is forgotten (`resetSimDevices`): e.g. save its flash file. */
  close?(): void;
}

/** Builds the simulated module for a "sim[:name]" port; `name` is what follows "sim:" ("" for plain "sim"). */
export type SimModuleFactory = (name: string, baud: number) => Promise<SimModule>;

/**
 * Default: an in-memory module. A program sent to its REPL is parked after 10 virtual minutes,
 * so a runaway loop leaves the CLI's deadlines working instead of holding the process.
 */
export const memorySimModule: SimModuleFactory = async (_name, baud) => {
  // loaded with the first simulated port: it brings the MicroPython runtime
  const { startReplDevice } = await import("../../firmware-sim/runtime/repl-device.js");
  return startReplDevice({ baud, repl: { execBudgetUs: 600e6 } });
};
let factory: SimModuleFactory = memorySimModule;
const binding = new SimBinding();
const devices = new Map<string, SimModule>();

export function setSimModuleFactory(f: SimModuleFactory): void {
  factory = f;
}

/** The binding that serves "sim:" paths (to list them, or to inject faults). */
export function simBinding(): SimBinding {
  return binding;
}

/** The in-process device behind a sim path, if it was started. */
export function simDevice(path: string): SimModule | undefined {
  return devices.get(path === "sim" ? "sim:" : path);
}

export function isSimPort(port: string): boolean {
  return port === "sim" || port.startsWith("sim:");
}

export async function openLink(port: string, baud = 115200): Promise<SerialLink> {
  if (isSimPort(port)) {
    const path = port === "sim" ? "sim:" : port;
    let dev = devices.get(path);
    if (dev === undefined) {
      dev = await factory(path.slice(4), baud);
      devices.set(path, dev);
      binding.add(path, {
        line: dev.line,
        info: { manufacturer: "flashbak simulator", vendorId: "2c7c", productId: "6001" },
      });
    }
    // node-serialport is loaded on first use (~0.3 s): commands that open no port skip it.
    const { SerialPortStream } =
      await importExternal<typeof import("@serialport/stream")>("@serialport/stream");
    const stream = new SerialPortStream({ binding, path, baudRate: baud, autoOpen: false });
    return StreamLink.open(port, stream);
  }
  const { SerialPort } = await importExternal<typeof import("serialport")>("serialport");
  return StreamLink.open(port, new SerialPort({ path: port, baudRate: baud, autoOpen: false }));
}

/** Forget every in-process device (tests). */
export function resetSimDevices(): void {
  for (const [p, dev] of devices) {
    binding.remove(p);
    dev.close?.();
  }
  devices.clear();
}
