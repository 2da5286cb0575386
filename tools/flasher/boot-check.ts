/**
 * The hook for `flashbak flash --check-boot`: after the module was reset into its firmware,
 * read its boot report over the MicroPython REPL (did the backup verify/restore run, which
 * firmware booted). The REPL client belongs to another part of flashbak; it registers its
 * implementation here, and the flash command refuses `--check-boot` until one is registered.
 */
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
