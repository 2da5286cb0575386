/**
 * The hook for `flashbak flash --check-boot`: after the module was reset into its firmware,
 * read its boot report over the MicroPython REPL (did the backup verify/restore run, which
 * firmware booted). The REPL client belongs to another part of flashbak; it registers its
 * implementation here, and the flash command refuses `--check-boot` until one is registered.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";
import type { SerialLink } from "../serial/link.js";
import type { HostTime } from "./host-time.js";

export interface BootReport {
  /** True when the firmware booted and its report says all is well. */
  ok: boolean;
  /** One-line summary for the flash command's output. */
  summary: string;
  /** Whatever the REPL side reports, passed through to --json. */
  details?: Record<string, unknown>;
}

export type BootCheck = (link: SerialLink, time: HostTime) => Promise<BootReport>;

let registered: BootCheck | undefined;

/** Called once by the REPL client's module to make `--check-boot` available. */
export function registerBootCheck(check: BootCheck): void {
  registered = check;
}

export function bootCheck(): BootCheck | undefined {
  return registered;
}

/**
 * The default check: after the reset into the firmware, read what the module prints on its
 * UART (the boot step's log lines, then the MicroPython banner and `>>> `) until the prompt
 * appears or the deadline passes. It passes when the REPL prompt came up, and reports the boot
 * log lines (backup verify/restore, mounts) as its summary; it needs nothing but the port.
 */
const PROMPT = ">>> ";

export async function serialBootCheck(
  link: SerialLink,
  time: HostTime,
  timeoutMs = 8000,
): Promise<BootReport> {
  const deadline = time.now() + timeoutMs;
  let text = "";
  let nudged = false;
  while (!text.includes(PROMPT)) {
    const left = deadline - time.now();
    if (left <= 0) break;
    try {
      text += new TextDecoder("latin1").decode(await link.read(Math.min(left, 1000)));
    } catch (e) {
      if (!(e instanceof FlashbakError) || e.code !== "SERIAL_TIMEOUT") throw e;
      // A quiet line: the banner may have gone out before we listened. Ask for a fresh prompt.
      if (!nudged) await link.write(new TextEncoder().encode("\r\n"));
      nudged = true;
    }
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && l !== PROMPT.trim());
  const banner = lines.find((l) => l.startsWith("MicroPython"));
  const log = lines.filter((l) => l !== banner && !l.startsWith('Type "help()"'));
  const ok = text.includes(PROMPT);
  return {
    ok,
    summary: ok
      ? `firmware booted${banner ? ` (${banner})` : ""}${log.length ? `; ${log.join("; ")}` : ""}`
      : `no REPL prompt within ${timeoutMs} ms after the reset${text ? `; the module printed: ${text.trim().slice(-200)}` : ""}`,
    details: { banner, log },
  };
}
