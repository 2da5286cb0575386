/**
 * The MicroPython REPL personality of the simulated module's REPL port: a `UartPeer` that
 * speaks exactly the bytes of `pyexec.c` as QuecPython ships it (reference section 4):
 * friendly REPL (`>>> `, Ctrl-A/B/C/D/E), paste mode, raw REPL (`OK`, output, `\x04`,
 * traceback, `\x04`, `>`), raw-paste with flow control (`\x05A\x01` -> `R\x01` + le16
 * window + `\x01`), soft reboot (`MPY: soft reboot`) that re-runs the module's boot step,
 * and `/usr/main.py` at boot in friendly mode, during which only Ctrl-C is heard.
 *
 * MicroPython's own `replProcessChar` is not used: its raw-paste path blocks waiting for
 * input that a synchronous WebAssembly call can never receive, and the device's bytes
 * (`\r\n` line ends, the soft-reboot text) differ from the WebAssembly port's.
 */
import type { UartPeer, UartTx } from "../serial/uart.js";
import { LineEditor, autoIndent, needsMoreInput } from "./line-editor.js";
import type { QuecServices } from "./services.js";
import { MicroPythonVm, type ExecResult } from "./vm.js";

export interface ReplConfig {
  services: QuecServices;
  tx: UartTx;
  /** First banner line (without `\r\n`), as `Ctrl-B` and boot print it. */
  banner?: string;
  /** Raw-paste window in bytes (le16 in the `R\x01` reply); 1..65535, 0 = raw-paste unsupported (`R\x00`). Default 128. */
  rawPasteWindow?: number;
  /**
   * Virtual microseconds `main.py` may run before it is parked (DESIGN.md "Runtime and
   * serial"); 0 = never park (only sensible with `pollInput`). Default 5 s.
   */
  mainBudgetUs?: number;
  /**
   * Virtual microseconds a program typed or sent to the REPL may run before it is parked, as
   * `mainBudgetUs` does for main.py; 0 = never (default).
   */
  execBudgetUs?: number;
  /** Python heap in bytes; 0 = default (1 MiB). */
  heapBytes?: number;
  /** REPL protection (`replFlag` in /usr/system_config.json): Ctrl-C and Ctrl-A are ignored. */
  replProtected?: () => boolean;
  /**
   * The module's boot step, run before every VM boot (power-on and soft reboot): mount
   * checks, backup restore, app-FOTA. It may print through `tx`. A thrown PowerLoss stops the boot.
   */
  onBoot?: () => void;
  /**
   * Synchronous source of host bytes while Python runs (serve mode reads the pseudo-terminal
   * here so an external tool's Ctrl-C reaches a busy `main.py`). Undefined = none.
   */
  pollInput?: () => Uint8Array | undefined;
}

type Mode = "booting" | "main" | "friendly" | "paste" | "raw" | "rawpaste";

const enc = new TextEncoder();
const RAW_BANNER = "raw REPL; CTRL-B to exit\r\n";
/**
 * Modelled VM cost of compiling and starting a program, in virtual µs: a fixed part and a
 * part per source byte (the lexer walks ~20 M characters/s on a 600 MHz Cortex-A core).
 */
const EXEC_BASE_US = 300;
const EXEC_PER_BYTE_US = 0.05;

export class ReplPersonality implements UartPeer {
  private vm: MicroPythonVm | undefined;
  private mode: Mode = "booting";
  /** The mode the REPL returns to after a soft reboot: raw stays raw and skips main.py. */
  private rawAfterBoot = false;
  private readonly queue: number[] = [];
  private readonly editor = new LineEditor();
  private continuation: string[] = [];
  private paste: number[] = [];
  private raw: number[] = [];
  private windowLeft = 0;
  /** What a Ctrl-C prints and does while a parked program "runs" (mode "main"). */
  private parked: { traceback: string; resume: () => void } | undefined;
  private interruptPending = false;
  private booting: Promise<void> = Promise.resolve();
  private bootError: unknown;

  constructor(private readonly cfg: ReplConfig) {}

  /** Power on: run the boot step, `main.py`, then print the banner. Await before expecting output. */
  powerOn(): Promise<void> {
    this.rawAfterBoot = false;
    return this.boot();
  }

  /** Resolves when no boot is in progress and every received byte was processed. */
  async idle(): Promise<void> {
    await this.booting;
    if (this.bootError !== undefined) throw this.bootError;
  }

  /** The REPL's state, for tests and the control channel. */
  get state(): Mode {
    return this.mode;
  }

  receive(data: Uint8Array): void {
    for (const b of data) this.queue.push(b);
    this.pump();
  }

  private send(s: string | Uint8Array): void {
    this.cfg.tx.send(typeof s === "string" ? enc.encode(s) : s);
  }

  private banner(): string {
    const first = this.cfg.banner ?? "MicroPython v1.13 on 2021-12-01; EC600N with QUECTEL";
    return `${first}\r\nType "help()" for more information.\r\n`;
  }

