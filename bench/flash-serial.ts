/**
 * Flashing over the simulated serial line (virtual time: wire at 10 bits per byte, 500 us
 * USB-serial latency per transfer, the W25Q64's datasheet program and erase times).
 *
 * Goals (DESIGN.md "Download mode and flashing"):
 * - incompressible data: effective payload throughput >= 95% of the wire limit (baud / 10
 *   bytes per second) at 115200, 921600 and 2000000 baud, on blank and on previously written
 *   flash (the latter needs erases, which the flash may not keep up with at high baud);
 * - a typical package (images/example.fbpkg): >= 4x the wire limit, from compression and the
 *   regions skipped by MD5;
 * - 1, 4, 8 and 16 modules at once: per-port throughput within 5% of a single port. The host
 *   CPU time per simulated second is reported too: it shows how many real ports one host core
 *   could drive.
 */
import { deflateSync } from "node:zlib";
import { VirtualClock } from "../firmware-sim/clock.js";
import { DownloadMode } from "../firmware-sim/download/download-mode.js";
import { chipById } from "../firmware-sim/flash/chips.js";
import { NorFlash } from "../firmware-sim/flash/nor-flash.js";
import { flashModule, type FlashProgress } from "../tools/flasher/flash-job.js";
import { packageInput } from "../tools/flasher/flash-input.js";
import { planFlash, type FlashPlan } from "../tools/flasher/flash-plan.js";
import { Timeline, VirtualLink } from "../tools/flasher/virtual-link.js";
import type { Bench, BenchResult } from "./report.js";
import { Rng } from "../firmware-sim/flash/faults.js";

const MiB = 1 << 20;

function noise(n: number, seed: number): Uint8Array {
  return new Rng(seed >>> 0 || 1).bytes(n);
}

function module(timeline: Timeline, name: string, seed: number): { link: VirtualLink; flash: NorFlash } {
  const link = new VirtualLink(timeline, { name });
  const clock = new VirtualClock(timeline.us);
  const flash = new NorFlash({ chip: chipById("w25q64"), clock });
  const loader = new DownloadMode({
    flash,
    tx: link.moduleTx,
    macSeed: seed,
    onBaudChange: (b) => link.setModuleBaud(b),
  });
  link.attach({ peer: loader, clock });
  loader.enter();
  return { link, flash };
}

/** Seconds of the data phase: from the first MD5 check to the end of the last verify. */
async function timedFlash(
  link: VirtualLink,
  timeline: Timeline,
  plan: FlashPlan,
  baud: number,
  skip = true,
): Promise<number> {
  let start = -1;
  let end = -1;
  await flashModule(link, plan, {
    baud,
    skipUnchanged: skip,
    resetBefore: false,
    resetAfter: false,
    time: timeline,
    onProgress: (p: FlashProgress) => {
      if (start < 0 && p.phase === "check") start = timeline.now();
      if (p.phase === "done") end = timeline.now();
    },
  });
  return (end - start) / 1000;
}

async function incompressible(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const size = MiB;
  const plan = planFlash([{ name: "noise", offset: 0x100000, data: noise(size, 3) }], { flashSize: 8 * MiB });
  for (const baud of [115200, 921600, 2_000_000]) {
    const wire = baud / 10;
    const timeline = new Timeline();
    const m = module(timeline, "sim:0", 1);
    const blank = await timedFlash(m.link, timeline, plan, baud);
    // Previously written flash: the same range holds other data, so every sector needs an erase.
    const other = planFlash([{ name: "noise", offset: 0x100000, data: noise(size, 4) }], {
      flashSize: 8 * MiB,
    });
    const over = await timedFlash(m.link, timeline, other, baud);
    // Without the MD5 pre-check (--no-skip): what the checks cost.
    const m2 = module(timeline, "sim:1", 2);
    const noSkip = await timedFlash(m2.link, timeline, plan, baud, false);
    out.push(
      {
        bench: "flash-serial",
        metric: `incompressible ${baud} baud, blank flash: wire fraction`,
        value: size / blank / wire,
        unit: "ratio",
        goal: ">= 0.95",
      },
      {
        bench: "flash-serial",
        metric: `incompressible ${baud} baud, blank flash, --no-skip: wire fraction`,
        value: size / noSkip / wire,
        unit: "ratio",
        goal: ">= 0.95",
      },
      {
        bench: "flash-serial",
        metric: `incompressible ${baud} baud, written flash: wire fraction`,
        value: size / over / wire,
        unit: "ratio",
        goal: ">= 0.95 (flash-bound above ~1 Mbaud)",
      },
    );
  }
  return out;
}

