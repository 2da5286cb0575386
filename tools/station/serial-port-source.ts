/**
 * Real serial ports as a station `PortSource`: `list()` asks node-serialport for the USB serial
 * ports present (a port with a USB vendor id; built-in UARTs are left out of "auto"), `open()`
 * opens one as a `SerialLink` with wall-clock time.
 */
import { SerialPort } from "serialport";
import { FlashbakError } from "../../firmware-sim/errors.js";
import { realTime } from "../flasher/host-time.js";
import type { OpenPort, PortSource } from "./station.js";

export function serialPortSource(): PortSource {
  return {
    async list(): Promise<string[]> {
      const ports = await SerialPort.list();
      return ports.filter((p) => p.vendorId !== undefined).map((p) => p.path);
    },
    async open(name: string): Promise<OpenPort> {
      let mod: { StreamLink?: { open(name: string, port: unknown): Promise<OpenPort["link"]> } };
      try {
        mod = (await import(STREAM_LINK_MODULE)) as typeof mod;
      } catch (e) {
        throw new FlashbakError("PORT_UNAVAILABLE", `${name}: this build has no serial-port link`, {
          hint: "use simulated ports (--port sim) or update flashbak",
          cause: e,
        });
      }
      const port = new SerialPort({ path: name, baudRate: 115200, autoOpen: false });
      if (mod.StreamLink === undefined)
        throw new FlashbakError("PORT_UNAVAILABLE", `${name}: serial link module is incomplete`);
      return { link: await mod.StreamLink.open(name, port), time: realTime };
    },
  };
}

/**
 * The serial layer's node-serialport link (tools/serial/stream-link.ts), loaded by name so the
 * flasher builds while that layer is developed separately.
 */
const STREAM_LINK_MODULE = "../serial/stream-link.js";
