/**
 * Progress for long work. On an interactive terminal (stderr is a TTY and CI is not set) it
 * draws a bar that redraws in place, at most every 100 ms; otherwise it stays silent, so
 * pipes, logs and `--json` output are never polluted. Use `lines: true` for plain progress
 * lines (factory logs) when not interactive.
 */
import { interactive, io } from "./io.js";

export interface ProgressOptions {
  /** Units shown after the numbers, e.g. "B" (formats as KiB/MiB) or "files". */
  unit?: "B" | string;
  /** When not interactive, print a plain line every 10% instead of staying silent. */
  lines?: boolean;
  /** Force enable/disable (tests). */
  enabled?: boolean;
}

function human(n: number, unit: string): string {
  if (unit !== "B") return `${n} ${unit}`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private lastDecile = -1;
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private total: number,
    private readonly opts: ProgressOptions = {},
  ) {
    this.tty = opts.enabled ?? interactive();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  tick(n = 1): void {
    this.update(this.done + n);
  }

  update(done: number): void {
    this.done = done;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      io().stderr.write(`\r${this.render()}`);
    } else if (this.opts.lines && this.total > 0) {
      const decile = Math.floor((10 * done) / this.total);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        io().stderr.write(`${this.label}: ${decile * 10}% (${human(done, this.opts.unit ?? "")})\n`);
      }
    }
  }

  render(width = 30): string {
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const fill = Math.round(frac * width);
    const secs = (Date.now() - this.started) / 1000;
    const unit = this.opts.unit ?? "";
    const rate = unit === "B" && secs > 0 ? ` ${human(Math.round(this.done / secs), "B")}/s` : "";
    return (
      `${this.label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${human(this.done, unit)}/${human(this.total, unit)}${rate}`
    );
  }

  finish(): void {
    if (this.tty) io().stderr.write(`\r${this.render()}\n`);
  }
}
