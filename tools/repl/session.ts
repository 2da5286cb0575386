/**
 * One command's conversation with a module's REPL: open the port, enter the raw REPL, run the
 * work, leave the raw REPL (so a person's terminal finds the friendly prompt) and close the
 * port, whatever happened.
 */
import { isSimPort, openLink } from "../serial/open-link.js";
import { RawRepl, type RawReplOptions } from "./raw-repl.js";

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
