/**
 * Which ports a command talks to, from `--port`/`--ports`: simulated modules ("sim", "sim:N",
 * "sim:a,sim:b") in-process on a virtual timeline, or real serial ports (names, or "auto" for
 * every USB serial port present) through the serial layer.
 */
import { UsageError } from "../../firmware-sim/errors.js";
import { realTime } from "../flasher/host-time.js";
import { openLink } from "../serial/open-link.js";
import { listPorts } from "../serial/port-list.js";
import { parseSimPorts, SimPortSource } from "./sim-ports.js";
import type { OpenPort, PortSource } from "./station.js";

export interface ResolvedPorts {
  source: PortSource;
  /** Ports to use; undefined = whatever the source lists (auto / continuous). */
  ports: string[] | undefined;
  /** Set for simulated ports: their shared timeline is the host time. */
  sim: SimPortSource | undefined;
}

/**
 * @param spec the --port/--ports value.
 * @param board board of the modules, which sizes simulated modules' flash.
 * @param opts.repl simulated modules run a MicroPython REPL besides the loader.
 */
export async function resolvePorts(
  spec: string,
  board: string | undefined,
  opts: { repl?: boolean } = {},
): Promise<ResolvedPorts> {
  const simNames = spec === "sim" ? ["sim:0"] : parseSimPorts(spec);
  if (simNames !== undefined) {
    if (board === undefined) {
      throw new UsageError(
        "simulated ports need a board",
        "pass --board ec600u (a package names its own board)",
      );
    }
    const sim = new SimPortSource(board, { repl: opts.repl });
    await Promise.all(simNames.map((n) => sim.plug(n).ready));
    return { source: sim, ports: simNames, sim };
  }
  const source = serialPortSource();
  return {
    source,
    ports: spec === "auto" ? undefined : spec.split(",").map((s) => s.trim()),
    sim: undefined,
  };
}

/**
 * Real serial ports: `list()` finds the USB serial ports present through the serial layer's
 * discovery (node-serialport, or sysfs where udevadm is missing; only ports with a USB vendor
 * id, so built-in UARTs are left out of "auto"), `open()` opens one through the serial layer
 * with wall-clock time.
 */
export function serialPortSource(): PortSource {
  return {
    async list(): Promise<string[]> {
      const ports = await listPorts();
      return ports.filter((p) => p.vendorId !== undefined && p.kind !== "sim").map((p) => p.path);
    },
    async open(name: string): Promise<OpenPort> {
      return { link: await openLink(name, 115200), time: realTime };
    },
  };
}
