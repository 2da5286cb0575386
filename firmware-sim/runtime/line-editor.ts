/**
 * The friendly REPL's line editor (MicroPython `readline.c`, reduced to what a serial user and
 * the host tools rely on): echo, backspace, swallowing of cursor-key escape sequences, and
 * the rule that Ctrl-A/B/D/E act only on an empty line while Ctrl-C always does.
 * Auto-indent is modelled (MICROPY_REPL_AUTO_INDENT); tab completion and history are not.
 */

/** What one input byte did to the line. */
export type EditEvent =
  | { kind: "echo"; bytes: string }
  | { kind: "enter"; line: string }
  /** A control key that the REPL acts on: 0x01..0x05 (only reported on an empty line) or 0x03. */
  | { kind: "control"; code: number }
  | { kind: "none" };

export class LineEditor {
  private line = "";
  /** 0 = normal, 1 = after ESC, 2 = inside "ESC [" waiting for the final byte. */
  private escape = 0;

  get text(): string {
    return this.line;
  }

  reset(): void {
    this.line = "";
    this.escape = 0;
  }

  /** Start the next line with `text` already typed (auto-indent); the caller echoes it. */
  prefill(text: string): void {
    this.line = text;
  }

  feed(c: number): EditEvent {
    if (this.escape === 1) {
      this.escape = c === 0x5b || c === 0x4f ? 2 : 0;
      return { kind: "none" };
    }
    if (this.escape === 2) {
      if (c >= 0x40 && c <= 0x7e) this.escape = 0;
      return { kind: "none" };
    }
    if (c === 0x1b) {
      this.escape = 1;
      return { kind: "none" };
    }
    if (c === 0x03) return { kind: "control", code: c };
    if (c >= 0x01 && c <= 0x05) return this.line === "" ? { kind: "control", code: c } : { kind: "none" };
    // readline.c ends a line on CR only; LF falls into the ignored control characters.
    if (c === 0x0d) {
      const line = this.line;
      this.line = "";
      return { kind: "enter", line };
    }
    if (c === 0x08 || c === 0x7f) {
      if (this.line === "") return { kind: "none" };
      this.line = this.line.slice(0, -1);
      return { kind: "echo", bytes: "\b \b" };
    }
    if (c < 0x20) return { kind: "none" };
    const ch = String.fromCharCode(c);
    this.line += ch;
    return { kind: "echo", bytes: ch };
  }
}

/**
 * The indentation readline pre-types on a continuation line: the previous line's, plus four
 * spaces after a line ending in a colon.
 */
export function autoIndent(previous: string): string {
  const lead = /^ */.exec(previous)?.[0] ?? "";
  return /:\s*$/.test(previous) ? lead + "    " : lead;
}

/**
 * Whether the REPL must read more lines before compiling (`mp_repl_continue_with_input`):
 * unclosed brackets or triple quotes, a trailing backslash or colon, or a compound statement
 * that has not yet been ended by an empty line.
 */
export function needsMoreInput(source: string): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote !== "") {
      if (c === "\\") i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = "";
      }
      continue;
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "'" || c === '"') {
      quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  if (depth > 0 || quote.length === 3) return true;
  const lines = source.split("\n");
  const last = lines[lines.length - 1] ?? "";
  if (/[:\\]\s*$/.test(last)) return true;
  // A compound statement continues until the user enters an empty line.
  const compound = /^(if|while|for|def|class|with|try|async|@)\b|^@/.test(lines[0] ?? "");
  return compound && lines.length > 1 && last.trim() !== "";
}
