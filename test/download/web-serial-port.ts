/**
 * A Web Serial `SerialPort` duck type (shared/reference/esp-serial-protocol.md 7.2) wired to a
 * simulated module's UART personality in-process, so esptool-js can drive the module
 * unmodified. Bytes move on the next macrotask (no baud pacing: esptool-js runs on real time).
 * DTR and RTS are tracked and always passed to the module together.
 */
import type { UartPeer } from "../../firmware-sim/serial/uart.js";

export class SimWebSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private signals = { dtr: false, rts: false };
  private peer: UartPeer | undefined;

  /** Connect the module; its transmit side is `moduleTx`. */
  attach(peer: UartPeer): void {
    this.peer = peer;
  }

  readonly moduleTx = {
    send: (data: Uint8Array): void => {
      const copy = data.slice();
      setImmediate(() => {
        try {
          this.controller?.enqueue(copy);
        } catch {
          // The host closed the port between send and delivery: the bytes are lost, as on a wire.
        }
      });
    },
  };

  async open(opts: { baudRate: number }): Promise<void> {
    this.readable = new ReadableStream<Uint8Array>({ start: (c) => void (this.controller = c) });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            this.peer?.receive(chunk);
            resolve();
          }),
        ),
    });
    this.peer?.baudChanged?.(opts.baudRate);
  }

  async close(): Promise<void> {
    try {
      this.controller?.close();
    } catch {
      // Already closed by a cancelled reader.
    }
    this.controller = undefined;
  }

  async setSignals(s: { dataTerminalReady?: boolean; requestToSend?: boolean }): Promise<void> {
    this.signals = { dtr: s.dataTerminalReady ?? this.signals.dtr, rts: s.requestToSend ?? this.signals.rts };
    this.peer?.signalsChanged?.({ ...this.signals });
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    // A CP2102N bridge: not Espressif's USB-JTAG (PID 0x1001), so the classic reset is used.
    return { usbVendorId: 0x10c4, usbProductId: 0xea60 };
  }
}
