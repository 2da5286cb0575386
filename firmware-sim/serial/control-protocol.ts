/**
 * The `serve` control channel's line protocol (SPEC.md "Control channel"): one command per
 * line, one reply line per command, `OK ...` or `ERR <reason>`. This file parses and
 * dispatches; the socket lives in tools/serial/control-server.ts and the actions in a
 * `ControlTarget` that the module harness implements.
 */
import { isPowerLoss } from "../errors.js";
import type { LineDirection, LineFaults } from "./line-faults.js";

export interface ControlTarget {
  /** Power off and on again: RAM and the VM are lost, the flash keeps what was committed. */
  powerCycle(): void;
  /** Press the reset key: like a power cycle for the software, without disturbing the flash. */
  reset(): void;
  /**
   * Cut the power during flash operation `n` from now (1 = the next one), then power on again.
   * Throws `Error` with a reason when the device has no flash model.
   */
  cutPowerAt(n: number): void;
  /**
   * Reset with the boot strap held (IO0 low): the mask ROM's download mode answers on the
   * UART. A pseudo-terminal has no modem lines, so this is how a host tool gets there.
   * Optional: a device without a download mode answers ERR.
   */
  enterDownload?(): void;
  /** The line's fault injector. */
  readonly faults: LineFaults;
  /** Key/value facts for `status` (mode of the REPL, baud, flash operations so far...). */
  status(): Record<string, string | number | boolean>;
}

export type ControlCommand =
  | { op: "help" }
  | { op: "status" }
  | { op: "power-cycle" }
  | { op: "reset" }
  | { op: "download" }
  | { op: "cut-power"; at: number }
  | { op: "flip-bits"; dir: LineDirection; count: number }
  | { op: "drop-bytes"; dir: LineDirection; count: number }
  | { op: "disconnect" }
  | { op: "reconnect" };

export const CONTROL_HELP =
  "commands: status | power-cycle | reset | download | cut-power next | cut-power at <n> | " +
  "flip-bits rx|tx <n> | drop-bytes rx|tx <n> | disconnect | reconnect | help";

function count(word: string | undefined, what: string): number {
  const n = Number(word);
  if (word === undefined || !Number.isInteger(n) || n < 1 || n > 1_000_000_000)
    throw new Error(`${what} must be an integer 1..1e9`);
  return n;
}

function direction(word: string | undefined): LineDirection {
  if (word === "rx" || word === "tx") return word;
  throw new Error("direction must be rx (host to module) or tx (module to host)");
}

/** Parse one line (case-insensitive, extra spaces allowed). Throws `Error` with the reason. */
export function parseControl(line: string): ControlCommand {
  const w = line.trim().toLowerCase().split(/\s+/).filter(Boolean);
  switch (w[0]) {
    case "help":
    case "status":
    case "power-cycle":
    case "reset":
    case "download":
    case "disconnect":
    case "reconnect":
      if (w.length !== 1) throw new Error(`${w[0]} takes no arguments`);
      return { op: w[0] };
    case "cut-power":
      if (w[1] === "next" && w.length === 2) return { op: "cut-power", at: 1 };
      if (w[1] === "at" && w.length === 3)
        return { op: "cut-power", at: count(w[2], "the operation number") };
      throw new Error("usage: cut-power next | cut-power at <n>");
    case "flip-bits":
    case "drop-bytes":
      if (w.length !== 3) throw new Error(`usage: ${w[0]} rx|tx <n>`);
      return { op: w[0], dir: direction(w[1]), count: count(w[2], "the byte count") };
    case undefined:
      throw new Error("empty command");
    default:
      throw new Error(`unknown command "${w[0]}"`);
  }
}

/** Run one command line against `target`; returns the reply line (without the newline). */
export function handleControl(line: string, target: ControlTarget): string {
  let cmd: ControlCommand;
  try {
    cmd = parseControl(line);
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
  try {
    switch (cmd.op) {
      case "help":
        return `OK ${CONTROL_HELP}`;
      case "status":
        return (
          "OK " +
          Object.entries(target.status())
            .map(([k, v]) => `${k}=${String(v).replace(/\s+/g, "_")}`)
            .join(" ")
        );
      case "power-cycle":
        target.powerCycle();
        return "OK power cycled";
      case "reset":
        target.reset();
        return "OK reset";
      case "download":
        if (target.enterDownload === undefined) return "ERR this simulated module has no download mode";
        target.enterDownload();
        return "OK download mode (ROM loader waiting for SYNC)";
      case "cut-power":
        target.cutPowerAt(cmd.at);
        return `OK power will be cut at flash operation +${cmd.at}`;
      case "flip-bits":
        target.faults.flipBits(cmd.dir, cmd.count);
        return `OK next ${cmd.count} ${cmd.dir} bytes get one flipped bit each`;
      case "drop-bytes":
        target.faults.dropBytes(cmd.dir, cmd.count);
        return `OK next ${cmd.count} ${cmd.dir} bytes will be dropped`;
      case "disconnect":
        target.faults.disconnect();
        return "OK disconnected";
      case "reconnect":
        target.faults.reconnect();
        return "OK reconnected";
    }
  } catch (e) {
    if (isPowerLoss(e)) throw e;
    return `ERR ${e instanceof Error ? e.message : String(e)}`;
  }
}
