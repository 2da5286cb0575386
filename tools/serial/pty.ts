/**
 * A pseudo-terminal that real tools (picocom, screen, miniterm, mpremote) open like a serial
 * port, backed by the python3 helper in pty-helper.ts. Node reads the host's bytes and
 * control lines synchronously from a FIFO, so `poll()` can be called from inside a running
 * MicroPython program (the REPL's `pollInput` hook), and also from a timer otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlashbakError } from "../../firmware-sim/errors.js";
import { PTY_HELPER_PY } from "./pty-helper.js";

export interface PtyEvents {
  /** Bytes a terminal program wrote to the pseudo-terminal. */
  onData(data: Uint8Array): void;
  /** A control-channel line from client `client` (answer with `reply`). */
  onControl?(client: number, line: string): void;
}

export interface PtyOptions {
  /** Also create this symlink to the slave (a stable name like /tmp/flashbak-ttyQ). */
  link?: string;
  /** Listen for control-channel clients on this unix socket path. */
  controlSocket?: string;
  /** python3 executable; default: the one `python3` on the PATH resolves to. */
  python?: string;
  /** Deadline for the helper to start, ms. Default 10000. */
  startTimeoutMs?: number;
}

let resolvedPython: string | undefined;

/** The python3 interpreter's own path: version-manager shims (pyenv) add a second per start. */
function python3(): string {
  if (resolvedPython === undefined) {
    try {
      resolvedPython = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
        timeout: 15000,
      })
        .toString()
        .trim();
    } catch {
      resolvedPython = "python3";
    }
  }
  return resolvedPython;
}

export class PtyBridge {
  private inbuf = Buffer.alloc(0);
  /** One read buffer for every poll: polls run every 2 ms, and most find nothing. */
  private readonly chunk = Buffer.allocUnsafe(65536);
  private closed = false;

  private constructor(
    /** The slave device path, e.g. /dev/pts/7. */
    readonly path: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly outFd: number,
    private readonly inFd: number,
    private readonly events: PtyEvents,
    private readonly link: string | undefined,
  ) {}

  static async open(events: PtyEvents, opts: PtyOptions = {}): Promise<PtyBridge> {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-pty-"));
    const child = spawn(opts.python ?? python3(), ["-c", PTY_HELPER_PY, dir, opts.controlSocket ?? ""], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const path = await new Promise<string>((resolve, reject) => {
      let text = "";
      const timer = setTimeout(
        () => reject(new FlashbakError("PTY_START", "the pseudo-terminal helper did not start in time")),
        opts.startTimeoutMs ?? 10000,
      );
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(
          new FlashbakError("PTY_START", `cannot run python3 for the pseudo-terminal: ${e.message}`, {
            hint: "install python3",
          }),
        );
      });
      child.stdout?.on("data", (d: Buffer) => {
        text += d.toString();
        const m = /READY (\S+)\n/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    // The helper holds the "in" FIFO open for reading, so these opens return at once.
    const outFd = openSync(join(dir, "out"), constants.O_RDONLY | constants.O_NONBLOCK);
    const inFd = openSync(join(dir, "in"), constants.O_WRONLY);
    if (opts.link !== undefined) {
      try {
        unlinkSync(opts.link);
      } catch {
        // no previous link
      }
      symlinkSync(path, opts.link);
    }
    return new PtyBridge(path, child, dir, outFd, inFd, events, opts.link);
  }

  /** Read whatever the helper forwarded and dispatch it. Safe to call at any time, never blocks. */
  poll(): void {
    if (this.closed) return;
    const chunk = this.chunk;
    for (;;) {
      let n = 0;
      try {
        n = readSync(this.outFd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw e;
      }
      if (n === 0) break;
      this.inbuf = Buffer.concat([this.inbuf, chunk.subarray(0, n)]);
    }
    while (this.inbuf.length >= 5) {
      const len = this.inbuf.readUInt32BE(1);
      if (this.inbuf.length < 5 + len) break;
      const kind = String.fromCharCode(this.inbuf[0] as number);
      const payload = this.inbuf.subarray(5, 5 + len);
      this.inbuf = this.inbuf.subarray(5 + len);
      if (kind === "D") this.events.onData(new Uint8Array(payload));
      else if (kind === "C") {
        const text = payload.toString("utf8");
        const sp = text.indexOf(" ");
        this.events.onControl?.(Number(text.slice(0, sp)), text.slice(sp + 1));
      }
    }
  }

  private frame(kind: string, payload: Uint8Array): void {
    if (this.closed) return;
    const head = Buffer.alloc(5);
    head.write(kind, 0, "latin1");
    head.writeUInt32BE(payload.length, 1);
    const all = Buffer.concat([head, payload]);
    let off = 0;
    while (off < all.length) off += writeSync(this.inFd, all, off);
  }

  /** Bytes from the module to the terminal program. Synchronous (usable inside the VM). */
  write(data: Uint8Array): void {
    this.frame("D", data);
  }

  /** Answer a control-channel line. */
  reply(client: number, line: string): void {
    this.frame("R", Buffer.from(`${client} ${line.replace(/\n/g, " ")}`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
      this.child.stdin?.end();
      const t = setTimeout(() => this.child.kill(), 2000);
      await exited;
      clearTimeout(t);
    }
    closeSync(this.outFd);
    closeSync(this.inFd);
    rmSync(this.dir, { recursive: true, force: true });
    if (this.link !== undefined) rmSync(this.link, { force: true });
  }
}