  private boot(): Promise<void> {
    this.mode = "booting";
    const run = async (): Promise<void> => {
      this.vm?.shutdown();
      this.vm = undefined;
      this.cfg.onBoot?.();
      this.vm = await MicroPythonVm.boot({
        services: this.cfg.services,
        heapBytes: this.cfg.heapBytes,
        output: (d) => this.send(d),
        checkInterrupt: () => this.checkInterrupt(),
      });
      if (this.rawAfterBoot) {
        this.mode = "raw";
        this.raw = [];
        this.send(RAW_BANNER + ">");
      } else {
        this.runMain();
      }
      this.pump();
    };
    this.bootError = undefined;
    this.booting = run().catch((e: unknown) => {
      // A power cut or a broken VM: the device is dead until the harness powers it again.
      this.bootError = e;
      this.mode = "booting";
    });
    return this.booting.then(() => {
      if (this.bootError !== undefined) throw this.bootError;
    });
  }

  private runMain(): void {
    const vm = this.vm;
    if (vm === undefined) return;
    const usr = this.cfg.services.mounts.findIndex((m) => m.path === "/usr");
    this.mode = "main";
    const budget = this.cfg.mainBudgetUs ?? 5_000_000;
    const r = usr < 0 ? undefined : vm.execFile(usr, "/main.py", "/usr/main.py", budget);
    if (r?.status === "parked") {
      this.park(r.traceback, () => this.enterFriendly());
      return;
    }
    if (r?.status === "reset") {
      this.restart();
      return;
    }
    if (r?.status === "error") this.send(r.traceback);
    this.enterFriendly();
  }

  /**
   * The program ran out of budget: from now on the module behaves as if it were still running
   * it (input dropped, only Ctrl-C heard). `resume` returns to the REPL after the traceback.
   */
  private park(traceback: string, resume: () => void): void {
    this.mode = "main";
    this.parked = { traceback: traceback.replace(/_FbPark:.*\r\n$/, "KeyboardInterrupt: \r\n"), resume };
  }

  private enterFriendly(): void {
    this.mode = "friendly";
    this.editor.reset();
    this.continuation = [];
    this.send(this.banner() + ">>> ");
  }

  /** A hardware restart asked for by the program: no soft-reboot banner, main.py runs. */
  private restart(): void {
    this.rawAfterBoot = false;
    void this.boot();
  }

  private softReboot(): void {
    this.send("MPY: soft reboot\r\n");
    void this.boot();
  }

  private protectedNow(): boolean {
    return this.cfg.replProtected?.() === true;
  }

  /** Called by the VM on every host call while Python runs. */
  private checkInterrupt(): boolean {
    const more = this.cfg.pollInput?.();
    if (more !== undefined) {
      for (const b of more) {
        if (b === 0x03 && !this.protectedNow()) this.interruptPending = true;
        else if (this.mode !== "main") this.queue.push(b);
      }
    }
    const hit = this.interruptPending;
    this.interruptPending = false;
    return hit;
  }

  /** A Ctrl-C already received behind the code being run would arrive while it runs. */
  private takeQueuedInterrupt(): void {
    const i = this.queue.indexOf(0x03);
    if (i >= 0 && !this.protectedNow()) {
      this.queue.splice(i, 1);
      this.interruptPending = true;
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.mode !== "booting") {
      const c = this.queue.shift() as number;
      switch (this.mode) {
        case "main":
          this.onMainByte(c);
          break;
        case "friendly":
          this.onFriendlyByte(c);
          break;
        case "paste":
          this.onPasteByte(c);
          break;
        case "raw":
          this.onRawByte(c);
          break;
        case "rawpaste":
          this.onRawPasteByte(c);
          break;
      }
    }
  }

  private exec(src: string, mode: "exec" | "single"): ExecResult {
    const vm = this.vm;
    if (vm === undefined) throw new Error("REPL used before boot");
    this.cfg.services.clock.advance(EXEC_BASE_US + EXEC_PER_BYTE_US * src.length);
    this.takeQueuedInterrupt();
    const r = vm.exec(src, { mode, filename: "<stdin>", budgetUs: this.cfg.execBudgetUs });
    this.interruptPending = false;
    return r;
  }

  private onMainByte(c: number): void {
    // While main.py runs the device's stdin callback discards everything but the interrupt char.
    if (c !== 0x03 || this.protectedNow() || this.parked === undefined) return;
    const p = this.parked;
    this.parked = undefined;
    this.send(p.traceback);
    p.resume();
  }

  private onFriendlyByte(c: number): void {
    const ev = this.editor.feed(c);
    if (ev.kind === "echo") this.send(ev.bytes);
    else if (ev.kind === "enter") this.onFriendlyLine(ev.line);
    else if (ev.kind === "control") this.onFriendlyControl(ev.code);
  }

