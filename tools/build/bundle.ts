/**
 * `npm run build`, second step: bundle the compiled CLI (dist/tools/cli.js and everything it
 * imports, yargs included) into dist/cli/, one file per command plus shared chunks, so that
 * `flashbak` starts by reading a handful of files instead of resolving a hundred modules.
 *
 * Why (measured on our 2-core CI-class machine, `flashbak fs info` on a small image): 0.31 s
 * unbundled, 0.22 s bundled, 0.18 s bundled with the light string-width below; `node -e 0`
 * alone is 0.09 s. Start-up is paid by every command, and it was most of the gap between
 * `flashbak fs mkfs` and the reference littlefs (issue 3's goal is whole-command time).
 *
 * What is not bundled: packages that load native code or WebAssembly from their own directory
 * (serialport's bindings, node-sqlite3-wasm, the MicroPython runtime) and esptool-js (bench
 * only). They are imported from node_modules at run time exactly as before.
 *
 * Two fix-ups keep the bundle behaving like the unbundled CLI:
 * - yargs' Node shim finds its locale files (messages, plurals) relative to its own file; in a
 *   bundle that file is gone, so the shim is pointed at where yargs really is, resolved at run
 *   time from the bundle's location (`import.meta.resolve`).
 * - `string-width` (yargs' help layout) costs ~40 ms to load (an emoji regex, width tables,
 *   Intl.Segmenter) on every start; each importer gets ./string-width-lite.ts instead, which
 *   measures printable ASCII itself and runs the real package (the very version that importer
 *   would have used, bundled) only for anything else.
 *
 * Run by `npm run build` after tsc; esbuild-wasm (WebAssembly, no binary download) does the
 * bundling. The output is written to a temporary directory and renamed into place.
 */
import { readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild-wasm";

export interface BundleOptions {
  /** The package root (its node_modules are what the bundle resolves against). */
  root: string;
  /** The CLI's entry module: dist/tools/cli.js, or tools/cli.ts (esbuild strips the types). */
  entry: string;
  /** The light string-width module (.js in dist, .ts in the source); see string-width-lite.ts. */
  stringWidthLite: string;
  /**
   * Where the bundle goes; replaced as a whole. It must be inside `root`, because the bundle
   * finds yargs and the external packages through the node_modules above it.
   */
  outDir: string;
}

/** Loaded from node_modules at run time (native code, WebAssembly, or not needed by the CLI). */
const EXTERNAL = ["serialport", "@serialport/*", "node-sqlite3-wasm", "@micropython/*", "esptool-js"];

/** yargs' Node platform shim: the file whose own location decides where the locales are read. */
const YARGS_SHIM = /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
const SHIM_SELF = "const __dirname = fileURLToPath(import.meta.url);";
const SHIM_REAL =
  'const __dirname = fileURLToPath(new URL("./lib/platform-shims/esm.mjs", import.meta.resolve("yargs")));';

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

const yargsShimPlugin: esbuild.Plugin = {
  name: "yargs-shim-location",
  setup(build) {
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

export async function bundleCli(o: BundleOptions): Promise<esbuild.Metafile> {
  const tmp = `${o.outDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: o.root,
    entryPoints: { flashbak: o.entry },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    plugins: [yargsShimPlugin, stringWidthPlugin(o.stringWidthLite)],
    metafile: true,
    logLevel: "warning",
    legalComments: "inline",
  });
  // dist/ is ESM through the package's "type": "module", so the .js chunks need no marker
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
    stringWidthLite: join(dist, "tools", "build", "string-width-lite.js"),
    outDir: join(dist, "cli"),
  });
  const files = Object.keys(meta.outputs).length;
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(
    `bundled the CLI into dist/cli/: ${files} files, ${(bytes / 1024).toFixed(0)} KiB, ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
