import { SerialPortStream } from "@serialport/stream";
import { describe, expect, it, vi } from "vitest";
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

describe("StreamLink writes", () => {
  it("a device that stops reading ends a write with SERIAL_TIMEOUT, not a wait forever", async () => {
    const { EventEmitter } = await import("node:events");
    // a port whose writes are accepted into the driver but never leave (nobody reads them)
    const port = Object.assign(new EventEmitter(), {
      baudRate: 921600,
      write: (_d: Buffer, _cb: (e?: Error | null) => void) => true,
      drain: (_cb: (e?: Error | null) => void) => undefined,
    });
    const link = new StreamLink("stuck", port as unknown as SerialPortStream);
    vi.useFakeTimers();
    try {
      const w = link.write(new Uint8Array(16384));
      const caught = w.catch((e: unknown) => e);
      // 2 s plus three times the wire time of 16 KiB at 921600 baud (0.53 s)
      await vi.advanceTimersByTimeAsync(2400);
      await vi.advanceTimersByTimeAsync(200);
      expect(await caught).toMatchObject({ code: "SERIAL_TIMEOUT" });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("StreamLink and node-serialport's unix poller", () => {
  it("a pending write re-arms the poller for both directions until it completes", async () => {
    const { EventEmitter } = await import("node:events");
    const polls: number[] = [];
    let complete: (() => void) | undefined;
    const port = Object.assign(new EventEmitter(), {
      baudRate: 115200,
      // the binding waits for "writable" that a concurrent read's poll dropped
      write: (_d: Buffer, cb: (e?: Error | null) => void) => {
        complete = () => cb(null);
        return true;
      },
      isOpen: true,
      port: { poller: { poll: (flags: number) => polls.push(flags) } },
    });
    const link = new StreamLink("kick", port as unknown as SerialPortStream);
    vi.useFakeTimers();
    try {
      const w = link.write(new Uint8Array(64));
      await vi.advanceTimersByTimeAsync(100);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      expect(new Set(polls)).toEqual(new Set([3])); // UV_READABLE | UV_WRITABLE
      complete!();
      await w;
      const after = polls.length;
      await vi.advanceTimersByTimeAsync(100);
      expect(polls.length).toBe(after); // no kicks once the write is done
      // a write racing close(): the destroyed native poller must never be polled
      port.isOpen = false;
      const late = link.write(new Uint8Array(64)).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(3000);
      expect(polls.length).toBe(after);
      expect(await late).toMatchObject({ code: "SERIAL_TIMEOUT" });
    } finally {
      vi.useRealTimers();
    }
  });
});
