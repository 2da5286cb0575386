import { readdirSync } from "node:fs";
import { getPriority } from "node:os";
import { describe, expect, it } from "vitest";
import {
  HELPER_NICE,
  linuxScheduler,
  yieldHelperThreads,
  type ThreadScheduler,
} from "../../../tools/launch/helper-threads.js";
import { isShortRun } from "../../../tools/launch/launcher.js";
import { commandGroup } from "../../../tools/launch/compile-cache.js";

/** A fake process: thread ids with nice values; `gone` threads end before they are lowered. */
function fake(
  nice: Record<number, number>,
  gone: number[] = [],
): ThreadScheduler & { nice: Record<number, number> } {
  return {
    nice,
    main: 100,
    threads: () => Object.keys(nice).map(Number),
    getPriority: (tid) => {
      if (gone.includes(tid)) throw Object.assign(new Error("ESRCH"), { code: "ESRCH" });
      return nice[tid]!;
    },
    setPriority: (tid, n) => {
      if (gone.includes(tid)) throw Object.assign(new Error("ESRCH"), { code: "ESRCH" });
      nice[tid] = n;
    },
  };
}

describe("helper threads yield to the main thread in a short command", () => {
  it("lowers every thread but the main one, and leaves the main one alone", () => {
    const sys = fake({ 100: 0, 101: 0, 102: 0, 103: 5 });
    expect(yieldHelperThreads(sys)).toBe(3);
    expect(sys.nice).toEqual({ 100: 0, 101: HELPER_NICE, 102: HELPER_NICE, 103: HELPER_NICE });
  });

  it("skips threads already as low, and threads that end meanwhile", () => {
    const sys = fake({ 100: 0, 101: 19, 102: 0, 103: 0 }, [102]);
    expect(yieldHelperThreads(sys)).toBe(1);
    expect(sys.nice).toEqual({ 100: 0, 101: 19, 102: 0, 103: HELPER_NICE });
  });

  it("does nothing without a scheduler, or when the threads cannot be listed", () => {
    expect(yieldHelperThreads(null)).toBe(0);
    const broken: ThreadScheduler = {
      main: 1,
      threads: () => {
        throw new Error("no /proc");
      },
      getPriority: () => 0,
      setPriority: () => {},
    };
    expect(yieldHelperThreads(broken)).toBe(0);
  });

  it.each([
    ["fs mkfs usr.img tree", true],
    ["--version", true],
    ["sim serve pkg.zip", false],
    ["station --ports /dev/ttyUSB0", false],
  ])("flashbak %s: short run %s", (line, short) => {
    expect(isShortRun(commandGroup(line.split(" ")))).toBe(short);
  });

  it.runIf(process.platform === "linux")(
    "on Linux, lists this process's threads, the main one among them",
    () => {
      const sys = linuxScheduler()!;
      expect(sys.main).toBe(process.pid);
      expect(sys.threads()).toContain(process.pid);
      expect(sys.threads()).toEqual(readdirSync("/proc/self/task").map(Number));
      expect(sys.getPriority(process.pid)).toBe(getPriority(process.pid));
    },
  );
});
