/**
 * `SerialLink` over a node-serialport stream: a real port (`SerialPort` from "serialport")
 * or the simulator's binding (`SerialPortStream` with `SimBinding`). Received bytes are
 * buffered from the stream's "data" events; every read waits with a real-time deadline.
 */
import type { SerialPortStream } from "@serialport/stream";
import { FlashbakError } from "../../firmware-sim/errors.js";
import { SerialTimeout, type SerialLink } from "./link.js";

/** libuv's poll event flags, as node-serialport's Poller takes them. */
const UV_READABLE = 1;
const UV_WRITABLE = 2;
/** How often a pending write re-arms the poller, ms. */
const KICK_MS = 25;

export class StreamLink implements SerialLink {
  private buffered: Buffer[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(
    readonly name: string,
    private readonly port: SerialPortStream,
  ) {
    port.on("data", (d: Buffer) => {
      this.buffered.push(d);
      this.wake?.();
    });
    port.on("close", (err: (Error & { disconnected?: boolean }) | null) => {
      this.failure = new FlashbakError(
        "SERIAL_CLOSED",
        `${name}: port closed${err?.disconnected ? " (device disconnected)" : ""}`,
        {
          hint: "the cable was pulled or the module reset its USB port; reconnect and retry",
        },
      );
      this.wake?.();
    });
    port.on("error", (err: Error) => {
      this.failure = new FlashbakError("SERIAL_IO", `${name}: ${err.message}`);
      this.wake?.();
    });
  }

  /** Open `port` (constructed with `autoOpen: false`) and wrap it. */
  static async open(name: string, port: SerialPortStream): Promise<StreamLink> {
    const link = new StreamLink(name, port);
    await new Promise<void>((resolve, reject) =>
      port.open((err) =>
        err
          ? reject(
              new FlashbakError("PORT_OPEN", `${name}: ${err.message}`, {
                hint: "check the port name (`flashbak ports`) and that no other program holds it",
                cause: err,
              }),
            )
          : resolve(),
      ),
    );
    return link;
  }

  /**
   * Write and wait until the operating system has taken the bytes, as pyserial's write does.
   * No `drain` (tcdrain): every caller waits for the device's answer anyway, and node-serialport
   * runs each tcdrain in a libuv worker thread, of which there are four: with more ports
   * flashing at once the drains queue behind each other, and one that never returns (seen on
   * pseudo-terminals) stalls its port for good. The wait has a deadline: a device that stops
   * reading would otherwise hold the writer forever. It allows three times the wire time at the
   * port's rate, plus 2 s.
   */
  async write(data: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const baud = this.port.baudRate > 0 ? this.port.baudRate : 9600;
    const deadlineMs = 2000 + (3 * data.length * 10 * 1000) / baud;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(this.failure ?? new SerialTimeout(this.name, Math.round(deadlineMs), "write progress")),
        deadlineMs,
      );
    });
    const done = new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(data), (err) =>
        err ? reject(new FlashbakError("SERIAL_IO", `${this.name}: ${err.message}`)) : resolve(),
      );
    });
    // the loser of the race must not surface later as an unhandled rejection
    done.catch(() => undefined);
    const kicker = setInterval(() => this.kickPoller(), KICK_MS);
    try {
      await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
      clearInterval(kicker);
    }
  }

  /**
   * Re-arm node-serialport's unix poller for both directions. Its Poller (bindings-cpp
   * poller.cpp) records every requested event but hands libuv only the latest request
   * (`uv_poll_start(handle, events)`, not the recorded set). So when a write waits for
   * "writable" (the driver's buffer was full: every 16 KiB flash block at 115200, or a busy
   * pseudo-terminal) and the reader then polls for "readable", the write's wake-up is gone, and
   * with the module waiting for those very bytes nothing ever wakes it: the port stalls for good
   * (seen with 8 and 16 ports flashing at once). Asking for both again while a write is pending
   * restores it; an event nobody waits for is dropped by the poller.
   */
  private kickPoller(): void {
    // never after close: the binding keeps a destroyed native poller, and polling it crashes
    // the process (a write racing close() would otherwise keep kicking it)
    if (!this.port.isOpen) return;
    const binding = (this.port as { port?: { poller?: { poll?: (flags: number) => void } } }).port;
    try {
      binding?.poller?.poll?.(UV_READABLE | UV_WRITABLE);
    } catch {
      // the port closed under us: the write ends with its own error
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    if (this.buffered.length === 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
    if (this.buffered.length === 0) {
      if (this.failure) throw this.failure;
      throw new SerialTimeout(this.name, timeoutMs);
    }
    const out = Buffer.concat(this.buffered);
    this.buffered = [];
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  async discardInput(): Promise<void> {
    this.buffered = [];
  }

  async setBaudRate(baud: number): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.port.update({ baudRate: baud }, (err) =>
        err ? reject(new FlashbakError("SERIAL_IO", err.message)) : resolve(),
      ),
    );
  }

  /** False once the port turned out to have no modem lines (a pseudo-terminal, some adapters). */
  modemLines = true;

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    if (!this.modemLines) return;
    await new Promise<void>((resolve, reject) =>
      this.port.set(signals, (err) => {
        if (err && /Inappropriate ioctl|ENOTTY|EINVAL/i.test(err.message)) {
          // No DTR/RTS here: reset sequences are no-ops, as esptool's --before no_reset.
          this.modemLines = false;
          resolve();
        } else if (err) reject(new FlashbakError("SERIAL_IO", err.message));
        else resolve();
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
