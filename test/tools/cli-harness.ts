/** Runs the CLI in-process with captured output, as a user would see it. */
import { Readable } from "node:stream";
import { main } from "../../tools/cli.js";
import { withIo } from "../../tools/io.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  opts: { stdin?: Uint8Array | string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const dec = (s: string | Uint8Array): string =>
    typeof s === "string" ? s : Buffer.from(s).toString("utf8");
  const code = await withIo(
    {
      stdout: { write: (s) => (stdout += dec(s)), isTTY: false, columns: 100 },
      stderr: { write: (s) => (stderr += dec(s)), isTTY: false },
      stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
      env: { CI: "1", ...opts.env },
      cwd: process.cwd(),
    },
    () => main(args),
  );
  return { code, stdout, stderr };
}
