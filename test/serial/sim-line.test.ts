import { SerialPortStream } from "@serialport/stream";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { PowerLoss } from "../../firmware-sim/errors.js";
import { SimBinding } from "../../firmware-sim/serial/sim-binding.js";
import { SimLine } from "../../firmware-sim/serial/sim-line.js";
import type { UartPeer } from "../../firmware-sim/serial/uart.js";

/** A module side that answers every byte with its value + 1. */
function echoPlusOne(
  line: SimLine,
): UartPeer & { baud: number[]; signals: { dtr: boolean; rts: boolean }[] } {
  const peer = {
    baud: [] as number[],
    signals: [] as { dtr: boolean; rts: boolean }[],
    receive: (d: Uint8Array) => line.deviceTx.send(d.map((b) => b + 1)),
    baudChanged: (b: number) => peer.baud.push(b),
    signalsChanged: (s: { dtr: boolean; rts: boolean }) => peer.signals.push(s),
  };
  return peer;
}

describe("SimLine pacing", () => {
  it.each([
    [9600, 100],
    [115200, 1000],
    [921600, 5000],
  ])("at %i baud, %i bytes each way take n*10/baud of virtual time (full duplex)", (baud, n) => {
    const clock = new VirtualClock();
    const line = new SimLine({ clock, baud });
    line.attach(echoPlusOne(line));
    line.hostWrite(new Uint8Array(n));
    // The reply starts when the request has arrived: 2 * n bytes of wire time in sequence.
    expect(clock.now()).toBeCloseTo((2 * n * 10 * 1e6) / baud, 3);
    expect(line.counters).toEqual({ rx: n, tx: n });
  });

  it("baud 0 is unpaced", () => {
    const clock = new VirtualClock();
    const line = new SimLine({ clock, baud: 0 });
    line.attach(echoPlusOne(line));
    line.hostWrite(new Uint8Array(100));
    expect(clock.now()).toBe(0);
  });

  it("hands a PowerLoss from the module to onDeviceFault", () => {
    const faults: unknown[] = [];
    const line = new SimLine({ clock: new VirtualClock(), baud: 0, onDeviceFault: (e) => faults.push(e) });
    line.attach({
      receive: () => {
        throw new PowerLoss(3);
      },
    });
    line.hostWrite(new Uint8Array([1]));
    expect(faults[0]).toBeInstanceOf(PowerLoss);
  });
});

describe("SimBinding through node-serialport", () => {
  async function open(binding: SimBinding, path: string, baudRate = 115200): Promise<SerialPortStream> {
    const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    return port;
  }

  it("lists ports, passes data both ways, baud and DTR/RTS changes reach the module", async () => {
    const binding = new SimBinding();
    const line = new SimLine({ clock: new VirtualClock(), baud: 115200 });
    const peer = echoPlusOne(line);
    line.attach(peer);
    binding.add("sim:a", { line, info: { vendorId: "2c7c", productId: "6001" } });
    expect((await binding.list()).map((p) => [p.path, p.vendorId])).toEqual([["sim:a", "2c7c"]]);
    const port = await open(binding, "sim:a", 921600);
    const got = new Promise<Buffer>((res) => port.once("data", res));
    port.write(Buffer.from([1, 2, 3]));
    expect([...(await got)]).toEqual([2, 3, 4]);
    await new Promise<void>((res, rej) => port.update({ baudRate: 460800 }, (e) => (e ? rej(e) : res())));
    await new Promise<void>((res, rej) => port.set({ dtr: false, rts: true }, (e) => (e ? rej(e) : res())));
    expect(peer.baud).toEqual([921600, 460800]);
    expect(peer.signals).toEqual([{ dtr: false, rts: true }]);
    await new Promise<void>((res) => port.close(() => res()));
  });

  it("refuses an unknown path and a second open", async () => {
    const binding = new SimBinding();
    const line = new SimLine({ clock: new VirtualClock(), baud: 0 });
    binding.add("sim:b", { line });
    await expect(binding.open({ path: "sim:none", baudRate: 9600 })).rejects.toMatchObject({
      code: "PORT_NOT_FOUND",
    });
    const p = await binding.open({ path: "sim:b", baudRate: 9600 });
    await expect(binding.open({ path: "sim:b", baudRate: 9600 })).rejects.toMatchObject({
      code: "PORT_BUSY",
    });
    await p.close();
  });

  it("a pending read is canceled by close, and fails as a disconnect when the cable is pulled", async () => {
    const binding = new SimBinding();
    const line = new SimLine({ clock: new VirtualClock(), baud: 0 });
    binding.add("sim:c", { line });
    const p = await binding.open({ path: "sim:c", baudRate: 9600 });
    const r1 = p.read(Buffer.alloc(8), 0, 8);
    await p.close();
    await expect(r1).rejects.toMatchObject({ canceled: true });
    const p2 = await binding.open({ path: "sim:c", baudRate: 9600 });
    const r2 = p2.read(Buffer.alloc(8), 0, 8);
    line.faults.disconnect();
    p2.poke();
    await expect(r2).rejects.toThrow(/disconnected/);
    await expect(p2.write(Buffer.from([1]))).rejects.toThrow(/disconnected/);
  });
});
