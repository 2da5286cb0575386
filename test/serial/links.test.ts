import { SerialPortStream } from "@serialport/stream";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { SimBinding } from "../../firmware-sim/serial/sim-binding.js";
import { SimLine } from "../../firmware-sim/serial/sim-line.js";
import { MemoryLinkPair, SimLineLink } from "../../tools/serial/memory-link.js";
import { StreamLink } from "../../tools/serial/stream-link.js";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("MemoryLinkPair", () => {
  it("delivers each side's writes to the other, in order, and times out when idle", async () => {
    const { a, b } = new MemoryLinkPair("t");
    await a.write(bytes(1, 2));
    await a.write(bytes(3));
    expect([...(await b.read(100))]).toEqual([1, 2, 3]);
    await b.write(bytes(9));
    expect([...(await a.read(100))]).toEqual([9]);
    await expect(a.read(20)).rejects.toMatchObject({ code: "SERIAL_TIMEOUT" });
  });

  it("discardInput drops what was not read", async () => {
    const { a, b } = new MemoryLinkPair();
    await a.write(bytes(5));
    await b.discardInput();
    await expect(b.read(20)).rejects.toMatchObject({ code: "SERIAL_TIMEOUT" });
  });
});

describe("links to a SimLine", () => {
  function echoLine(): SimLine {
    const line = new SimLine({ clock: new VirtualClock(), baud: 115200 });
    line.attach({ receive: (d) => line.deviceTx.send(d) });
    return line;
  }

  it("SimLineLink echoes through the line", async () => {
    const link = new SimLineLink("sim:e", echoLine());
    await link.write(bytes(7, 8));
    expect([...(await link.read(100))]).toEqual([7, 8]);
    await link.close();
  });

  it("StreamLink over the sim binding reads, and reports a pulled cable as SERIAL_CLOSED", async () => {
    const binding = new SimBinding();
    const line = echoLine();
    binding.add("sim:s", { line });
    const link = await StreamLink.open(
      "sim:s",
      new SerialPortStream({ binding, path: "sim:s", baudRate: 115200, autoOpen: false }),
    );
    await link.write(bytes(4, 2));
    expect([...(await link.read(1000))]).toEqual([4, 2]);
    line.faults.disconnect();
    binding.openPort("sim:s")?.poke();
    await expect(link.read(1000)).rejects.toMatchObject({ code: "SERIAL_CLOSED" });
  });
});
