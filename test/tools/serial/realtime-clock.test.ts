/**
 * The wall-clock `Clock` of `flashbak sim serve`, on a fake wall and sleeper: short operations
 * run ahead of the wall and are slept off in one go (a real sleep overshoots by ~0.1 ms, which
 * per UART byte would slow a served module several times), time never runs backwards, and an
 * idle module's time follows the wall.
 */
import { describe, expect, it } from "vitest";
import { RealtimeClock } from "../../../tools/serial/serve.js";

function fakeWall(
  overshootMs = 0.1,
  o: { startMs?: number; onSlice?: () => boolean } = {},
): { clock: RealtimeClock; sleeps: number[]; wall: { ms: number } } {
  const wall = { ms: o.startMs ?? 1000 };
  const sleeps: number[] = [];
  const clock = new RealtimeClock({
    wallMs: () => wall.ms,
    sleepMs: (ms) => {
      sleeps.push(ms);
      wall.ms += ms + overshootMs;
    },
    ...(o.onSlice === undefined ? {} : { onSlice: o.onSlice }),
  });
  return { clock, sleeps, wall };
}

describe("RealtimeClock", () => {
  it("11 µs UART bytes: runs ahead up to 5 ms, then sleeps the lead off in slices", () => {
    const { clock, sleeps, wall } = fakeWall();
    for (let i = 0; i < 10_000; i++) clock.advance(11); // 110 ms of bytes
    // one sleep per ~5 ms of lead instead of one per byte
    expect(sleeps.length).toBeGreaterThan(15);
    expect(sleeps.length).toBeLessThan(30);
    // the wall kept pace: within the lead of the module's time, never far behind
    const lagMs = clock.now() / 1000 - (wall.ms - 1000);
    expect(lagMs).toBeLessThanOrEqual(5);
    expect(wall.ms - 1000).toBeGreaterThanOrEqual(105);
    expect(wall.ms - 1000).toBeLessThan(115);
  });

  it("time never runs backwards, and an idle module follows the wall", () => {
    const { clock, wall } = fakeWall();
    let last = clock.now();
    for (let i = 0; i < 100; i++) {
      clock.advance(i % 7 === 0 ? 3000 : 50);
      if (i % 10 === 0) wall.ms += 20; // idle time passes
      const t = clock.now();
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    const before = clock.now();
    wall.ms += 1000;
    expect(clock.now()).toBeCloseTo(before + 1e6, -3);
  });

  it("a long wait is sliced so the line is polled; the poll can end it early at the target time", () => {
    let polls = 0;
    const { clock, wall } = fakeWall(0, { startMs: 0, onSlice: () => ++polls === 3 });
    clock.advance(1_000_000); // 1 s
    expect(polls).toBe(3);
    expect(wall.ms).toBeCloseTo(15, 5); // three 5 ms slices, then Ctrl-C
    expect(clock.now()).toBe(1_000_000); // the time jumped to the end of the wait
    // ...and the rest of the wait is not slept later: the next byte takes its own time only
    clock.advance(87);
    expect(wall.ms).toBeCloseTo(15, 5);
    expect(clock.now()).toBe(1_000_087);
  });

  it("a power cut thrown from the poll during a wait does not leave the clock ahead of the wall", () => {
    let polls = 0;
    const { clock, wall } = fakeWall(0, {
      startMs: 0,
      onSlice: () => {
        if (++polls === 3) throw new Error("power cut");
        return false;
      },
    });
    expect(() => clock.advance(60_000_000)).toThrow("power cut");
    const before = wall.ms;
    clock.advance(87);
    expect(wall.ms).toBe(before); // no 60 s stall
  });

  it("rejects a negative or non-finite duration", () => {
    const { clock } = fakeWall();
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });
});
