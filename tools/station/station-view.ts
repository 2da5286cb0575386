/**
 * What an operator sees while the station runs: one line per port. On a terminal the block of
 * lines is redrawn in place (at most every 100 ms, each line a `tools/progress.ts` bar); in a
 * log (not a terminal) each port prints plain progress lines every 10% and one result line per
 * unit; with --json each unit record is printed as one JSON line as it finishes.
 */
import { interactive, io, printJson } from "../io.js";
import { Progress } from "../progress.js";
import type { StationEvent } from "./station.js";

export class StationView {
  private readonly bars = new Map<string, { bar: Progress; status: string }>();
  private drawn = 0;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly json: boolean,
    tty = interactive(),
  ) {
    this.tty = tty && !json;
  }

  handle(e: StationEvent): void {
    if (e.type === "unit") {
      const r = e.record;
      if (this.json) printJson(r);
      const line =
        r.result === "pass"
          ? `${r.port}: PASS ${r.identity} in ${(r.durationMs / 1000).toFixed(1)} s (${r.bytesWritten} written, ${r.bytesSkipped} skipped)`
          : `${r.port}: FAIL ${r.errorCode}: ${r.error}`;
      const slot = this.bars.get(r.port);
      if (slot) slot.status = line;
      if (!this.tty && !this.json) io().stderr.write(line + "\n");
      this.draw(true);
      return;
    }
    if (this.json) return;
    if (e.type === "start") {
      this.bars.set(e.port, {
        bar: new Progress(e.port, 1, { unit: "B", lines: !this.tty, enabled: false }),
        status: "",
      });
      if (!this.tty) io().stderr.write(`${e.port}: connecting\n`);
    } else if (e.type === "progress") {
      const slot = this.bars.get(e.port);
      if (slot === undefined) return;
      slot.bar.setTotal(e.progress.total);
      slot.status = "";
      slot.bar.update(e.progress.done);
    } else if (e.type === "phase") {
      const slot = this.bars.get(e.port);
      if (slot) slot.status = `${e.port}: ${e.phase === "provision" ? "provisioning" : "resetting"}`;
      if (!this.tty) io().stderr.write(`${e.port}: ${e.phase}\n`);
    }
    this.draw(false);
  }

  /** Redraw every port's line in place (terminal only). */
  draw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const lines = [...this.bars.values()].map((s) => s.status || s.bar.render(24));
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const l of lines) out += `\r\x1b[2K${l}\n`;
    this.drawn = lines.length;
    io().stderr.write(out);
  }
}
