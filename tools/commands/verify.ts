/**
 * `flashbak verify PKG`: check every CRC and SHA-256 of a package (header, whole file, each
 * partition image) and every checksum.json entry against the file it protects. Prints what
 * failed and exits 1 (check failed) unless everything holds.
 */
import type { CommandBody } from "./command-body.js";
import { PackageError } from "../../firmware-sim/package/format.js";
import { inspectPackage, verifyFailures } from "../../firmware-sim/package/inspect.js";
import { ExitCode } from "../exit-codes.js";
import { printJson, println, setExitCode } from "../io.js";
import { readInput } from "../merge/files.js";

interface Args {
  package: string;
  json?: boolean;
}

const verifyCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .positional("package", { type: "string", demandOption: true, describe: "Firmware package (.fbpkg)" })
      .example("$0 verify images/example.fbpkg", "prints OK or each failed check; exit 1 on failure")
      .example("$0 verify app.fbpkg --json", '{"ok": ..., "checks": [...], "failures": [...]}'),
  handler: (argv) => {
    const bytes = readInput(argv.package, "package");
    let r;
    try {
      r = inspectPackage(bytes);
    } catch (e) {
      // A package whose structure cannot even be read failed verification too: report, exit 1.
      if (!(e instanceof PackageError)) throw e;
      setExitCode(ExitCode.CHECK_FAILED);
      if (argv.json) printJson({ ok: false, error: e.code, failures: [e.message] });
      else println(`FAIL ${e.code}: ${e.message}\nFAILED: 1 problem(s)`);
      return;
    }
    const failures = verifyFailures(r);
    const entries = r.checksums.reduce((n, c) => n + c.entries.length, 0);
    if (failures.length > 0) setExitCode(ExitCode.CHECK_FAILED);
    if (argv.json) {
      printJson({ ok: failures.length === 0, checks: r.checks, checksums: r.checksums, failures });
      return;
    }
    for (const c of r.checks)
      println(
        `${c.ok ? "ok  " : "FAIL"} ${c.what} ${c.ok ? c.actual : `stored ${c.expected}, computed ${c.actual}`}`,
      );
    for (const c of r.checksums) {
      if (!c.present) continue;
      if (c.error !== undefined) println(`FAIL ${c.file}: ${c.error}`);
      for (const e of c.entries)
        println(
          `${e.ok ? "ok  " : "FAIL"} ${c.file} ${e.name} ${e.recorded}${e.ok ? "" : ` (file: ${e.actual ?? "missing or empty"})`}`,
        );
    }
    for (const f of r.filesystems) if (f.error !== undefined) println(`FAIL ${f.partition}: ${f.error}`);
    println(
      failures.length === 0
        ? `OK: ${r.checks.length} package checksums and ${entries} checksum.json entries hold`
        : `FAILED: ${failures.length} problem(s)`,
    );
  },
};

export default verifyCommand;
