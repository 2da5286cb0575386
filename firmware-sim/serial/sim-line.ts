/**
 * A simulated UART cable between a host endpoint and a module-side `UartPeer`, paced on
 * virtual time: 8N1 framing puts 10 bits on the wire per byte, so n bytes take
 * `n * 10 / baud` seconds in each direction, and the two directions run in parallel (full
 * duplex). Delivery itself is immediate in real time; the *clock* records when the bytes
 * would have arrived, which is what benchmarks and time-outs in virtual time measure.
 * Real-time pacing for `serve` lives in tools/serial.
 */
import type { Clock } from "../clock.js";
import { LineFaults } from "./line-faults.js";
import type { UartPeer, UartTx } from "./uart.js";

export interface SimLineConfig {
  clock: Clock;
  /** Initial baud rate in bits/s (both ends); 0 = unpaced (bytes take no virtual time). */
  baud: number;
  /**
   * Called when the module side throws while handling host bytes. A `PowerLoss` lands here:
   * the module harness turns the power off. Unset = the error propagates to the host's write.
   */
  onDeviceFault?: (e: unknown) => void;
  /** Seed for the fault generator (deterministic bit flips). */
  faultSeed?: number;
}

export class SimLine {
  private peer: UartPeer | undefined;
  private listeners: ((data: Uint8Array) => void)[] = [];
  private baud: number;
  private rxFreeAt = 0;
  private txFreeAt = 0;
  readonly faults: LineFaults;
  /** Bytes that crossed the wire each way (after faults), for throughput figures. */
  readonly counters = { rx: 0, tx: 0 };

  /** What the module-side personality is built with: its output goes to the host through here. */
  readonly deviceTx: UartTx = { send: (data) => this.deviceSend(data) };

  constructor(private readonly cfg: SimLineConfig) {
    this.baud = cfg.baud;
    this.faults = new LineFaults(cfg.faultSeed);
  }

  attach(peer: UartPeer): void {
    this.peer = peer;
  }

  /** Register the host endpoint's receiver (the serialport binding, a test). */
  onHostData(listener: (data: Uint8Array) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get baudRate(): number {
    return this.baud;
  }

  setBaud(baud: number): void {
    if (!(baud >= 0) || !Number.isFinite(baud)) throw new RangeError(`bad baud rate ${baud}`);
    this.baud = baud;
    this.peer?.baudChanged?.(baud);
  }

  setSignals(signals: { dtr: boolean; rts: boolean }): void {
    this.peer?.signalsChanged?.(signals);
  }

  /** Virtual microseconds that `n` bytes occupy the wire at the current baud rate. */
  wireTimeUs(n: number): number {
    return this.baud > 0 ? (n * 10 * 1e6) / this.baud : 0;
  }

  private settle(freeAt: number, n: number): number {
    const now = this.cfg.clock.now();
    const done = Math.max(now, freeAt) + this.wireTimeUs(n);
    if (done > now) this.cfg.clock.advance(done - now);
    return done;
  }

  /** Bytes from the host: they arrive after their wire time and the module handles them. */
  hostWrite(data: Uint8Array): void {
    const arrived = this.faults.apply("rx", data);
    if (arrived.length === 0) return;
    this.rxFreeAt = this.settle(this.rxFreeAt, arrived.length);
    this.counters.rx += arrived.length;
    if (this.peer === undefined) return;
    try {
      this.peer.receive(arrived);
    } catch (e) {
      if (this.cfg.onDeviceFault === undefined) throw e;
      this.cfg.onDeviceFault(e);
    }
  }

  private deviceSend(data: Uint8Array): void {
    const arrived = this.faults.apply("tx", data);
    if (arrived.length === 0) return;
    this.txFreeAt = this.settle(this.txFreeAt, arrived.length);
    this.counters.tx += arrived.length;
    for (const l of this.listeners) l(arrived);
  }
}
