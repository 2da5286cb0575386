/**
 * Errors of the host-side flasher. Codes start with ESP_ (exit code 7, device failure) or
 * PKG_/FLASH_INPUT (bad input). Every one carries a hint that tells an operator what to try.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";

export type FlasherCode =
  /** The port never answered SYNC. */
  | "ESP_NO_SYNC"
  /** The loader answered a command with a failure status. */
  | "ESP_COMMAND_FAILED"
  /** The loader did not answer a command in time. */
  | "ESP_TIMEOUT"
  /** The loader does not implement a command (ROM without the stub). */
  | "ESP_UNSUPPORTED"
  /** The chip is not the one we expect (an ESP32 in download mode). */
  | "ESP_WRONG_CHIP"
  /** The flash MD5 after writing differs from the data. */
  | "ESP_VERIFY_FAILED"
  /** The operator interrupted the flash (Ctrl-C). */
  | "ESP_INTERRUPTED";

export class FlasherError extends FlashbakError {
  constructor(
    code: FlasherCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, opts);
  }
}
