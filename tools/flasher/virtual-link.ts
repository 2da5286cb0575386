/**
 * In-process serial lines between host code (`SerialLink`) and simulated modules (`UartPeer`)
 * on one shared virtual timeline, paced at the baud rate: a byte takes 10 bit times (8N1) on
 * the wire, each direction is one wire (frames queue behind each other), and a configurable
 * adapter latency models the USB-serial bridge's turnaround.
 *
 * Why a timeline and not the module's clock: a station flashes many modules at once; each
 * module has its own clock (its flash advances it while it works), and the timeline is the
 * bench's wall clock. A byte that arrives while a module is busy waits for it: the module's
 * clock is brought up to the arrival time, never back. Host waits (`read` deadlines, `sleep`)
 * jump the timeline to the next event once every host task is blocked.
 *
 * Faults: `mangle` can drop or flip bytes in either direction, `disconnect()` pulls the cable
 * (every later read/write fails with SERIAL_DISCONNECTED), and a PowerLoss thrown by a module
 * silences it until the harness attaches a re-powered module with `attach`.
 */
import type { Clock } from "../../firmware-sim/clock.js";
import { FlashbakError, isPowerLoss } from "../../firmware-sim/errors.js";
import type { UartPeer, UartTx } from "../../firmware-sim/serial/uart.js";
import type { SerialLink } from "../serial/link.js";
import { SerialTimeout } from "../serial/link.js";
import type { HostTime } from "./host-time.js";

interface TimelineEvent {
  at: number;
  seq: number;
  fire: () => void;
}

/** The shared virtual wall clock of a bench: microseconds, with scheduled events. */
export class Timeline implements HostTime {
  private t = 0;
  private seq = 0;
  private events: TimelineEvent[] = [];
  private pumping = false;
  private holds = 0;

  /** Microseconds since the bench started. */
  get us(): number {
    return this.t;
  }

  now(): number {
    return this.t / 1000;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.t + Math.max(0, ms) * 1000, resolve));
  }

  /** Run `fire` when the timeline reaches `atUs`; returns a cancel function. */
  at(atUs: number, fire: () => void): () => void {
    const ev: TimelineEvent = { at: Math.max(atUs, this.t), seq: this.seq++, fire };
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.events[mid]!;
      if (m.at < ev.at || (m.at === ev.at && m.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, ev);
    this.kick();
    return () => {
      const i = this.events.indexOf(ev);
      if (i >= 0) this.events.splice(i, 1);
    };
  }

  /**
   * Fire events in time order. Each step waits for a macrotask turn, so every host task has
   * run to its next `await` before time moves on.
   */
  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => this.pump());
  }

  /**
   * Keep time still until `work` settles: a module computing in real time (booting its
   * MicroPython VM) must not see host deadlines expire meanwhile.
   */
  hold<T>(work: Promise<T>): Promise<T> {
    this.holds++;
    return work.finally(() => {
      this.holds--;
      this.kick();
    });
  }

  private pump(): void {
    if (this.holds > 0) {
      this.pumping = false;
      return;
    }
    const ev = this.events.shift();
    if (ev === undefined) {
      this.pumping = false;
      return;
    }
    this.t = Math.max(this.t, ev.at);
    ev.fire();
    setImmediate(() => this.pump());
  }
}

export type Direction = "host-to-module" | "module-to-host";

export interface VirtualLinkOptions {
  /** Name for messages, e.g. "sim:unit3". */
  name: string;
  /** Initial baud rate of the line. Default 115200. */
  baud?: number;
  /**
   * USB-serial adapter latency added to every transfer in each direction, microseconds.
   * Default 500 (full-speed USB: a transfer waits for the next 1 ms frame on average).
   */
  latencyUs?: number;
  /**
   * Line faults: return the bytes that actually arrive (drop or flip some). `offset` counts the
   * bytes sent so far in that direction. Default: a clean line.
   */
  mangle?: (dir: Direction, data: Uint8Array, offset: number) => Uint8Array;
}

/** Sent to the module's clock holder so the link can bring it up to an arrival time. */
export interface ModuleEnd {
  peer: UartPeer;
  clock: Clock;
}

export class VirtualLink implements SerialLink {
  readonly name: string;
  private baud: number;
  private readonly latencyUs: number;
  private readonly mangle: VirtualLinkOptions["mangle"];
  private module: ModuleEnd | undefined;
  private silenced = false;
  private inbox: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private h2dFree = 0;
  private d2hFree = 0;
  private h2dCount = 0;
  private d2hCount = 0;
  private disconnected = false;
  private closed = false;
  private signals = { dtr: false, rts: false };
  /** The module UART's own rate; undefined = it follows the host (the ROM's auto-baud). */
  private moduleBaud: number | undefined;
  private garbleSeed = 0x2545f491;
  /** The PowerLoss a module threw, if any (the harness re-powers it). */
  powerLoss: unknown;
  /** Bytes sent each way, for throughput figures. */
  readonly counters = { hostToModule: 0, moduleToHost: 0 };

  constructor(
    readonly timeline: Timeline,
    opts: VirtualLinkOptions,
  ) {
    this.name = opts.name;
    this.baud = opts.baud ?? 115200;
    this.latencyUs = opts.latencyUs ?? 500;
    this.mangle = opts.mangle;
  }

  /** The module's transmit side, to build its UART personality with. */
  readonly moduleTx: UartTx = {
    send: (data: Uint8Array) => this.fromModule(data),
  };

