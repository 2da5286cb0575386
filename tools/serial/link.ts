/**
 * The host side of a serial line, as the flasher and the REPL client use it. Implemented over
 * node-serialport (so real hardware, the in-process simulator binding and a mock are reached
 * the same way) and by `MemoryLinkPair` for unit tests. Every read has a deadline.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";

export interface SerialLink {
  /** A name for messages: the port path, or "sim:<name>". */
  readonly name: string;
  write(data: Uint8Array): Promise<void>;
  /**
   * Wait up to `timeoutMs` for at least one byte and return everything buffered so far.
   * Rejects with a `SERIAL_TIMEOUT` FlashbakError when nothing arrived in time.
   */
  read(timeoutMs: number): Promise<Uint8Array>;
  /** Drop any bytes received and not yet read. */
  discardInput(): Promise<void>;
  setBaudRate(baud: number): Promise<void>;
  setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void>;
  /**
   * False once the port turned out to have no DTR/RTS lines (a pseudo-terminal): reset
   * sequences do nothing there. Undefined when the link cannot tell.
   */
  readonly modemLines?: boolean;
  close(): Promise<void>;
}

export class SerialTimeout extends FlashbakError {
  constructor(link: string, timeoutMs: number, waitingFor = "data") {
    super("SERIAL_TIMEOUT", `${link}: no ${waitingFor} within ${timeoutMs} ms`, {
      hint: "check the port name, the cable, the baud rate, and that no other program holds the port",
    });
  }
}
