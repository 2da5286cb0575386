/**
 * A one-shot command gives its helper threads the lowest CPU priority, so that they yield to the
 * main thread, which does the command's work.
 *
 * Why: Node starts four platform threads that V8 uses for TurboFan (optimizing hot functions in
 * the background) and for the GC's helper tasks. On a 2-core machine several compile jobs run at
 * once beside the main thread, and the kernel shares the cores evenly: in a cold `flashbak fs
 * mkfs` of the 1000-file tree the main thread spent 40-50 ms runnable but waiting for a core.
 * At nice 19 the helpers still get every idle cycle, and the main thread waits 15-20 ms
 * (medians of 15 interleaved runs: exit 389 -> 373 ms). Long-lived commands (a simulated
 * module, a station) keep the defaults: there the optimized code is worth waiting for.
 *
 * Linux only (a thread id is a valid `setpriority` target there, `/proc/self/task` lists them).
 * Lowering a priority needs no privilege; a helper already at or below the target is left alone,
 * and a thread that ends meanwhile is skipped.
 */
import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/** The nice value helpers get: the lowest priority (19 on Linux). */
export const HELPER_NICE = 19;

/** The seam to the scheduler (a fake in tests). */
export interface ThreadScheduler {
  /** Every thread of this process, the main one included. */
  threads(): number[];
  /** The main thread (on Linux, its id is the process id). */
  readonly main: number;
  getPriority(tid: number): number;
  setPriority(tid: number, nice: number): void;
}

/** This process's threads on Linux; null elsewhere. */
export function linuxScheduler(): ThreadScheduler | null {
  if (process.platform !== "linux") return null;
  return {
    threads: () => readdirSync("/proc/self/task").map(Number),
    main: process.pid,
    getPriority: (tid) => getPriority(tid),
    setPriority: (tid, nice) => setPriority(tid, nice),
  };
}

/** Lower every thread but the main one to HELPER_NICE; returns how many were lowered. */
export function yieldHelperThreads(sys: ThreadScheduler | null = linuxScheduler()): number {
  if (sys === null) return 0;
  let tids: number[];
  try {
    tids = sys.threads();
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const tid of tids) {
    if (tid === sys.main) continue;
    try {
      if (sys.getPriority(tid) >= HELPER_NICE) continue;
      sys.setPriority(tid, HELPER_NICE);
      lowered++;
    } catch {
      // the thread ended, or the system refuses: it keeps its priority
    }
  }
  return lowered;
}
