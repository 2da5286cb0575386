/**
 * The one place that maps errors to exit codes and messages.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the work ran but a check failed (verify mismatch, boot restored files when asked not to) |
 * | 2 | bad usage or bad input (arguments, paths, project files) |
 * | 3 | power was cut (`--cut-after N` reached before the work finished) |
 * | 4 | not found (file, partition, port, SecureData record never stored) |
 * | 5 | corrupt or incompatible data (file system, package, image) |
 * | 6 | no space (image or partition too small) |
 * | 7 | device or I/O failure (serial port, flash error, timeout) |
 * | 70 | internal error (a bug: please report it with the JSON error) |
 */
import { FlashbakError, PowerLoss } from "../firmware-sim/errors.js";

export const ExitCode = {
  OK: 0,
  CHECK_FAILED: 1,
  USAGE: 2,
  POWER_LOSS: 3,
  NOT_FOUND: 4,
  CORRUPT: 5,
  NO_SPACE: 6,
  DEVICE: 7,
  INTERNAL: 70,
} as const;

const byCode: Array<[RegExp, number]> = [
  [/^USAGE$/, ExitCode.USAGE],
  [/^CHECK_FAILED$/, ExitCode.CHECK_FAILED],
  [/^LFS_(NOENT|NOATTR)$/, ExitCode.NOT_FOUND],
  [/NOT_FOUND$/, ExitCode.NOT_FOUND],
  [/^LFS_(CORRUPT)$/, ExitCode.CORRUPT],
  [/^(PKG|IMAGE)_/, ExitCode.CORRUPT],
  [/CORRUPT/, ExitCode.CORRUPT],
  [/^LFS_(NOSPC|FBIG)$/, ExitCode.NO_SPACE],
  [/NO_SPACE|TOO_BIG/, ExitCode.NO_SPACE],
  [/^LFS_(EXIST|NOTDIR|ISDIR|NOTEMPTY|INVAL|NAMETOOLONG|EROFS|BADF)$/, ExitCode.USAGE],
  [/^LFS_(IO|NOMEM)$/, ExitCode.DEVICE],
  [/^(FLASH|BD|SERIAL|DEVICE|TIMEOUT|REPL|PORT|SLIP|ESP)_/, ExitCode.DEVICE],
];

export interface MappedError {
  exitCode: number;
  json: Record<string, unknown>;
  text: string;
}

export function mapError(e: unknown): MappedError {
  if (e instanceof PowerLoss) {
    return {
      exitCode: ExitCode.POWER_LOSS,
      json: { error: e.code, message: e.message, operation: e.operation },
      text: `flashbak: ${e.message}`,
    };
  }
  if (e instanceof FlashbakError) {
    const rule = byCode.find(([re]) => re.test(e.code));
    const exitCode = rule ? rule[1] : ExitCode.CHECK_FAILED;
    const hint = e.hint ? `\n  hint: ${e.hint}` : "";
    return { exitCode, json: e.toJSON(), text: `flashbak: ${e.message}${hint}` };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    exitCode: ExitCode.INTERNAL,
    json: { error: "INTERNAL", message: err.message, stack: err.stack },
    text: `flashbak: internal error: ${err.stack ?? err.message}\n  This is a bug in flashbak; please report it.`,
  };
}
