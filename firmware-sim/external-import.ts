/**
 * `import()` of a package that is not bundled with the CLI (serialport, the MicroPython VM).
 *
 * The CLI runs as one script compiled through `vm.Script` so that V8 can cache its bytecode
 * (tools/launch/compile-cache.ts). Node 20 gives such a script a working `import()` only behind
 * an experimental flag or warning, so the launcher installs a hook, a function that calls
 * `import()` from its own ordinary CommonJS module, and these imports go through it. Without the
 * hook (the unbundled library, the tests) this is a plain `import()`.
 */
const HOOK = Symbol.for("flashbak.importExternal");

type Importer = (specifier: string) => Promise<unknown>;

/** Install the importer the bundled CLI will use (the launcher does this before loading it). */
export function setExternalImporter(importer: Importer): void {
  (globalThis as Record<symbol, unknown>)[HOOK] = importer;
}

/** `import(specifier)`, through the launcher's importer when there is one. */
export function importExternal<T>(specifier: string): Promise<T> {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK] as Importer | undefined;
  return (hook !== undefined ? hook(specifier) : import(specifier)) as Promise<T>;
}
