/**
 * What `bin/flashbak.js` runs: load the bundled CLI through the compile cache (compile-cache.ts),
 * run the command, then write the cache if this run had none to use. Bundled on its own into
 * dist/cli/launch.cjs (tools/build/bundle.ts), so that starting `flashbak` loads no ES module
 * machinery and compiles only these few lines from source.
 *
 * `FLASHBAK_COMPILE_CACHE_DEBUG=1` prints what became of the cache on stderr.
 */
import { setExternalImporter } from "../../firmware-sim/external-import.js";
import { cacheDirFromEnv, commandGroup, loadBundle } from "./compile-cache.js";

type Main = (argv: string[]) => Promise<number>;

export function launch(bundle: string, argv: string[]): void {
  // import() works here, in an ordinary CommonJS module, and resolves from dist/cli/ as the
  // bundle's own would
  setExternalImporter((specifier) => import(specifier));
  const group = commandGroup(argv);
  const loaded = loadBundle(bundle, { dir: cacheDirFromEnv(), group });
  const main = loaded.exports.main as Main;
  void main(argv).then((code) => {
    process.exitCode = code;
    const saved = loaded.save();
    if (process.env.FLASHBAK_COMPILE_CACHE_DEBUG === "1") {
      process.stderr.write(
        `flashbak: compile cache ${loaded.outcome}${saved ? ", written" : ""}: ${loaded.cacheFile ?? "(off)"}\n`,
      );
    }
  });
}