  private onFriendlyControl(code: number): void {
    const fresh = this.continuation.length === 0;
    if (code === 0x03) {
      this.editor.reset();
      this.continuation = [];
      this.send("\r\n>>> ");
    } else if (!fresh) {
      return;
    } else if (code === 0x01) {
      if (this.protectedNow()) return;
      this.mode = "raw";
      this.raw = [];
      this.send("\r\n" + RAW_BANNER + ">");
    } else if (code === 0x02) {
      this.send("\r\n");
      this.enterFriendly();
    } else if (code === 0x04) {
      this.send("\r\n");
      this.rawAfterBoot = false;
      this.softReboot();
    } else if (code === 0x05) {
      this.mode = "paste";
      this.paste = [];
      this.send("\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ");
    }
  }

  private onFriendlyLine(line: string): void {
    this.send("\r\n");
    this.continuation.push(line);
    const src = this.continuation.join("\n");
    if (needsMoreInput(src)) {
      const indent = autoIndent(line);
      this.editor.prefill(indent);
      this.send("... " + indent);
      return;
    }
    this.continuation = [];
    if (src.trim() !== "") {
      this.finishFriendly(this.exec(src + "\n", "single"), true);
      return;
    }
    this.send(">>> ");
  }

  /**
   * After a program ran from the friendly REPL: restart, park, or print its traceback and the
   * prompt. `systemExitReboots`: a line that raises SystemExit soft-reboots the module.
   */
  private finishFriendly(r: ExecResult, systemExitReboots: boolean): void {
    if (r.status === "reset") {
      this.restart();
      return;
    }
    if (r.status === "parked") {
      this.park(r.traceback, () => {
        this.mode = "friendly";
        this.send(">>> ");
      });
      return;
    }
    if (r.status === "error") this.send(r.traceback);
    if (systemExitReboots && r.status === "error" && r.type === "SystemExit") {
      this.softReboot();
      return;
    }
    this.send(">>> ");
  }

  private onPasteByte(c: number): void {
    if (c === 0x03) {
      this.send("\r\n>>> ");
      this.mode = "friendly";
      this.editor.reset();
    } else if (c === 0x04) {
      this.send("\r\n");
      this.mode = "friendly";
      this.editor.reset();
      this.finishFriendly(this.exec(new TextDecoder().decode(new Uint8Array(this.paste)), "exec"), false);
    } else if (c === 0x0d) {
      this.paste.push(0x0a);
      this.send("\r\n=== ");
    } else {
      this.paste.push(c);
      this.send(new Uint8Array([c]));
    }
  }

  private onRawByte(c: number): void {
    if (c === 0x01) {
      if (this.raw.length === 2 && this.raw[0] === 0x05) {
        this.startRawPaste(this.raw[1] as number);
        return;
      }
      this.raw = [];
      this.send(RAW_BANNER + ">");
    } else if (c === 0x02) {
      this.send("\r\n");
      this.enterFriendly();
    } else if (c === 0x03) {
      this.raw = [];
    } else if (c === 0x04) {
      if (this.raw.length === 0) {
        this.send("OK\r\n");
        this.rawAfterBoot = true;
        this.softReboot();
        return;
      }
      const src = new TextDecoder().decode(new Uint8Array(this.raw));
      this.raw = [];
      this.send("OK");
      this.finishRaw(this.exec(src, "exec"));
    } else {
      this.raw.push(c);
    }
  }

  private finishRaw(r: ExecResult): void {
    if (r.status === "reset") {
      this.restart();
      return;
    }
    if (r.status === "parked") {
      this.park(r.traceback, () => {
        this.mode = "raw";
        this.raw = [];
      });
      // The traceback goes after the stdout marker, as for any uncaught exception.
      const p = this.parked;
      if (p !== undefined) p.traceback = "\x04" + p.traceback + "\x04>";
      return;
    }
    this.send("\x04");
    if (r.status === "error") this.send(r.traceback);
    this.send("\x04>");
  }

  private startRawPaste(sub: number): void {
    this.raw = [];
    const w = this.cfg.rawPasteWindow ?? 128;
    if (sub !== 0x41 || w === 0) {
      this.send("R\x00>");
      return;
    }
    this.mode = "rawpaste";
    this.windowLeft = w;
    this.send(new Uint8Array([0x52, 0x01, w & 0xff, (w >> 8) & 0xff, 0x01]));
  }

  private onRawPasteByte(c: number): void {
    if (c === 0x04 || c === 0x03) {
      this.mode = "raw";
      this.send("\x04");
      const src = new TextDecoder().decode(new Uint8Array(this.raw));
      this.raw = [];
      if (c === 0x03)
        this.finishRaw({ status: "error", type: "KeyboardInterrupt", traceback: "KeyboardInterrupt: \r\n" });
      else this.finishRaw(this.exec(src, "exec"));
      return;
    }
    this.raw.push(c);
    if (--this.windowLeft === 0) {
      this.windowLeft = this.cfg.rawPasteWindow ?? 128;
      this.send("\x01");
    }
  }
}
