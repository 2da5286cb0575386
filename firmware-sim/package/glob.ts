/**
 * Glob patterns for project files (manifest `backup`/`exclude`, `flashbak merge --backup`).
 *
 * A pattern matches a whole '/'-separated path relative to the project root:
 * `*` any run of characters inside one name, `?` one character, `[abc]` / `[a-z]` / `[!a]` one
 * character of a set, `**` as a whole component any number of directories (including none),
 * `\x` a literal x. No brace expansion. Matching is case-sensitive, like littlefs.
 */
import { UsageError } from "../errors.js";

export interface Glob {
  readonly pattern: string;
  readonly test: (path: string) => boolean;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? "\\" + c : c;
}

/** Translate one path component (no '/') to a regular expression source. */
function componentSource(part: string, pattern: string): string {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      if (i + 1 >= part.length) throw new UsageError(`glob "${pattern}" ends with a lone backslash`);
      re += escapeRe(part[++i]!);
    } else if (c === "[") {
      const close = part.indexOf("]", i + 2);
      if (close < 0)
        throw new UsageError(`glob "${pattern}" has an unclosed "["`, "write \\[ for a literal bracket");
      let body = part.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      const set = body.replace(/[\\\]^]/g, (m) => "\\" + m);
      re += negate ? `[^/${set}]` : `[${set}]`;
      i = close;
    } else re += escapeRe(c);
  }
  return re;
}

export function compileGlob(pattern: string): Glob {
  const p = pattern.replace(/^\.\//, "");
  if (p.length === 0) throw new UsageError("empty glob pattern");
  if (p.startsWith("/")) {
    throw new UsageError(
      `glob "${pattern}" is absolute`,
      "write patterns relative to the project directory, e.g. main.py or lib/**",
    );
  }
  const parts = p.split("/").filter((x) => x.length > 0);
  let src = "";
  parts.forEach((part, idx) => {
    const last = idx === parts.length - 1;
    if (part === "**") {
      // "a/**" matches everything below a; "a/**/b" matches b at any depth below a.
      src += last ? (idx === 0 ? ".*" : "/.*") : idx === 0 ? "(?:[^/]+/)*" : "/(?:[^/]+/)*";
      return;
    }
    const prevGlobstar = idx > 0 && parts[idx - 1] === "**";
    if (idx > 0 && !prevGlobstar) src += "/";
    src += componentSource(part, pattern);
  });
  const re = new RegExp(`^${src}$`, "u");
  return { pattern, test: (path) => re.test(path) };
}

/** True when any of `globs` matches `path`. */
export function matchesAny(globs: readonly Glob[], path: string): boolean {
  return globs.some((g) => g.test(path));
}
