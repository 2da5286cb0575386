/**
 * One booted MicroPython VM of the simulated module: the WebAssembly interpreter with the
 * QuecPython modules installed and every `Mount` of the services mounted through the VFS
 * bridge. A soft reboot or a power cycle throws the VM away and boots a new one, as the
 * device's heap does not survive either.
 *
 * Execution is synchronous. A running program is interrupted at its next call into the host
 * (`utime.sleep`, a file operation, `modem`...): the check hook asks `checkInterrupt`
 * whether a Ctrl-C is waiting and, if so, schedules a KeyboardInterrupt in the VM.
 * `main.py` may also be given a virtual-time budget after which it is *parked* (see
 * `ExecOptions.budgetUs` and DESIGN.md "Runtime and serial").
 */
import { isPowerLoss } from "../errors.js";
import { readFile } from "../fs/fs-util.js";
import { HostBridge } from "./host-bridge.js";
import { WasmPython } from "./micropython-wasm.js";
import { QUEC_PYTHON } from "./python-quec.js";
import { VFS_PYTHON } from "./python-vfs.js";
import type { QuecServices } from "./services.js";

export interface VmOptions {
  services: QuecServices;
  /** Python heap in bytes; 0 means the default of 1 MiB (the EC600N's free heap is ~1 MiB). */
  heapBytes?: number;
  /** Seconds since 1970 at virtual time 0 (what `utime.time()` adds to the clock). Default 2026-01-01. */
  epochBaseS?: number;
  /** Receives program output as the UART sends it: `\n` already cooked to `\r\n`. */
  output: (data: Uint8Array) => void;
  /** Asked on every host call while a program runs: true when the host sent Ctrl-C. */
  checkInterrupt?: () => boolean;
}

export interface ExecOptions {
  /** "exec" runs a file or raw-REPL buffer; "single" is the friendly REPL (echoes expression values). */
  mode: "exec" | "single";
  /** Name shown in tracebacks: "<stdin>" for the REPL, "/usr/main.py" for the boot script. */
  filename: string;
  /**
   * Virtual microseconds the program may run before it is parked at its next `utime.sleep*`
   * call; 0 or undefined = no limit. Used for `main.py` only.
   */
  budgetUs?: number;
}

export type ExecResult =
  | { status: "ok" }
  /** Uncaught exception: `traceback` is MicroPython's text with `\r\n` line ends. */
  | { status: "error"; type: string; traceback: string }
  /** Budget spent: the program is frozen; `traceback` names where it stood. */
  | { status: "parked"; traceback: string }
  /** The program asked for a hardware restart (`machine.reset()`, `misc.Power.powerRestart()`). */
  | { status: "reset" };

const RUNNER_PYTHON = String.raw`
import sys, io, _fbhost
G = {'__name__': '__main__'}
def run():
    try:
        exec(compile(_fbhost.job_src(), _fbhost.job_name(), _fbhost.job_mode()), G)
    except BaseException as e:
        b = io.StringIO()
        sys.print_exception(e, b)
        _fbhost.job_failed(type(e).__name__, b.getvalue())
sys.modules['_fbrun'] = run
`;

const DEFAULT_EPOCH_S = Date.UTC(2026, 0, 1) / 1000;

