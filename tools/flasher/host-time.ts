/**
 * The host's notion of time for the flasher: real wall-clock time on a real port, the shared
 * virtual timeline when the port is an in-process simulated module (virtual-link.ts), so that
 * tests and benchmarks measure what the hardware would take without waiting for it.
 */

export interface HostTime {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Resolve after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

export const realTime: HostTime = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
