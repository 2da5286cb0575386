/**
 * NOR model figures: the model must never be the bottleneck (goals: >= 200 MB/s read,
 * >= 100 MB/s program through the BlockDevice interface in 4 KiB operations) and a snapshot of
 * an 8 MiB flash must cost under 1 ms and under 64 KiB of new memory until the branches diverge.
 */
import { chipById } from "../firmware-sim/flash/chips.js";
import { NorFlash } from "../firmware-sim/flash/nor-flash.js";
import { PartitionBlockDevice } from "../firmware-sim/flash/partition-block-device.js";
import type { Bench, BenchResult } from "./report.js";
import { mbps } from "./report.js";

function device(): { flash: NorFlash; bd: PartitionBlockDevice } {
  const flash = new NorFlash({ chip: chipById("w25q64") });
  const bd = new PartitionBlockDevice(flash, { name: "bench", offset: 0, size: flash.size, blockSize: 4096 });
  return { flash, bd };
}

function throughput(): BenchResult[] {
  const { bd } = device();
  const blocks = bd.geometry.blockCount;
  const data = new Uint8Array(4096).map((_, i) => (i * 7) & 0xfe);
  const buf = new Uint8Array(4096);
  const rounds = 8;
  let progMs = 0;
  let readMs = 0;
  let eraseMs = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (let b = 0; b < blocks; b++) bd.erase(b);
    eraseMs += performance.now() - t;
    t = performance.now();
    for (let b = 0; b < blocks; b++) bd.prog(b, 0, data);
    progMs += performance.now() - t;
    t = performance.now();
    for (let b = 0; b < blocks; b++) bd.read(b, 0, buf);
    readMs += performance.now() - t;
  }
  const bytes = rounds * blocks * 4096;
  return [
    {
      bench: "flash",
      metric: "read 4 KiB via BlockDevice",
      value: mbps(bytes, readMs),
      unit: "MB/s",
      goal: ">= 200",
    },
    {
      bench: "flash",
      metric: "program 4 KiB via BlockDevice",
      value: mbps(bytes, progMs),
      unit: "MB/s",
      goal: ">= 100",
    },
    { bench: "flash", metric: "erase 4 KiB via BlockDevice", value: mbps(bytes, eraseMs), unit: "MB/s" },
  ];
}

function snapshotCost(): BenchResult[] {
  const { flash, bd } = device();
  // Fill the whole chip so every sector holds its own buffer.
  const data = new Uint8Array(4096).fill(0x5a);
  for (let b = 0; b < bd.geometry.blockCount; b++) bd.prog(b, 0, data);
  const n = 200;
  // Run with --expose-gc (npm run bench does) so garbage from the fill does not skew the figure.
  globalThis.gc?.();
  const before = process.memoryUsage();
  const snaps = [];
  const t = performance.now();
  for (let i = 0; i < n; i++) snaps.push(flash.snapshot());
  const ms = (performance.now() - t) / n;
  globalThis.gc?.();
  const after = process.memoryUsage();
  const grown = after.heapUsed - before.heapUsed + Math.max(0, after.arrayBuffers - before.arrayBuffers);
  const bytesPer = grown / n;
  // Branch: power on a copy and write one sector; only that sector is copied.
  const t2 = performance.now();
  const branch = NorFlash.fromSnapshot(snaps[0]!, {});
  branch.erase(0, 4096);
  const branchMs = performance.now() - t2;
  return [
    { bench: "flash", metric: "snapshot of 8 MiB flash", value: ms, unit: "ms", goal: "< 1" },
    {
      bench: "flash",
      metric: "snapshot new memory (approx.)",
      value: bytesPer / 1024,
      unit: "KiB",
      goal: "< 64",
    },
    { bench: "flash", metric: "branch + first write", value: branchMs, unit: "ms" },
    { bench: "flash", metric: "snapshots kept", value: snaps.length, unit: "count" },
  ];
}

export const flashBenches: Bench[] = [
  { name: "flash-throughput", run: throughput },
  { name: "flash-snapshot", run: snapshotCost },
];
