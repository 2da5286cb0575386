/**
 * `serve`: put a simulated module's REPL port on a pseudo-terminal that real tools open, with
 * a control channel on a unix socket (SPEC.md "Control channel"). Host bytes are polled every
 * 2 ms while the line is busy (20 ms once it has been quiet for 200 ms) and synchronously from
 * inside the VM while Python runs, so a busy main.py hears Ctrl-C and a control command
 * (power-cycle) takes effect even then.
 */
import type { Clock } from "../../firmware-sim/clock.js";
import { PowerLoss, isPowerLoss } from "../../firmware-sim/errors.js";
import { handleControl, type ControlTarget } from "../../firmware-sim/serial/control-protocol.js";
import type { SimLine } from "../../firmware-sim/serial/sim-line.js";
import { createReplDevice, memoryServices, type ReplDevice } from "../../firmware-sim/runtime/repl-device.js";
import { PtyBridge, type PtyOptions } from "./pty.js";

/** Line polling while bytes flow, while the line is quiet, and what counts as quiet, ms. */
const ACTIVE_POLL_MS = 2;
const IDLE_POLL_MS = 20;
const QUIET_AFTER_MS = 200;

/** Longest real sleep between two polls of the line, µs. */
const SLICE_US = 5000;

/**
 * How far the module may run ahead of the wall clock before it sleeps, µs. A sleep costs about
 * 0.1 ms more than asked (measured: 10 µs asked, 105 µs slept), while a UART byte at 921600
 * baud is 11 µs and a NOR page program 0.7 ms: sleeping for each would run the module several
 * times slower than the hardware. Running ahead by up to 5 ms, then sleeping the whole lead
 * off, keeps that overhead near 2% and the timing error below 5 ms.
 */
const LEAD_US = 5000;

export interface RealtimeClockOptions {
  /** Called after every sleep slice; true ends the wait (a Ctrl-C arrived). */
  onSlice?: () => boolean;
  /** Wall clock in ms (default performance.now; tests give a fake). */
  wallMs?: () => number;
  /** Blocking sleep in ms (default Atomics.wait on a private cell; tests give a fake). */
  sleepMs?: (ms: number) => void;
}

/**
 * A `Clock` that follows the wall clock, for `serve`: a person or a real tool on the
 * pseudo-terminal expects `utime.sleep(1)` to take a second and 1 KiB at 115200 baud to take
 * 89 ms. `advance(us)` moves the module's time on and really waits once it is more than
 * LEAD_US ahead of the wall (blocking, in slices of at most 5 ms so the caller can poll the
 * line meanwhile); `onSlice` returning true ends the wait early (a Ctrl-C arrived) and the
 * time stays at the target. The clock reads the later of the wall and the module's time, so
 * an idle module follows the wall and time never runs backwards.
 */
export class RealtimeClock implements Clock {
  private readonly wallMs: () => number;
  private readonly sleepMs: (ms: number) => void;
  private readonly onSlice: (() => boolean) | undefined;
  private readonly start: number;
  /** The module's time after its last advance, µs since start. */
  private moduleUs = 0;
  private skewUs = 0;

  constructor(o: RealtimeClockOptions = {}) {
    this.onSlice = o.onSlice;
    this.wallMs = o.wallMs ?? (() => performance.now());
    const cell = new Int32Array(new SharedArrayBuffer(4));
    // Atomics.wait on a private cell nobody notifies: a blocking sleep without a busy loop.
    this.sleepMs = o.sleepMs ?? ((ms) => void Atomics.wait(cell, 0, 0, ms));
    this.start = this.wallMs();
  }

  /** Wall time plus the jumps of waits cut short, µs since start. */
  private wallUs(): number {
    return (this.wallMs() - this.start) * 1000 + this.skewUs;
  }

  now(): number {
    return Math.max(this.wallUs(), this.moduleUs);
  }

  advance(us: number): void {
    if (!(us >= 0) || !Number.isFinite(us)) throw new RangeError(`clock.advance: bad duration ${us}`);
    const target = this.now() + us;
    this.moduleUs = target;
    if (target - this.wallUs() <= LEAD_US) return;
    try {
      for (;;) {
        const left = target - this.wallUs();
        if (left <= 0) return;
        this.sleepMs(Math.min(left, SLICE_US) / 1000);
        if (this.onSlice?.() === true) return;
      }
    } finally {
      // A wait cut short (Ctrl-C, or a power cut thrown from the poll) jumps to its end: what
      // is left of it becomes skew, or the next advance, even of one UART byte, would sleep it.
      const left = target - this.wallUs();
      if (left > 0) this.skewUs += left;
    }
  }
}

/** What `serve` hands the module it builds. */
export interface ServeIo {
  /** Give this to `ReplConfig.pollInput`: host bytes that arrived while Python runs. */
  pollInput: () => Uint8Array | undefined;
  /** A wall-clock `Clock` whose sleeps keep polling the line. */
  clock: RealtimeClock;
  /** Call from a `ControlTarget` to stop a running VM at once (it throws `PowerLoss` there). */
  requestPowerCut: () => void;
  /** True while Python is running (a power cycle must then wait for `pollInput`). */
  vmRunning: () => boolean;
}

