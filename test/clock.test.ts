import { describe, expect, it } from "vitest";
import { VirtualClock } from "../firmware-sim/clock.js";

describe("VirtualClock", () => {
  it("fires alarms in time order as time advances, at their due time", () => {
    const c = new VirtualClock();
    const fired: Array<[string, number]> = [];
    c.setAlarm(300, (t) => fired.push(["b", t]));
    c.setAlarm(100, (t) => {
      fired.push(["a", t]);
      c.setAlarm(50, (t2) => fired.push(["a2", t2]));
    });
    const cancelled = c.setAlarm(200, () => fired.push(["x", 0]));
    expect(c.cancelAlarm(cancelled)).toBe(true);
    c.advance(120);
    expect(fired).toEqual([["a", 100]]);
    expect(c.now()).toBe(120);
    c.advance(1000);
    expect(fired).toEqual([
      ["a", 100],
      ["a2", 150],
      ["b", 300],
    ]);
    expect(c.now()).toBe(1120);
    expect(c.pendingAlarms()).toBe(0);
  });

  it("rejects negative or non-finite durations", () => {
    const c = new VirtualClock();
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(Number.NaN)).toThrow(RangeError);
  });
});
