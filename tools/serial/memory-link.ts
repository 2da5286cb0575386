/**
 * In-memory `SerialLink`s for unit tests: `MemoryLinkPair` joins two host-style endpoints
 * back to back, and `SimLineLink` is the host end of a `SimLine` without node-serialport.
 */
import type { SimLine } from "../../firmware-sim/serial/sim-line.js";
import { SerialTimeout, type SerialLink } from "./link.js";

/** A receive buffer with a deadline-bounded wait. */
class Inbox {
  private chunks: Uint8Array[] = [];
  private wake: (() => void) | undefined;

  push(d: Uint8Array): void {
    this.chunks.push(d.slice());
    this.wake?.();
  }

  async take(name: string, timeoutMs: number): Promise<Uint8Array> {
    if (this.chunks.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, timeoutMs);
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
    if (this.chunks.length === 0) throw new SerialTimeout(name, timeoutMs);
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    return out;
  }

  clear(): void {
    this.chunks = [];
  }
}

export class SimLineLink implements SerialLink {
  private readonly inbox = new Inbox();
  private readonly unlisten: () => void;

  constructor(
    readonly name: string,
    private readonly line: SimLine,
  ) {
    this.unlisten = line.onHostData((d) => this.inbox.push(d));
  }

  async write(data: Uint8Array): Promise<void> {
    this.line.hostWrite(data);
  }
  read(timeoutMs: number): Promise<Uint8Array> {
    return this.inbox.take(this.name, timeoutMs);
  }
  async discardInput(): Promise<void> {
    this.inbox.clear();
  }
  async setBaudRate(baud: number): Promise<void> {
    this.line.setBaud(baud);
  }
  async setSignals(s: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.line.setSignals({ dtr: s.dtr ?? true, rts: s.rts ?? true });
  }
  async close(): Promise<void> {
    this.unlisten();
  }
}

/** Two endpoints; what one writes, the other reads. */
export class MemoryLinkPair {
  readonly a: SerialLink;
  readonly b: SerialLink;

  constructor(name = "memory") {
    const ia = new Inbox();
    const ib = new Inbox();
    const end = (n: string, mine: Inbox, theirs: Inbox): SerialLink => ({
      name: n,
      write: async (d) => theirs.push(d),
      read: (t) => mine.take(n, t),
      discardInput: async () => mine.clear(),
      setBaudRate: async () => {},
      setSignals: async () => {},
      close: async () => {},
    });
    this.a = end(`${name}:a`, ia, ib);
    this.b = end(`${name}:b`, ib, ia);
  }
}