export interface ServeTarget {
  line: SimLine;
  control: ControlTarget;
  /** Power the module on. Not awaited: with a looping main.py it returns only after Ctrl-C. */
  start(): Promise<void>;
}

export interface ServeHandle {
  /** The pseudo-terminal to open (e.g. /dev/pts/7). */
  path: string;
  close(): Promise<void>;
}

export async function servePty(
  build: (io: ServeIo) => Promise<ServeTarget>,
  opts: PtyOptions,
): Promise<ServeHandle> {
  /** Set once the module is built; the pseudo-terminal's callbacks may fire before that. */
  const built: { target?: ServeTarget } = {};
  /** When bytes last crossed the line (either way), performance.now() ms. */
  let activeAt = performance.now();
  /** > 0 while the helper is polled from inside the module (Python running, UART pacing). */
  let depth = 0;
  let collected: number[] = [];
  let cutRequested = false;
  const pty = await PtyBridge.open(
    {
      onData: (d) => {
        activeAt = performance.now();
        const target = built.target;
        if (target === undefined) return;
        // Inside the module the bytes are handed to the REPL's poll; outside they arrive normally.
        if (depth > 0) for (const b of target.line.faults.apply("rx", d)) collected.push(b);
        else {
          // Bytes held back while the module was busy go first: the line must keep its order.
          flushCollected(target);
          target.line.hostWrite(d);
        }
      },
      onControl: (client, line) => {
        const target = built.target;
        pty.reply(client, target === undefined ? "ERR starting" : handleControl(line, target.control));
      },
    },
    opts,
  );
  const flushCollected = (target: ServeTarget): void => {
    while (collected.length > 0) {
      const late = new Uint8Array(collected);
      collected = [];
      target.line.hostWrite(late);
    }
  };
  const pollInside = (): void => {
    depth++;
    try {
      pty.poll();
    } finally {
      depth--;
    }
    if (cutRequested) {
      cutRequested = false;
      throw new PowerLoss(0, "power cut from the control channel");
    }
  };
  const io: ServeIo = {
    pollInput: () => {
      pollInside();
      if (collected.length === 0) return undefined;
      const out = new Uint8Array(collected);
      collected = [];
      return out;
    },
    clock: new RealtimeClock({
      onSlice: () => {
        pollInside();
        return collected.includes(0x03);
      },
    }),
    requestPowerCut: () => {
      cutRequested = true;
    },
    vmRunning: () => depth > 0,
  };
  let t: ServeTarget;
  try {
    t = await build(io);
  } catch (e) {
    await pty.close();
    throw e;
  }
  built.target = t;
  t.line.onHostData((d) => {
    activeAt = performance.now();
    pty.write(d);
  });
  // Poll every 2 ms while bytes flow (a flasher's next command waits on it), every 20 ms once
  // the line has been quiet for 200 ms: an idle module then costs a tenth of the wake-ups
  // (16 served modules polling every 2 ms took a core of their own).
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = (): void => {
    try {
      flushCollected(t);
      pty.poll();
    } catch (e) {
      // The module's own fault handler restarts it; a power cut must not kill the server.
      if (!isPowerLoss(e)) throw e;
    }
    if (closed) return;
    const quiet = performance.now() - activeAt > QUIET_AFTER_MS;
    timer = setTimeout(tick, quiet ? IDLE_POLL_MS : ACTIVE_POLL_MS);
  };
  tick();
  void t.start();
  return {
    path: pty.path,
    async close() {
      closed = true;
      clearTimeout(timer);
      await pty.close();
    },
  };
}

/**
 * The in-memory module for `serve` without a flash model: its `/usr` survives power cycles
 * (kept in memory), power cuts at a flash operation are not available.
 */
export function memoryServeTarget(
  io: ServeIo,
  baud: number,
  mainPy?: string,
): ServeTarget & { device: ReplDevice } {
  const services = { ...memoryServices(), clock: io.clock };
  if (mainPy !== undefined) {
    const f = services.mounts[0]!.fs.open("/main.py", { write: true, create: true, truncate: true });
    f.write(new TextEncoder().encode(mainPy));
    f.close();
  }
  const dev: ReplDevice = createReplDevice({
    services,
    baud,
    repl: { pollInput: io.pollInput, mainBudgetUs: 0 },
    onDeviceFault: (e) => {
      if (!isPowerLoss(e)) throw e;
      restart();
    },
  });
  const restart = (): Promise<void> =>
    dev.repl.powerOn().catch((e: unknown) => {
      if (!isPowerLoss(e)) throw e;
      return restart();
    });
  const cycle = (): void => {
    if (io.vmRunning()) io.requestPowerCut();
    else void restart();
  };
  return {
    device: dev,
    line: dev.line,
    start: restart,
    control: {
      powerCycle: cycle,
      reset: cycle,
      cutPowerAt: () => {
        throw new Error("this simulated module keeps its files in memory: no flash operations to cut");
      },
      faults: dev.line.faults,
      status: () => ({
        repl: dev.repl.state,
        baud: dev.line.baudRate,
        rx: dev.line.counters.rx,
        tx: dev.line.counters.tx,
      }),
    },
  };
}
