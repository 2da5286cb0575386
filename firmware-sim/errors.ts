/**
 * Typed errors shared by the simulator and the tools.
 *
 * Every error the project raises on purpose is a `FlashbakError` with a stable string `code`
 * (`FLASH_ALIGN`, `LFS_NOENT`, `PKG_CORRUPT`, ...) and, where useful, a `hint` that tells the
 * user what to do. The CLI maps codes to exit codes in one place (`tools/exit-codes.ts`).
 *
 * `PowerLoss` deliberately does NOT extend `FlashbakError`: code that catches `FlashbakError` to
 * handle a recoverable condition must never swallow a power cut. Only a harness that models
 * the power supply may catch it (see `isPowerLoss`).
 */

export class FlashbakError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

/** Bad input from a user: arguments, paths, file contents. Exit code 2. */
export class UsageError extends FlashbakError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super("USAGE", message, { hint, details });
  }
}

/** Power was cut. Thrown by every operation of a flash that lost power; never swallowed. */
export class PowerLoss extends Error {
  readonly code = "POWER_LOSS";
  /** 1-based index of the flash operation after (or during) which power was lost. */
  readonly operation: number;
  constructor(operation: number, message = `power lost at flash operation ${operation}`) {
    super(message);
    this.name = "PowerLoss";
    this.operation = operation;
  }
}

export function isPowerLoss(e: unknown): e is PowerLoss {
  return e instanceof PowerLoss;
}

/**
 * littlefs error numbers (`enum lfs_error` in lfs.h), plus EROFS for a read-only mount.
 * Values are the negative errno values littlefs returns.
 */
export const LfsErrno = {
  IO: -5,
  CORRUPT: -84,
  NOENT: -2,
  EXIST: -17,
  NOTDIR: -20,
  ISDIR: -21,
  NOTEMPTY: -39,
  BADF: -9,
  FBIG: -27,
  INVAL: -22,
  NOSPC: -28,
  NOMEM: -12,
  NOATTR: -61,
  NAMETOOLONG: -36,
  EROFS: -30,
} as const;
export type LfsErrName = keyof typeof LfsErrno;

/** A file-system error with its littlefs code: `code` is `LFS_<NAME>`, `errno` the number. */
export class FsError extends FlashbakError {
  readonly errno: number;
  readonly lfs: LfsErrName;
  constructor(
    name: LfsErrName,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown> } = {},
  ) {
    super(`LFS_${name}`, message, opts);
    this.lfs = name;
    this.errno = LfsErrno[name];
  }
}

/** What each littlefs error means, in words (one table for every FsError message). */
export const lfsErrText: Readonly<Record<LfsErrName, string>> = {
  IO: "I/O error",
  CORRUPT: "corrupted file system",
  NOENT: "no such file or directory",
  EXIST: "already exists",
  NOTDIR: "not a directory",
  ISDIR: "is a directory",
  NOTEMPTY: "directory not empty",
  BADF: "bad file handle",
  FBIG: "file too large",
  INVAL: "invalid argument",
  NOSPC: "no space left on the file system",
  NOMEM: "out of memory",
  NOATTR: "no such attribute",
  NAMETOOLONG: "name too long",
  EROFS: "read-only file system",
};

export function fsError(name: LfsErrName, path: string, what?: string): FsError {
  return new FsError(name, `${path}: ${what ?? lfsErrText[name]}`, { details: { path } });
}