async function typicalPackage(): Promise<BenchResult[]> {
  const input = packageInput(new URL("../../images/example.fbpkg", import.meta.url).pathname);
  const plan = planFlash(input.regions, { flashSize: input.flashSize });
  const out: BenchResult[] = [];
  for (const baud of [115200, 921600]) {
    const wire = baud / 10;
    const timeline = new Timeline();
    const m = module(timeline, "sim:0", 1);
    const first = await timedFlash(m.link, timeline, plan, baud);
    const again = await timedFlash(m.link, timeline, plan, baud);
    out.push(
      {
        bench: "flash-serial",
        metric: `example.fbpkg ${baud} baud, blank module: x wire limit`,
        value: plan.totalBytes / first / wire,
        unit: "x",
        goal: ">= 4",
      },
      {
        bench: "flash-serial",
        metric: `example.fbpkg ${baud} baud, same package again: x wire limit`,
        value: plan.totalBytes / again / wire,
        unit: "x",
        goal: ">= 4",
      },
    );
  }
  // A denser image than the example: 1 MiB of firmware that zlib shrinks to about half (code
  // and data are typically 53-71% of their size compressed), then a 512 KiB file system 10% used.
  const fw = appLike(MiB, 5);
  const fs = new Uint8Array(512 * 1024).fill(0xff);
  fs.set(appLike(52 * 1024, 6), 0);
  const dense = planFlash(
    [
      { name: "firmware", offset: 0x10000, data: fw },
      { name: "customer_fs", offset: 0x420000, data: fs },
    ],
    { flashSize: 8 * MiB },
  );
  const ratio = deflateSync(fw, { level: 9 }).length / fw.length;
  for (const baud of [115200, 921600]) {
    const timeline = new Timeline();
    const m = module(timeline, "sim:0", 1);
    const t = await timedFlash(m.link, timeline, dense, baud);
    out.push({
      bench: "flash-serial",
      metric: `1 MiB app (zlib ${ratio.toFixed(2)}) + 512 KiB fs ${baud} baud: x wire limit`,
      value: dense.totalBytes / t / (baud / 10),
      unit: "x",
      goal: ">= 4",
    });
  }
  return out;
}

/** Bytes that compress about as firmware does: words from a small vocabulary, some noise. */
function appLike(n: number, seed: number): Uint8Array {
  const vocab = Array.from({ length: 512 }, (_, i) => noise(2 + (i % 9), seed * 1000 + i));
  const out = new Uint8Array(n);
  const r = noise(n, seed + 77);
  let o = 0;
  for (let i = 0; o < n; i++) {
    const pick = r[i % n]!;
    if (pick < 96) {
      out[o++] = r[(i * 7) % n]!;
      continue;
    }
    const w = vocab[(pick * 2 + r[(i * 3) % n]!) % vocab.length]!;
    out.set(w.subarray(0, Math.min(w.length, n - o)), o);
    o += w.length;
  }
  return out;
}

async function parallel(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const size = 512 * 1024;
  const baud = 921600;
  const plan = planFlash([{ name: "noise", offset: 0x10000, data: noise(size, 9) }], { flashSize: 8 * MiB });
  let single = 0;
  for (const n of [1, 4, 8, 16]) {
    const timeline = new Timeline();
    const mods = Array.from({ length: n }, (_, i) => module(timeline, `sim:${i}`, i + 1));
    const cpu0 = process.cpuUsage();
    const times = await Promise.all(mods.map((m) => timedFlash(m.link, timeline, plan, baud)));
    const cpu = process.cpuUsage(cpu0);
    const perPort = size / Math.max(...times);
    if (n === 1) single = perPort;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    out.push(
      {
        bench: "flash-serial",
        metric: `${n} modules at once: per-port KiB/s`,
        value: perPort / 1024,
        unit: "KiB/s",
      },
      {
        bench: "flash-serial",
        metric: `${n} modules at once: per-port vs 1 port`,
        value: perPort / single,
        unit: "ratio",
        goal: ">= 0.95",
      },
      {
        bench: "flash-serial",
        metric: `${n} modules at once: host CPU s per port-s`,
        value: cpuSeconds / (n * Math.max(...times)),
        unit: "ratio",
      },
    );
  }
  return out;
}

export const flashSerialBenches: Bench[] = [
  { name: "flash-serial: incompressible data vs wire limit", run: incompressible },
  { name: "flash-serial: typical package", run: typicalPackage },
  { name: "flash-serial: parallel modules", run: parallel },
];
