/**
 * A typed handle on one instance of the MicroPython WebAssembly port
 * (`@micropython/micropython-webassembly-pyscript`).
 *
 * Why a wrapper: the package's glue keeps per-instance state in *globals* (`globalThis.Module`
 * and the `proxy_js_*` tables that map JS objects to references). Loading a second instance,
 * which every soft reboot and every second simulated device does, silently re-points those
 * globals, and the first instance then fails with "NULL object". `WasmPython` therefore saves
 * the globals of its instance after loading and puts them back before every call into it, so
 * any number of instances can live in one process (one runs at a time: JS is single-threaded).
 *
 * The rest of the runtime only passes strings, numbers and None across the boundary: no
 * PyProxy is ever created on the JS side, so the finalisation registry (which frees through
 * whichever instance is current) never touches another instance's heap.
 */
import { importExternal } from "../external-import.js";

/** The subset of the package's API that the runtime uses. */
interface LoadedMicroPython {
  _module: { _mp_sched_keyboard_interrupt(): void };
  registerJsModule(name: string, module: object): void;
  runPython(code: string): unknown;
}

interface LoadOptions {
  /** Python heap in bytes. */
  heapsize: number;
  /** Python stack (in words) for deep recursion; the package default is 2048. */
  pystack: number;
  linebuffer: boolean;
  stdout: (bytes: Uint8Array) => void;
  stderr: (bytes: Uint8Array) => void;
}

type Loader = (opts: LoadOptions) => Promise<LoadedMicroPython>;

/** The glue's per-instance globals (see the file comment). */
const REALM_GLOBALS = [
  "Module",
  "proxy_js_ref",
  "proxy_js_ref_next",
  "proxy_js_ref_map",
  "proxy_js_map",
  "proxy_js_existing",
  "pyProxyFinalizationRegistry",
] as const;

let loader: Loader | undefined;
let current: WasmPython | undefined;

async function getLoader(): Promise<Loader> {
  if (loader === undefined) {
    // The package ships JavaScript without type declarations; `LoadedMicroPython` above is
    // the part of its documented API we rely on.
    const mod = await importExternal<{ loadMicroPython: Loader }>(
      "@micropython/micropython-webassembly-pyscript/micropython.mjs",
    );
    loader = mod.loadMicroPython;
  }
  return loader;
}

/** Raised into JS when Python code run through `run` ends with an uncaught exception. */
export interface PythonFailure {
  type: string;
  message: string;
}

export interface WasmPythonOptions {
  /** Python heap in bytes (the device has about 1 MiB free; limits 64 KiB..64 MiB). */
  heapBytes: number;
  /** Receives every byte the VM writes to stdout or stderr, unconverted (bare `\n`). */
  output: (byte: number) => void;
}

export class WasmPython {
  private saved: Record<string, unknown> = {};

  private constructor(private readonly mp: LoadedMicroPython) {}

  static async load(opts: WasmPythonOptions): Promise<WasmPython> {
    if (!(opts.heapBytes >= 64 * 1024 && opts.heapBytes <= 64 * 1024 * 1024)) {
      throw new RangeError(`heapBytes ${opts.heapBytes} outside 64 KiB..64 MiB`);
    }
    const load = await getLoader();
    if (current !== undefined) current.save();
    const emit = (bytes: Uint8Array): void => {
      for (const b of bytes) opts.output(b);
    };
    const mp = await load({
      heapsize: opts.heapBytes,
      pystack: 4096,
      linebuffer: false,
      stdout: emit,
      stderr: emit,
    });
    const inst = new WasmPython(mp);
    current = inst;
    inst.save();
    return inst;
  }

  private save(): void {
    const g = globalThis as unknown as Record<string, unknown>;
    for (const k of REALM_GLOBALS) this.saved[k] = g[k];
  }

  /** Make this instance the one the glue's globals point at. */
  private activate(): void {
    if (current === this) return;
    if (current !== undefined) current.save();
    const g = globalThis as unknown as Record<string, unknown>;
    for (const k of REALM_GLOBALS) g[k] = this.saved[k];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- records which instance owns the glue's globals
    current = this;
  }

  registerModule(name: string, module: object): void {
    this.activate();
    this.mp.registerJsModule(name, module);
  }

  /**
   * Run Python source in `__main__`. Returns undefined on success or the uncaught exception.
   * A JS exception thrown by a host function (PowerLoss) passes straight through.
   */
  run(code: string): PythonFailure | undefined {
    this.activate();
    try {
      this.mp.runPython(code);
      return undefined;
    } catch (e) {
      if (e instanceof Error && e.name === "PythonError") {
        return { type: String((e as Error & { type?: unknown }).type), message: e.message };
      }
      throw e;
    }
  }

  /** Ask the VM to raise KeyboardInterrupt at its next check (only valid while it runs). */
  scheduleKeyboardInterrupt(): void {
    this.activate();
    this.mp._module._mp_sched_keyboard_interrupt();
  }
}
