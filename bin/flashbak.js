#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli/, built by `npm install` through the `prepare`
// script, or by `npm run build`; see tools/build/bundle.ts).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = new URL("../dist/cli/flashbak.js", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write("flashbak: the CLI is not built yet; run `npm install` (or `npm run build`) first.\n");
  process.exit(70);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
