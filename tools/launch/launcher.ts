/**
 * What `bin/flashbak.js` runs: load the bundled CLI through the compile cache (compile-cache.ts),
 * run the command, then write the cache if this run had none to use. Bundled on its own into
 * dist/cli/launch.cjs (tools/build/bundle.ts), so that starting `flashbak` loads no ES module
 * machinery and compiles only these few lines from source.
 *
 * `FLASHBAK_COMPILE_CACHE_DEBUG=1` prints what became of the cache, and the V8 flags the command
 * ran with, on stderr.
 */
import { setFlagsFromString } from "node:v8";
import { setExternalImporter } from "../../firmware-sim/external-import.js";
import { cacheDirFromEnv, commandGroup, loadBundle } from "./compile-cache.js";
import { yieldHelperThreads } from "./helper-threads.js";

type Main = (argv: string[]) => Promise<number>;

/**
 * TurboFan inlining budgets (bytecode bytes) for a command that runs for a second or less: about
 * a fifth of V8's defaults (460 per callee, 920 per function; half of them gained nothing). A one-shot command spends most
 * of its time before its hot functions are optimized, and TurboFan, on the second core, takes
 * longer for every callee it inlines: in a cold `flashbak fs mkfs` of the 1000-file tree it
 * compiled 85 functions in 0.29 s of CPU. With these budgets that command went from 0.51 to
 * 0.47 s (medians of 21 interleaved runs, 2-core CI-class machine), a 3000-file, 28 MiB pack
 * was no slower (1.25 vs 1.27 s), and `fs check` no slower; packing the tree again and again in
 * one process ran 10-15% slower once everything was optimized, which is why long-lived
 * commands keep V8's defaults.
 */
export const SHORT_RUN_V8_FLAGS: readonly string[] = [
  "--max-inlined-bytecode-size=100",
  "--max-inlined-bytecode-size-cumulative=200",
  // TurboFan phases whose compile time a one-shot command does not earn back: helper threads
  // spent 193 -> 164 ms of CPU compiling a cold `fs mkfs` of the 1000-file tree, which ended
  // 341 -> 333 ms (medians of 21 interleaved runs), a 3000-file pack 603 -> 594 ms, and a warm
  // pack in one process took as long as before
  "--no-turbo-loop-peeling",
  "--no-turbo-escape",
  "--no-turbo-store-elimination",
  "--no-turbo-splitting",
];

/** The V8 flag names above, without `--`, `--no-` or a value. */
const SHORT_RUN_FLAG_NAMES = SHORT_RUN_V8_FLAGS.map((f) => f.replace(/^--(no-)?/, "").replace(/=.*$/, ""));

/** Command groups (see `commandGroup`) that live long: a simulated module, a factory station. */
const LONG_RUNNING = new Set(["sim-serve", "station"]);

/** True for a command group that runs briefly (helper threads yield to it, see helper-threads.ts). */
export function isShortRun(group: string): boolean {
  return !LONG_RUNNING.has(group);
}

/**
 * The V8 flags a command group runs with (set before the bundle is compiled): none for a
 * long-lived command, or when the user sets any of them on Node's command line or in
 * NODE_OPTIONS.
 */
export function v8FlagsFor(
  group: string,
  nodeArgs: readonly string[] = [...process.execArgv, process.env.NODE_OPTIONS ?? ""],
): readonly string[] {
  if (!isShortRun(group)) return [];
  // the user tuning any of them for Node (on its command line or in NODE_OPTIONS) has the last word
  if (nodeArgs.some((a) => SHORT_RUN_FLAG_NAMES.some((name) => a.includes(name)))) return [];
  return SHORT_RUN_V8_FLAGS;
}

/**
 * A reader that goes away (`flashbak fs ls IMG | head -1`) must neither crash the command with
 * an EPIPE stack trace nor cut its work short (a flash or an image write in progress): output to
 * that stream stops, the command finishes, and its exit code stands.
 */
export function tolerateClosedPipes(streams: readonly NodeJS.WriteStream[]): void {
  for (const s of streams) {
    let closed = false;
    s.on("error", (e: NodeJS.ErrnoException) => {
      // after EPIPE the stream is destroyed: later writes fail too, and are dropped the same way
      if (closed || e.code === "EPIPE") {
        closed = true;
        return;
      }
      throw e;
    });
  }
}

export function launch(bundle: string, argv: string[]): void {
  tolerateClosedPipes([process.stdout, process.stderr]);
  // import() works here, in an ordinary CommonJS module, and resolves from dist/cli/ as the
  // bundle's own would
  setExternalImporter((specifier) => import(specifier));
  const group = commandGroup(argv);
  // before anything is compiled: V8 keeps code caches apart by flags, and these are the same
  // on every run of a group, so its cache file stays valid
  const flags = v8FlagsFor(group);
  for (const flag of flags) setFlagsFromString(flag);
  const lowered = isShortRun(group) ? yieldHelperThreads() : 0;
  const loaded = loadBundle(bundle, { dir: cacheDirFromEnv(), group });
  const main = loaded.exports.main as Main;
  void main(argv).then((code) => {
    process.exitCode = code;
    const saved = loaded.save();
    if (process.env.FLASHBAK_COMPILE_CACHE_DEBUG === "1") {
      process.stderr.write(
        `flashbak: compile cache ${loaded.outcome}${saved ? ", written" : ""}: ${loaded.cacheFile ?? "(off)"}\n` +
          `flashbak: V8 flags: ${flags.length > 0 ? flags.join(" ") : "(defaults)"}\n` +
          `flashbak: helper threads lowered to the least CPU priority: ${lowered}\n`,
      );
    }
  });
}
