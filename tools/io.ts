/**
 * Where CLI output goes. Commands write through `io()` so tests can run the CLI in-process and
 * capture what a user would see. Only the tools layer touches `process`.
 */
export interface CliIo {
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

let current: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  // on first use: making process.stdin loads Node's stream code (4 ms of every start)
  get stdin(): NodeJS.ReadableStream {
    return process.stdin;
  },
  env: process.env,
  cwd: process.cwd(),
};

export function io(): CliIo {
  return current;
}

/** Replace the IO for the duration of `fn` (tests). */
export async function withIo<T>(next: CliIo, fn: () => Promise<T>): Promise<T> {
  const prev = current;
  current = next;
  try {
    return await fn();
  } finally {
    current = prev;
  }
}

export function println(line = ""): void {
  current.stdout.write(line + "\n");
}

export function eprintln(line = ""): void {
  current.stderr.write(line + "\n");
}

/** Print one JSON value on a line (the `--json` output of every command). */
export function printJson(value: unknown): void {
  current.stdout.write(JSON.stringify(value) + "\n");
}

/** True when interactive decorations (progress bars, colours) are wanted. */
export function interactive(): boolean {
  return current.stderr.isTTY === true && !current.env.CI;
}

/** Read all of standard input. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of current.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

let exitOverride: number | undefined;

/** Ask for a non-zero exit without throwing (e.g. `verify` printed its report and failed). */
export function setExitCode(code: number): void {
  exitOverride = code;
}

/** Read and clear the requested exit code (used once by `main`). */
export function takeExitCode(): number | undefined {
  const c = exitOverride;
  exitOverride = undefined;
  return c;
}
