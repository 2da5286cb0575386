/**
 * Real serial ports as a station `PortSource`: `list()` asks node-serialport for the USB serial
 * ports present (a port with a USB vendor id; built-in UARTs are left out of "auto"), `open()`
 * opens one through the serial layer (tools/serial/open-link.ts) with wall-clock time.
 */
import { SerialPort } from "serialport";
import { realTime } from "../flasher/host-time.js";
import { openLink } from "../serial/open-link.js";
import type { OpenPort, PortSource } from "./station.js";

export function serialPortSource(): PortSource {
  return {
    async list(): Promise<string[]> {
      const ports = await SerialPort.list();
      return ports.filter((p) => p.vendorId !== undefined).map((p) => p.path);
    },
    async open(name: string): Promise<OpenPort> {
      return { link: await openLink(name, 115200), time: realTime };
    },
  };
}
