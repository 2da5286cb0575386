/**
 * The interactive terminal of `flashbak repl`: keystrokes go to the module unchanged (raw
 * mode, so Ctrl-C/Ctrl-D/Ctrl-E reach MicroPython), the module's output goes to the screen,
 * and Ctrl-] (0x1d, as in telnet and miniterm) ends the session.
 */
import { SerialTimeout, type SerialLink } from "../serial/link.js";

export const EXIT_KEY = 0x1d;

export interface TerminalIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: { write(data: Uint8Array | string): unknown };
}

/** Relay until Ctrl-] is typed or the input ends; resolves then (the link stays open). */
export async function runTerminal(link: SerialLink, tio: TerminalIo): Promise<void> {
  let done = false;
  let ended = false;
  let failure: unknown;
  const raw = tio.input.isTTY === true && typeof tio.input.setRawMode === "function";
  if (raw) tio.input.setRawMode?.(true);
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const stop = bytes.indexOf(EXIT_KEY);
    const send = stop >= 0 ? bytes.subarray(0, stop) : bytes;
    if (send.length > 0)
      link.write(new Uint8Array(send)).catch((e: unknown) => ((failure = e), (done = true)));
    if (stop >= 0) done = true;
  };
  const onEnd = (): void => {
    ended = true;
    done = true;
  };
  tio.input.on("data", onData);
  tio.input.on("end", onEnd);
  tio.input.resume();
  try {
    while (!done) {
      try {
        tio.output.write(await link.read(100));
      } catch (e) {
        if (!(e instanceof SerialTimeout)) throw e;
      }
    }
    if (failure !== undefined) throw failure;
    // Piped input ran out: show the module's answer to the last line before leaving.
    while (ended) {
      try {
        tio.output.write(await link.read(300));
      } catch (e) {
        if (!(e instanceof SerialTimeout)) throw e;
        break;
      }
    }
  } finally {
    tio.input.off("data", onData);
    tio.input.off("end", onEnd);
    tio.input.pause();
    if (raw) tio.input.setRawMode?.(false);
  }
}
