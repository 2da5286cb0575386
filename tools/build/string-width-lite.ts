/**
 * The display width of a string, as the `string-width` package measures it, for the bundled CLI
 * (tools/build/bundle.ts aliases `string-width` to this module; yargs' help layout is its only
 * user). Printable ASCII is one column per character, which is all our help text and nearly all
 * arguments; anything else (wide or combining characters, emoji, escapes, control characters)
 * goes to the real package, loaded on first use. That keeps its ~40 ms of loading (an emoji
 * regex, width tables, Intl.Segmenter) off every start.
 */
import { createRequire } from "node:module";

type Options = { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean };
type StringWidth = (text: string, options?: Options) => number;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
let real: StringWidth | undefined;

export default function stringWidth(text: string, options?: Options): number {
  if (typeof text !== "string") return 0;
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // the version yargs itself depends on; Node >= 20.19 can require() an ES module
  real ??= (createRequire(import.meta.url)("string-width") as { default: StringWidth }).default;
  return real(text, options);
}
