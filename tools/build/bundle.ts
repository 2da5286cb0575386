/**
 * `npm run build`, second step: bundle the compiled CLI (dist/tools/cli.js and everything it
 * imports, yargs included) into one CommonJS module, written already wrapped in Node's module
 * function as dist/cli/flashbak.wrapped.js, and the launcher that `bin/flashbak.js` runs
 * (tools/launch/launcher.ts) into dist/cli/launch.cjs. The launcher loads the bundle with a V8
 * code cache (tools/launch/compile-cache.ts): a single script is what V8's code cache works on,
 * and CommonJS needs none of Node's ES module loader at start.
 *
 * Why (measured on our 2-core CI-class machine): `flashbak fs info` on a small image took 0.31 s
 * unbundled, 0.22 s bundled, 0.18 s bundled with the light string-width below; `node -e 0`
 * alone is 0.09 s. `flashbak fs mkfs` of the 1000-file benchmark tree took 0.57 s as ES module
 * chunks, 0.54 s as one CommonJS file and 0.49 s with the code cache. Start-up is paid by every
 * command, and it was most of the gap between `flashbak fs mkfs` and the reference littlefs
 * (issue 3's goal is whole-command time). The modules of a command still run only when the
 * command is used: esbuild turns each `import()` of a bundled module into a lazy initializer.
 *
 * What is not bundled: packages that load native code or WebAssembly from their own directory
 * (serialport's bindings, node-sqlite3-wasm, the MicroPython runtime) and esptool-js (bench
 * only). They are imported from node_modules at run time exactly as before.
 *
 * Three fix-ups keep the bundle behaving like the unbundled CLI, and starting fast:
 * - yargs' Node shim finds its locale files (messages, plurals) relative to its own file; in a
 *   bundle that file is gone, so the shim is pointed at where yargs really is, resolved at run
 *   time from the bundle's location (`import.meta.resolve`).
 * - `string-width` (yargs' help layout) costs ~40 ms to load (an emoji regex, width tables,
 *   Intl.Segmenter) on every start; each importer gets ./string-width-lite.ts instead, which
 *   measures printable ASCII itself and runs the real package (the very version that importer
 *   would have used, bundled) only for anything else.
 * - the same shim's `assert` (for yargs' internal invariants) is ./assert-lite.ts: node:assert
 *   costs ~3 ms to load.
 *
 * Run by `npm run build` after tsc; esbuild-wasm (WebAssembly, no binary download) does the
 * bundling. The output is written to a temporary directory and renamed into place.
 */
import { readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild-wasm";
import { wrapBundle } from "../launch/compile-cache.js";

/** The bundled CLI in `outDir`, as the launcher loads it (see BUNDLE_PREFIX in compile-cache.ts). */
export const BUNDLE_FILE = "flashbak.wrapped.js";

export interface BundleOptions {
  /** The package root (its node_modules are what the bundle resolves against). */
  root: string;
  /** The CLI's entry module: dist/tools/cli.js, or tools/cli.ts (esbuild strips the types). */
  entry: string;
  /** The launcher's entry module: dist/tools/launch/launcher.js, or tools/launch/launcher.ts. */
  launcher: string;
  /** The light string-width module (.js in dist, .ts in the source); see string-width-lite.ts. */
  stringWidthLite: string;
  /** The light assert module for yargs' shim (.js in dist, .ts in the source); see assert-lite.ts. */
  assertLite: string;
  /**
   * Where the bundle goes; replaced as a whole. It must be inside `root`, because the bundle
   * finds yargs and the external packages through the node_modules above it.
   */
  outDir: string;
}

/** Loaded from node_modules at run time (native code, WebAssembly, or not needed by the CLI). */
const EXTERNAL = ["serialport", "@serialport/*", "node-sqlite3-wasm", "@micropython/*", "esptool-js"];

/**
 * `import.meta` in CommonJS: the bundle's own URL (what a chunk's `import.meta.url` was, in the
 * same directory) and a resolver from the bundle's location. Plus `__flashbakPackageDir`, where
 * a package is installed, found as CommonJS finds it (node_modules of the bundle's directory and
 * each one above): yargs' shim needs only that, at every start, and require.resolve through the
 * package's "exports" took 5 ms of a 0.15 s `flashbak --version`.
 */
const IMPORT_META_BANNER =
  'const __flashbakImportMetaUrl = require("node:url").pathToFileURL(__filename).href;\n' +
  "const __flashbakImportMetaResolve = (s) => " +
  'require("node:url").pathToFileURL(require.resolve(s)).href;\n' +
  "const __flashbakPackageDir = (name, ...sub) => {\n" +
  '  const { existsSync } = require("node:fs");\n' +
  '  const { dirname, join } = require("node:path");\n' +
  "  for (let d = __dirname; ; d = dirname(d)) {\n" +
  '    const p = join(d, "node_modules", name);\n' +
  '    if (existsSync(join(p, "package.json"))) return join(p, ...sub);\n' +
  '    if (dirname(d) === d) return join(dirname(require.resolve(name + "/package.json")), ...sub);\n' +
  "  }\n" +
  "};";

/**
 * yargs' Node platform shim: the file whose own location decides where the locales are read (its
 * `__dirname` holds that file's own path, not its directory).
 */
const YARGS_SHIM = /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
const SHIM_SELF = "const __dirname = fileURLToPath(import.meta.url);";
const SHIM_REAL = 'const __dirname = __flashbakPackageDir("yargs", "lib", "platform-shims", "esm.mjs");';

/**
 * Every `import "string-width"` becomes a light instance for that importer (see
 * string-width-lite.ts) whose fallback is a `require("string-width")` resolved from the
 * importer's own directory: esbuild bundles that copy and, because it is required rather than
 * imported, runs its module code only when the fallback is first used.
 */
function stringWidthPlugin(lite: string): esbuild.Plugin {
  const NS = "string-width-lite";
  return {
    name: NS,
    setup(build) {
      build.onResolve({ filter: /^string-width$/ }, (args) =>
        // the fallback's own require resolves normally, from the importer's directory
        args.namespace === NS ? undefined : { path: args.resolveDir, namespace: NS },
      );
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => ({
        contents:
          `import { liteStringWidth } from ${JSON.stringify(lite)};\n` +
          `export default liteStringWidth(() => require("string-width"));\n`,
        resolveDir: args.path,
        loader: "js",
      }));
    },
  };
}

