/**
 * The display width of a string, as the `string-width` package measures it, for the bundled CLI
 * (yargs' help layout: yargs, cliui and wrap-ansi import it). Printable ASCII is one column per
 * character, which is all our help text and nearly all arguments; anything else (wide or
 * combining characters, emoji, escapes, control characters) goes to the real package, whose
 * ~40 ms of initialisation (an emoji regex, width tables, Intl.Segmenter) is then paid once,
 * instead of on every start.
 *
 * tools/build/bundle.ts gives each importer its own instance, made with `load` requiring the
 * string-width that importer resolves (cliui and wrap-ansi have 7.x, yargs 8.x, and they measure
 * some scripts differently); esbuild bundles that copy and runs its module code on first use.
 */

export type Options = { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean };
export type StringWidth = (text: string, options?: Options) => number;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A string-width that measures printable ASCII itself and calls `load()`'s for the rest. */
export function liteStringWidth(load: () => { default: StringWidth }): StringWidth {
  let real: StringWidth | undefined;
  return (text, options) => {
    if (typeof text !== "string") return 0;
    if (PRINTABLE_ASCII.test(text)) return text.length;
    real ??= load().default;
    return real(text, options);
  };
}