  /** Plug a (re-powered) module onto the line. Its clock is synchronised to the timeline. */
  attach(end: ModuleEnd): void {
    this.module = end;
    this.silenced = false;
    this.powerLoss = undefined;
    this.syncModuleClock(end.clock);
  }

  /** Open the port again after `close()` (a station reopening a fixture port). */
  reopen(): void {
    this.closed = false;
    this.inbox = [];
  }

  /** Pull the cable: the port disappears for the host. */
  disconnect(): void {
    this.disconnected = true;
    this.wake();
  }

  get baudRate(): number {
    return this.baud;
  }

  private wireUs(n: number): number {
    return (n * 10 * 1e6) / this.baud;
  }

  private syncModuleClock(clock: Clock): void {
    const lag = this.timeline.us - clock.now();
    if (lag > 0) clock.advance(lag);
  }

  private fromModule(data: Uint8Array): void {
    if (this.module === undefined || this.disconnected) return;
    // The module sends at its own current time, which may be ahead of the timeline.
    const start = Math.max(this.module.clock.now(), this.d2hFree);
    const done = start + this.wireUs(data.length);
    this.d2hFree = done;
    const mangled = this.mangle ? this.mangle("module-to-host", data, this.d2hCount) : data;
    const arriving = this.garbled(mangled);
    this.d2hCount += data.length;
    this.counters.moduleToHost += data.length;
    const copy = arriving.slice();
    this.timeline.at(done + this.latencyUs / 2, () => {
      if (this.disconnected || copy.length === 0) return;
      this.inbox.push(copy);
      this.wake();
    });
  }

  private toModule(data: Uint8Array, atUs: number): void {
    const m = this.module;
    if (m === undefined || this.silenced || this.disconnected || data.length === 0) return;
    this.syncModuleClock(m.clock);
    if (m.clock.now() < atUs) m.clock.advance(atUs - m.clock.now());
    try {
      m.peer.receive(data);
    } catch (e) {
      if (!isPowerLoss(e)) throw e;
      // The module lost power: it says nothing more until the harness re-powers it.
      this.silenced = true;
      this.powerLoss = e;
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private check(): void {
    if (this.closed) throw new FlashbakError("SERIAL_CLOSED", `${this.name}: port is closed`);
    if (this.disconnected) {
      throw new FlashbakError("SERIAL_DISCONNECTED", `${this.name}: the device was disconnected`, {
        hint: "check the cable and the USB hub; plug the module back in and run the command again to resume",
      });
    }
  }

  async write(data: Uint8Array): Promise<void> {
    this.check();
    const start = Math.max(this.timeline.us + this.latencyUs / 2, this.h2dFree);
    const done = start + this.wireUs(data.length);
    this.h2dFree = done;
    const mangled = this.mangle ? this.mangle("host-to-module", data, this.h2dCount) : data;
    const arriving = this.garbled(mangled);
    this.h2dCount += data.length;
    this.counters.hostToModule += data.length;
    const copy = arriving.slice();
    this.timeline.at(done, () => this.toModule(copy, done));
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    this.check();
    if (this.inbox.length === 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.timeline.at(this.timeline.us + timeoutMs * 1000, () => {
          this.waiter = undefined;
          resolve();
        });
        this.waiter = () => {
          cancel();
          resolve();
        };
      });
    }
    this.check();
    if (this.inbox.length === 0) throw new SerialTimeout(this.name, timeoutMs);
    const total = this.inbox.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.inbox) {
      out.set(c, o);
      o += c.length;
    }
    this.inbox = [];
    return out;
  }

  async discardInput(): Promise<void> {
    this.inbox = [];
  }

  /**
   * The module switched its UART to `baud` (after CHANGE_BAUDRATE); 0 = back to following the
   * host (a reset into the ROM's auto-baud). While the two ends disagree, every byte arrives
   * as framing-error garbage, as on a real line.
   */
  setModuleBaud(baud: number): void {
    this.moduleBaud = baud > 0 ? baud : undefined;
  }

  /**
   * Bytes sampled at the wrong rate: about `n * slower / faster` junk bytes that never contain
   * a SLIP delimiter or escape (so they cannot forge a frame), deterministic per link.
   */
  private garbled(data: Uint8Array): Uint8Array {
    const m = this.moduleBaud;
    if (m === undefined || m === this.baud || data.length === 0) return data;
    const n = Math.max(1, Math.round((data.length * Math.min(m, this.baud)) / Math.max(m, this.baud)));
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let x = this.garbleSeed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.garbleSeed = x >>> 0;
      const b = this.garbleSeed & 0xff;
      out[i] = b === 0xc0 || b === 0xdb ? 0x00 : b;
    }
    return out;
  }

  async setBaudRate(baud: number): Promise<void> {
    this.check();
    this.baud = baud;
    const m = this.module;
    if (m !== undefined && !this.silenced) {
      this.syncModuleClock(m.clock);
      m.peer.baudChanged?.(baud);
    }
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.check();
    this.signals = { dtr: signals.dtr ?? this.signals.dtr, rts: signals.rts ?? this.signals.rts };
    const s = { ...this.signals };
    const m = this.module;
    if (m === undefined || this.silenced) return;
    // Modem lines act at once, after the bytes already on the wire.
    this.timeline.at(Math.max(this.timeline.us, this.h2dFree), () => {
      if (this.silenced || this.module !== m) return;
      this.syncModuleClock(m.clock);
      m.peer.signalsChanged?.(s);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }
}
