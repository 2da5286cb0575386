/**
 * Many modules at once on wall time: N simulated modules, each a `flashbak sim serve --download`
 * process of its own behind a pseudo-terminal (its UART and flash paced in real time, as a
 * chip is), flashed in parallel by this process through node-serialport, as `flashbak station`
 * does. The per-port throughput (payload bytes over each port's data phase, MD5 checks to last
 * verify) with 4, 8 and 16 ports is compared with one port alone (goal: within 5%). Unlike the
 * virtual-time figure of flash-serial, this one can fail: the host's event loop, compression and
 * MD5 work, and the pseudo-terminals all share this machine's cores with the served modules.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../firmware-sim/flash/faults.js";
import { flashModule } from "../tools/flasher/flash-job.js";
import { planFlash, type FlashPlan } from "../tools/flasher/flash-plan.js";
import { openLink } from "../tools/serial/open-link.js";
import type { Bench, BenchResult } from "./report.js";
import { repoRoot } from "./repo-root.js";

const BAUD = 921_600;
const PAYLOAD = 256 * 1024;
/** A served module that has not said where it listens by then has failed to start. */
const START_TIMEOUT_MS = 30_000;

interface Served {
  child: ChildProcess;
  port: string;
  unit: number;
  /** What the served module printed on stderr (shown when its port fails). */
  stderr: () => string;
}

/** Start `flashbak sim serve` as unit `unit` and wait for its JSON line (the port). */
function serve(dir: string, unit: number): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot(), "bin", "flashbak.js"),
      "sim",
      "serve",
      "--board",
      "ec600u",
      "--download",
      "--baud",
      "115200",
      "--unit",
      String(unit),
      "--flash",
      join(dir, `unit${unit}.bin`),
      "--json",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`bench station-pty: unit ${unit} did not start in ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({
        child,
        unit,
        port: (JSON.parse(out.slice(0, nl)) as { pty: string }).pty,
        stderr: () => err,
      });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench station-pty: unit ${unit} exited (${code}) before serving: ${err}`));
    });
  });
}

/** CPU seconds a served module's process has used (Linux /proc; NaN elsewhere). */
function cpuSeconds(s: Served): number {
  try {
    const stat = readFileSync(`/proc/${s.child.pid}/stat`, "utf8");
    // fields after the command name, which is in parentheses: utime and stime are 14 and 15
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function stop(s: Served): Promise<void> {
  if (s.child.exitCode !== null) return;
  const gone = new Promise<void>((resolve) => s.child.once("exit", () => resolve()));
  s.child.kill("SIGTERM");
  await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  if (s.child.exitCode === null) s.child.kill("SIGKILL");
}

/** Wall seconds of one port's data phase: from the first MD5 check to the end of the last verify. */
async function flashOne(port: string, plan: FlashPlan): Promise<number> {
  const link = await openLink(port, 115200);
  let start = -1;
  let end = -1;
  try {
    await flashModule(link, plan, {
      baud: BAUD,
      resetBefore: false,
      resetAfter: false,
      onProgress: (p) => {
        if (start < 0 && p.phase === "check") start = performance.now();
        if (p.phase === "done") end = performance.now();
      },
    });
  } finally {
    await link.close();
  }
  return (end - start) / 1000;
}

async function parallelPorts(): Promise<BenchResult[]> {
  const data = new Rng(11).bytes(PAYLOAD);
  const plan = planFlash([{ name: "noise", offset: 0x100000, data }], { flashSize: 8 << 20 });
  const out: BenchResult[] = [];
  let single = 0;
  for (const n of [1, 4, 8, 16]) {
    const dir = mkdtempSync(join(tmpdir(), "fb-bench-station-"));
    const served: Served[] = [];
    try {
      for (const s of await Promise.allSettled(Array.from({ length: n }, (_, i) => serve(dir, i + 1)))) {
        if (s.status === "fulfilled") served.push(s.value);
        else throw s.reason;
      }
      const cpu0 = process.cpuUsage();
      const sim0 = served.map(cpuSeconds);
      const secs = await Promise.all(
        served.map((s) =>
          flashOne(s.port, plan).catch((e: unknown) => {
            const how = s.child.exitCode === null ? "still running" : `exited ${s.child.exitCode}`;
            throw new Error(
              `bench station-pty: unit ${s.unit} (${s.port}, ${how}): ${String(e)}\n${s.stderr()}`,
            );
          }),
        ),
      );
      const cpu = process.cpuUsage(cpu0);
      const simCpu = served.reduce((a, s, i) => a + cpuSeconds(s) - sim0[i]!, 0);
      const portSeconds = secs.reduce((a, t) => a + t, 0);
      const perPort = secs.map((t) => PAYLOAD / t);
      const mean = perPort.reduce((a, b) => a + b, 0) / n;
      const worst = Math.min(...perPort);
      if (n === 1) single = mean;
      const b = "station-pty";
      out.push(
        { bench: b, metric: `${n} ports @ ${BAUD}: mean per-port KiB/s`, value: mean / 1024, unit: "KiB/s" },
        {
          bench: b,
          metric: `${n} ports: mean per-port vs 1 port`,
          value: mean / single,
          unit: "ratio",
          goal: ">= 0.95",
        },
        { bench: b, metric: `${n} ports: slowest port vs 1 port`, value: worst / single, unit: "ratio" },
        {
          bench: b,
          metric: `${n} ports: host CPU s per port-s (flasher process)`,
          value: (cpu.user + cpu.system) / 1e6 / portSeconds,
          unit: "ratio",
        },
        {
          bench: b,
          metric: `${n} ports: served-module CPU s per port-s (simulation, not host work)`,
          value: simCpu / portSeconds,
          unit: "ratio",
        },
      );
    } finally {
      await Promise.all(served.map(stop));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // the wire limit for comparison: 10 bits per byte
  out.unshift({
    bench: "station-pty",
    metric: `wire limit @ ${BAUD}`,
    value: BAUD / 10 / 1024,
    unit: "KiB/s",
  });
  return out;
}

export const stationPtyBenches: Bench[] = [
  { name: "station-pty: parallel served modules", run: parallelPorts },
];
