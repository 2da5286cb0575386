/**
 * Host side of MicroPython's raw REPL (reference section 4), for real modules and the
 * simulator alike, over any `SerialLink`:
 *  - `enter()` gets from wherever the device is (a busy main.py, the friendly REPL, paste
 *    mode, the raw REPL) to the raw prompt: Ctrl-C twice, Ctrl-A, retried; a device that
 *    never answers (REPL protection) yields a clear `REPL_BLOCKED` error;
 *  - `exec()` uses raw-paste with the device's flow-control window when it is offered and
 *    falls back to the plain raw REPL (256-byte writes) when it is not;
 *  - every wait has a deadline.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";
import { SerialTimeout, type SerialLink } from "../serial/link.js";
import { isSimPort, openLink } from "../serial/open-link.js";

export interface RawReplOptions {
  /** Deadline in ms for each protocol step (prompt, OK, handshake). Default 3000. */
  stepTimeoutMs?: number;
  /** Deadline in ms for a program's output to complete. Default 30000. */
  execTimeoutMs?: number;
  /** Ctrl-C/Ctrl-A rounds before giving up on entering the raw REPL (1..10). Default 4. */
  enterAttempts?: number;
  /** Use raw-paste when the device offers it. Default true. */
  rawPaste?: boolean;
  /** Pause in ms between 256-byte writes in plain raw mode (no flow control). Default 10; 0 for the simulator. */
  rawChunkDelayMs?: number;
}

export interface ExecOutput {
  stdout: Uint8Array;
  /** The traceback text, "" when the program ended normally. */
  stderr: string;
}

const RAW_BANNER = enc("raw REPL; CTRL-B to exit\r\n>");
/** How the friendly REPL's banner ends: seeing it in the middle of an exec means a restart. */
const FRIENDLY_BANNER_END = enc('Type "help()" for more information.\r\n>>> ');

