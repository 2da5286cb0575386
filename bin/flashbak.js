#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/cli/flashbak.wrapped.js) through its launcher, which keeps a
// V8 code cache of it (dist/cli/ is built by `npm install` through the `prepare` script, or by
// `npm run build`; see tools/build/bundle.ts and tools/launch/compile-cache.ts). CommonJS (see
// bin/package.json): an ES module entry would load Node's ES module loader on every start.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const cli = join(__dirname, "..", "dist", "cli");
// BUNDLE_FILE in tools/build/bundle.ts (this file runs before anything is built)
const bundle = join(cli, "flashbak.wrapped.js");
if (!existsSync(join(cli, "launch.cjs")) || !existsSync(bundle)) {
  process.stderr.write("flashbak: the CLI is not built yet; run `npm install` (or `npm run build`) first.\n");
  process.exit(70);
}
require(join(cli, "launch.cjs")).launch(bundle, process.argv.slice(2));
