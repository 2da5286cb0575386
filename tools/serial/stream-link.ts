/**
 * `SerialLink` over a node-serialport stream: a real port (`SerialPort` from "serialport")
 * or the simulator's binding (`SerialPortStream` with `SimBinding`). Received bytes are
 * buffered from the stream's "data" events; every read waits with a real-time deadline.
 */
import type { SerialPortStream } from "@serialport/stream";
import { FlashbakError } from "../../firmware-sim/errors.js";
import { SerialTimeout, type SerialLink } from "./link.js";

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

  async write(data: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(data), (err) =>
        err ? reject(new FlashbakError("SERIAL_IO", `${this.name}: ${err.message}`)) : resolve(),
      );
    });
    await new Promise<void>((resolve, reject) =>
      this.port.drain((err) =>
        err ? reject(new FlashbakError("SERIAL_IO", `${this.name}: ${err.message}`)) : resolve(),
      ),
    );
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