function enc(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A failed exec: the device printed a traceback. */
export class ReplExecError extends FlashbakError {
  constructor(
    readonly traceback: string,
    readonly stdout: Uint8Array,
  ) {
    const last = traceback.trim().split(/\r?\n/).pop() ?? "error";
    super("REPL_EXEC", `device raised ${last}`, { details: { traceback } });
  }
}

export class RawRepl {
  private rx = new Uint8Array(0);
  private inRaw = false;
  /** undefined until the first exec asks the device. */
  private pasteWindow: number | undefined;
  private readonly o: Required<RawReplOptions>;

  constructor(
    readonly link: SerialLink,
    opts: RawReplOptions = {},
  ) {
    this.o = {
      stepTimeoutMs: opts.stepTimeoutMs ?? 3000,
      execTimeoutMs: opts.execTimeoutMs ?? 30000,
      enterAttempts: Math.min(10, Math.max(1, opts.enterAttempts ?? 4)),
      rawPaste: opts.rawPaste ?? true,
      rawChunkDelayMs: opts.rawChunkDelayMs ?? 10,
    };
  }

  /** The raw-paste window the device offered (0 = not supported, undefined = not asked yet). */
  get window(): number | undefined {
    return this.pasteWindow;
  }

  private async fill(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new SerialTimeout(this.link.name, 0, what);
    let got: Uint8Array;
    try {
      got = await this.link.read(left);
    } catch (e) {
      if (e instanceof SerialTimeout) throw new SerialTimeout(this.link.name, left, what);
      throw e;
    }
    const next = new Uint8Array(this.rx.length + got.length);
    next.set(this.rx);
    next.set(got, this.rx.length);
    this.rx = next;
  }

  /**
   * Read until `pattern`; returns the bytes before it and consumes the pattern. With
   * `watchReset`, the friendly banner showing up first means the module restarted (power cut,
   * watchdog, `machine.reset()`): fail at once instead of waiting out the deadline.
   */
  private async readUntil(
    pattern: Uint8Array,
    timeoutMs: number,
    what: string,
    watchReset = false,
  ): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = indexOf(this.rx, pattern);
      if (i >= 0) {
        const before = this.rx.slice(0, i);
        this.rx = this.rx.slice(i + pattern.length);
        return before;
      }
      if (watchReset && indexOf(this.rx, FRIENDLY_BANNER_END) >= 0) {
        this.forgetState();
        throw new FlashbakError(
          "DEVICE_RESET",
          `${this.link.name}: the module restarted while waiting for ${what}`,
          {
            hint: "power was lost or the module reset; the command's effect is unknown: check and retry",
          },
        );
      }
      await this.fill(deadline, what);
    }
  }

  private async readExactly(n: number, timeoutMs: number, what: string): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.rx.length < n) await this.fill(deadline, what);
    const out = this.rx.slice(0, n);
    this.rx = this.rx.slice(n);
    return out;
  }

  /** Drop whatever arrives within `quietMs` (a device printing a traceback or a banner). */
  private async drain(quietMs: number): Promise<void> {
    this.rx = new Uint8Array(0);
    for (;;) {
      try {
        await this.link.read(quietMs);
      } catch (e) {
        if (e instanceof SerialTimeout) return;
        throw e;
      }
    }
  }

  /** Get to the raw REPL prompt from any state. */
  async enter(): Promise<void> {
    if (this.inRaw) return;
    for (let attempt = 1; attempt <= this.o.enterAttempts; attempt++) {
      await this.link.write(enc("\r\x03\x03"));
      await this.drain(Math.min(200, this.o.stepTimeoutMs));
      await this.link.write(enc("\r\x01"));
      try {
        await this.readUntil(RAW_BANNER, this.o.stepTimeoutMs, "raw REPL prompt");
        this.inRaw = true;
        return;
      } catch (e) {
        if (!(e instanceof SerialTimeout)) throw e;
      }
    }
    throw new FlashbakError(
      "REPL_BLOCKED",
      `${this.link.name}: the device did not enter the raw REPL after ${this.o.enterAttempts} tries`,
      {
        hint:
          "a running main.py may ignore Ctrl-C, or REPL protection is on (replFlag in /usr/system_config.json); " +
          "check the baud rate and that this is the REPL port",
      },
    );
  }

  /**
   * Assume nothing about the device's state (after a time-out the program may still run):
   * the next command starts again with Ctrl-C and Ctrl-A.
   */
  forgetState(): void {
    this.inRaw = false;
    this.rx = new Uint8Array(0);
  }

  /** Soft-reboot from the raw REPL (re-runs the module's boot, including backup restore). */
  async softReset(): Promise<void> {
    await this.enter();
    await this.link.write(enc("\x04"));
    await this.readUntil(enc("soft reboot\r\n"), this.o.stepTimeoutMs, "soft reboot");
    await this.readUntil(RAW_BANNER, this.o.stepTimeoutMs * 3, "raw REPL after soft reboot");
  }

  /** Back to the friendly REPL. */
  async exit(): Promise<void> {
    if (!this.inRaw) return;
    await this.link.write(enc("\r\x02"));
    this.inRaw = false;
  }

  /** Run `code` and return its output; a traceback is returned, not thrown (see `execOk`). */
  async exec(code: string | Uint8Array, timeoutMs = this.o.execTimeoutMs): Promise<ExecOutput> {
    await this.enter();
    const bytes = typeof code === "string" ? enc(code) : code;
    let viaPaste = false;
    if (this.o.rawPaste && this.pasteWindow !== 0) viaPaste = await this.tryRawPaste(bytes);
    if (!viaPaste) await this.rawWrite(bytes);
    try {
      const stdout = await this.readUntil(enc("\x04"), timeoutMs, "program output", true);
      const stderr = await this.readUntil(enc("\x04"), this.o.stepTimeoutMs, "error output");
      await this.readUntil(enc(">"), this.o.stepTimeoutMs, "raw REPL prompt");
      return { stdout, stderr: new TextDecoder().decode(stderr) };
    } catch (e) {
      // The program may still be running: the next command must interrupt it first.
      if (e instanceof SerialTimeout) this.forgetState();
      throw e;
    }
  }

  /** `exec`, throwing `ReplExecError` with the traceback when the program failed. */
  async execOk(code: string | Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    const r = await this.exec(code, timeoutMs);
    if (r.stderr !== "") throw new ReplExecError(r.stderr, r.stdout);
    return r.stdout;
  }

  /** Text output of a successful exec. */
  async eval(code: string, timeoutMs?: number): Promise<string> {
    return new TextDecoder().decode(await this.execOk(code, timeoutMs));
  }

  private async tryRawPaste(bytes: Uint8Array): Promise<boolean> {
    await this.link.write(enc("\x05A\x01"));
    const head = await this.readExactly(2, this.o.stepTimeoutMs, "raw-paste reply");
    if (head[0] === 0x52 && head[1] === 0x01) {
      const w = await this.readExactly(2, this.o.stepTimeoutMs, "raw-paste window");
      this.pasteWindow = (w[0] as number) | ((w[1] as number) << 8);
      await this.pasteWrite(bytes, this.pasteWindow);
      return true;
    }
    this.pasteWindow = 0;
    if (head[0] === 0x52 && head[1] === 0x00) {
      // Understood but unsupported; some builds then print a fresh '>' which the OK wait skips.
      return false;
    }
    // Firmware older than raw-paste took \x05A\x01 as raw-REPL input and re-printed the banner.
    await this.readUntil(enc("w REPL; CTRL-B to exit\r\n>"), this.o.stepTimeoutMs, "raw REPL banner");
    return false;
  }

  private async pasteWrite(bytes: Uint8Array, window: number): Promise<void> {
    let remaining = window;
    let i = 0;
    const takeCredits = (): boolean => {
      // Consume flow-control bytes already received; true when the device aborted (\x04).
      let k = 0;
      for (; k < this.rx.length; k++) {
        const b = this.rx[k];
        if (b === 0x01) remaining += window;
        else if (b === 0x04) {
          this.rx = this.rx.slice(k + 1);
          return true;
        }
      }
      this.rx = this.rx.slice(k);
      return false;
    };
    while (i < bytes.length) {
      if (takeCredits()) {
        // The device stopped reading (compile error or interrupt): finish the handshake.
        await this.link.write(enc("\x04"));
        return;
      }
      if (remaining === 0) {
        await this.fill(Date.now() + this.o.stepTimeoutMs, "raw-paste flow control");
        continue;
      }
      const n = Math.min(remaining, bytes.length - i);
      await this.link.write(bytes.subarray(i, i + n));
      i += n;
      remaining -= n;
    }
    await this.link.write(enc("\x04"));
    // The device acknowledges the end of data with \x04; flow-control bytes may precede it.
    await this.readUntil(enc("\x04"), this.o.stepTimeoutMs, "raw-paste end handshake", true);
  }

  private async rawWrite(bytes: Uint8Array): Promise<void> {
    for (let i = 0; i < bytes.length; i += 256) {
      await this.link.write(bytes.subarray(i, i + 256));
      if (this.o.rawChunkDelayMs > 0) await sleep(this.o.rawChunkDelayMs);
    }
    await this.link.write(enc("\x04"));
    const before = await this.readUntil(enc("OK"), this.o.stepTimeoutMs, "OK");
    if (before.some((b) => b !== 0x3e)) {
      throw new FlashbakError(
        "REPL_PROTOCOL",
        `${this.link.name}: unexpected bytes before OK: ${JSON.stringify(new TextDecoder().decode(before))}`,
      );
    }
  }
}

/**
 * One command's conversation with a module's REPL: open the port, enter the raw REPL, run the
 * work, leave the raw REPL (so a person's terminal finds the friendly prompt) and close the
 * port, whatever happened.
 */
export interface SessionOptions {
  /** Port path, "sim" or "sim:<name>". */
  port: string;
  /** Bits/s; the QuecPython REPL port runs at 115200 (USB CDC ports ignore it). */
  baud?: number;
  /** Soft-reboot first (re-runs boot and backup restore, and skips main.py). Default false. */
  softReset?: boolean;
  repl?: RawReplOptions;
}

export async function withRawRepl<T>(opts: SessionOptions, work: (repl: RawRepl) => Promise<T>): Promise<T> {
  const link = await openLink(opts.port, opts.baud ?? 115200);
  try {
    // The simulator needs no pauses between raw-REPL chunks: it has no UART FIFO to overrun.
    const repl = new RawRepl(link, { rawChunkDelayMs: isSimPort(opts.port) ? 0 : 10, ...opts.repl });
    await repl.enter();
    if (opts.softReset) await repl.softReset();
    const result = await work(repl);
    await repl.exit();
    return result;
  } finally {
    await link.close();
  }
}
