/**
 * A `Clock` that follows the wall clock, for `serve`: a person or a real tool on the
 * pseudo-terminal expects `utime.sleep(1)` to take a second and 1 KiB at 115200 baud to take
 * 89 ms. `advance(us)` really waits (blocking, in slices of at most 5 ms so the caller can
 * poll the line meanwhile); `onSlice` returning true ends the wait early (a Ctrl-C arrived)
 * and the clock jumps to the target, so time never runs backwards.
 */
import type { Clock } from "../../firmware-sim/clock.js";

const SLICE_US = 5000;

export class RealtimeClock implements Clock {
  private readonly start = performance.now();
  private skewUs = 0;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly onSlice?: () => boolean) {}

  now(): number {
    return (performance.now() - this.start) * 1000 + this.skewUs;
  }

  advance(us: number): void {
    if (!(us >= 0) || !Number.isFinite(us)) throw new RangeError(`clock.advance: bad duration ${us}`);
    const target = this.now() + us;
    for (;;) {
      const left = target - this.now();
      if (left <= 0) return;
      // Atomics.wait on a private cell nobody notifies: a blocking sleep without a busy loop.
      Atomics.wait(this.cell, 0, 0, Math.min(left, SLICE_US) / 1000);
      if (this.onSlice?.() === true) break;
    }
    const left = target - this.now();
    if (left > 0) this.skewUs += left;
  }
}