function cook(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

/**
 * Drop the frames of the runner and of the shims (all compiled as "<string>") so tracebacks
 * look like the device's, whose frozen modules are not shown either.
 */
function cleanTraceback(tb: string): string {
  return tb.replace(/ {2}File "<string>", line \d+, in [^\r\n]*\r?\n/g, "");
}

export class MicroPythonVm {
  private py!: WasmPython;
  private bridge!: HostBridge;
  private pending: number[] = [];
  private running = false;
  private deadlineUs = 0;
  private job = { src: "", name: "", mode: "exec" };
  private failure: { type: string; traceback: string } | undefined;
  private dead = false;

  private constructor(private readonly opts: VmOptions) {}

  static async boot(opts: VmOptions): Promise<MicroPythonVm> {
    const vm = new MicroPythonVm(opts);
    await vm.init();
    return vm;
  }

  private async init(): Promise<void> {
    const o = this.opts;
    this.py = await WasmPython.load({
      heapBytes: o.heapBytes || 1024 * 1024,
      output: (b) => {
        if (b === 10) this.pending.push(13);
        this.pending.push(b);
      },
    });
    this.bridge = new HostBridge(
      o.services,
      {
        poll: () => this.poll(),
        shouldPark: () => this.deadlineUs > 0 && o.services.clock.now() >= this.deadlineUs,
      },
      o.epochBaseS ?? DEFAULT_EPOCH_S,
    );
    const mod = this.bridge.module();
    mod.job_src = () => this.job.src;
    mod.job_name = () => this.job.name;
    mod.job_mode = () => this.job.mode;
    mod.job_failed = (type: string, tb: string) => {
      this.failure = { type, traceback: cook(cleanTraceback(tb)) };
    };
    this.py.registerModule("_fbhost", mod);
    const mountLines = o.services.mounts.map(
      (m, i) =>
        `os.mount(_FbVfs(${i}), ${JSON.stringify(m.path)}${m.readOnly || m.fs.readOnly ? ", readonly=True" : ""})`,
    );
    // Each piece runs in a private dict so the REPL's namespace stays as clean as a device's.
    for (const src of [
      QUEC_PYTHON,
      [VFS_PYTHON, "import os", "os.umount('/')", ...mountLines].join("\n"),
      RUNNER_PYTHON,
    ]) {
      this.job.src = src;
      this.mustRun("exec(__import__('_fbhost').job_src(), {})");
    }
  }

  private mustRun(code: string): void {
    const f = this.py.run(code);
    if (f !== undefined) throw new Error(`MicroPython runtime setup failed: ${f.message}`);
  }

  private poll(): void {
    this.flush();
    if (this.running && this.opts.checkInterrupt?.() === true) this.py.scheduleKeyboardInterrupt();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const out = new Uint8Array(this.pending);
    this.pending = [];
    this.opts.output(out);
  }

  /** True once a PowerLoss went through this VM: it must be thrown away. */
  get isDead(): boolean {
    return this.dead;
  }

  /** Run source code to completion (or interruption, or parking). */
  exec(src: string, opts: ExecOptions): ExecResult {
    if (this.dead) throw new Error("MicroPython VM used after a power cut");
    this.job = { src, name: opts.filename, mode: opts.mode };
    this.failure = undefined;
    this.deadlineUs = opts.budgetUs ? this.opts.services.clock.now() + opts.budgetUs : 0;
    this.running = true;
    try {
      const f = this.py.run("__import__('sys').modules['_fbrun']()");
      if (f !== undefined) this.failure = { type: f.type, traceback: cook(f.message) };
    } catch (e) {
      if (isPowerLoss(e)) this.dead = true;
      throw e;
    } finally {
      this.running = false;
      this.deadlineUs = 0;
      this.flush();
    }
    const fail = this.failure;
    if (fail === undefined) return { status: "ok" };
    if (fail.type === "_FbPark") return { status: "parked", traceback: fail.traceback };
    if (fail.type === "_FbReset") return { status: "reset" };
    return { status: "error", type: fail.type, traceback: fail.traceback };
  }

  /** Run a file of a mounted file system as `main.py` is run at boot. Undefined when absent. */
  execFile(mountIndex: number, path: string, displayName: string, budgetUs?: number): ExecResult | undefined {
    const m = this.opts.services.mounts[mountIndex];
    if (m === undefined) return undefined;
    let src: string;
    try {
      src = new TextDecoder().decode(readFile(m.fs, path));
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      return undefined;
    }
    return this.exec(src, { mode: "exec", filename: displayName, budgetUs });
  }

  /** Close open files before a soft reboot (a power cut skips this). */
  shutdown(): void {
    if (!this.dead) this.bridge.closeAll();
  }
}
