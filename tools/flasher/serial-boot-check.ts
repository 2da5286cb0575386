/**
 * The default `--check-boot`: after the reset into the firmware, read what the module prints
 * on its UART (the boot step's log lines, then the MicroPython banner and `>>> `) until the
 * prompt appears or the deadline passes. It passes when the REPL prompt came up, and reports
 * the boot log lines (backup verify/restore, mounts) as its summary. The REPL client may
 * register a richer check (boot-check.ts); this one needs nothing but the serial port.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";
import type { SerialLink } from "../serial/link.js";
import type { BootReport } from "./boot-check.js";
import type { HostTime } from "./host-time.js";

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