/** yargs' shim (and only it) gets assert-lite.ts for `assert`. */
function yargsShimPlugin(assertLite: string): esbuild.Plugin {
  return {
    name: "yargs-shim",
    setup(build) {
      build.onResolve({ filter: /^assert$/ }, (args) =>
        YARGS_SHIM.test(args.importer) ? { path: assertLite } : undefined,
      );
      build.onLoad({ filter: YARGS_SHIM }, (args) => {
        const src = readFileSync(args.path, "utf8");
        if (!src.includes(SHIM_SELF)) {
          // a yargs update changed the shim: fail the build rather than ship wrong messages
          throw new Error(
            `bundle: ${args.path} no longer contains "${SHIM_SELF}"; update tools/build/bundle.ts`,
          );
        }
        return { contents: src.replace(SHIM_SELF, SHIM_REAL), loader: "js" };
      });
    },
  };
}

export async function bundleCli(o: BundleOptions): Promise<esbuild.Metafile> {
  const tmp = `${o.outDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: o.root,
    entryPoints: { flashbak: o.entry, launch: o.launcher },
    outdir: tmp,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    define: {
      "import.meta.url": "__flashbakImportMetaUrl",
      "import.meta.resolve": "__flashbakImportMetaResolve",
    },
    banner: { js: IMPORT_META_BANNER },
    external: EXTERNAL,
    plugins: [yargsShimPlugin(o.assertLite), stringWidthPlugin(o.stringWidthLite)],
    metafile: true,
    logLevel: "warning",
    legalComments: "inline",
    // Whitespace and syntax only: names stay, so an internal error's stack still names its
    // functions. A third less source to read, checksum, turn into a string and hand to V8 on
    // every start (920 -> 640 KB): 230 fewer page faults and about 6-10 ms off `fs mkfs`.
    minifyWhitespace: true,
    minifySyntax: true,
  });
  const module = join(tmp, "flashbak.cjs");
  writeFileSync(join(tmp, BUNDLE_FILE), wrapBundle(readFileSync(module)));
  unlinkSync(module);
  rmSync(o.outDir, { recursive: true, force: true });
  renameSync(tmp, o.outDir);
  return result.metafile;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // this file runs as dist/tools/build/bundle.js
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const t0 = performance.now();
  const meta = await bundleCli({
    root: resolve(dist, ".."),
    entry: join(dist, "tools", "cli.js"),
    launcher: join(dist, "tools", "launch", "launcher.js"),
    stringWidthLite: join(dist, "tools", "build", "string-width-lite.js"),
    assertLite: join(dist, "tools", "build", "assert-lite.js"),
    outDir: join(dist, "cli"),
  });
  const files = Object.keys(meta.outputs).length;
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
  // on stderr: `npm run bench -- --json` builds first, and its stdout must be JSON lines only
  process.stderr.write(
    `bundled the CLI and its launcher into dist/cli/: ${files} files, ${(bytes / 1024).toFixed(0)} KiB, ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
