/**
 * Real serial ports as a station `PortSource`: `list()` finds the USB serial ports present
 * through the serial layer's discovery (node-serialport, or sysfs where udevadm is missing; a
 * port with a USB vendor id: built-in UARTs are left out of "auto"), `open()` opens one through
 * the serial layer (tools/serial/open-link.ts) with wall-clock time.
 */
import { realTime } from "../flasher/host-time.js";
import { openLink } from "../serial/open-link.js";
import { listPorts } from "../serial/port-list.js";
import type { OpenPort, PortSource } from "./station.js";

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
