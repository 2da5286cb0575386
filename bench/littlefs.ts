/**
 * littlefs figures (goals are from the reference C implementation, see
 * shared/reference/littlefs-format.md section 3):
 * - pack a 1000-file, ~9 MiB tree into a 16 MiB image with 4096-byte blocks and read it all back
 *   (the reference C packs it in ~0.15 s: the goal is within 2x);
 * - a 128 KiB file written and read in 64-byte chunks, in order and reversed, on littlefs's
 *   default bench geometry (512-byte blocks, read/prog 16, cache 64), with bytes read /
 *   programmed / erased per byte of data (published: ~1x programmed and erased in order).
 */
import { MemoryBlockDevice } from "../firmware-sim/flash/block-device.js";
import { readFile } from "../firmware-sim/fs/fs-util.js";
import { Whence } from "../firmware-sim/fs/file-system.js";
import { LittleFs, preset, type LfsConfig } from "../firmware-sim/littlefs/index.js";
import type { Bench, BenchResult } from "./report.js";
import { mbps } from "./report.js";

function content(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface TreeFile {
  path: string;
  data: Uint8Array;
}

/** 10 directories of 100 files, sizes from 20 bytes to ~19 KiB, ~9 MiB in total. */
function tree(): { dirs: string[]; files: TreeFile[]; bytes: number } {
  const dirs: string[] = [];
  const files: TreeFile[] = [];
  let bytes = 0;
  for (let d = 0; d < 10; d++) {
    dirs.push(`/dir${d}`);
    for (let f = 0; f < 100; f++) {
      const n = f % 10 === 0 ? 20 + f : 1000 + (((d * 100 + f) * 7919) % 18000);
      files.push({
        path: `/dir${d}/file${String(f).padStart(3, "0")}.bin`,
        data: content(d * 100 + f + 1, n),
      });
      bytes += n;
    }
  }
  return { dirs, files, bytes };
}

function packOnce(
  t: ReturnType<typeof tree>,
  cfg: LfsConfig,
): { bd: MemoryBlockDevice; wallMs: number; cpuMs: number } {
  const bd = new MemoryBlockDevice({
    readSize: 1,
    progSize: 1,
    blockSize: 4096,
    blockCount: 4096,
    eraseValue: 0xff,
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  LittleFs.format(bd, cfg);
  const fs = LittleFs.mount(bd, cfg);
  for (const d of t.dirs) fs.mkdir(d);
  for (const f of t.files) {
    const h = fs.open(f.path, { write: true, create: true, truncate: true });
    h.write(f.data);
    h.close();
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { bd, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

function pack(name: string, cfg: LfsConfig): BenchResult[] {
  const t = tree();
  // one warm-up pass: the first run measures the JIT, not littlefs
  packOnce(t, cfg);
  const { bd, wallMs, cpuMs } = packOnce(t, cfg);
  const t1 = performance.now();
  const ro = LittleFs.mount(bd, cfg, { readOnly: true });
  let read = 0;
  for (const f of t.files) read += readFile(ro, f.path).length;
  const readMs = performance.now() - t1;
  if (read !== t.bytes) throw new Error(`read back ${read} of ${t.bytes} bytes`);
  const mib = (t.bytes / 2 ** 20).toFixed(1);
  return [
    {
      bench: "littlefs",
      metric: `pack 1000 files / ${mib} MiB, wall (${name})`,
      value: wallMs,
      unit: "ms",
      goal: "<= 300 (C: ~150)",
    },
    {
      bench: "littlefs",
      metric: `pack 1000 files / ${mib} MiB, CPU (${name})`,
      value: cpuMs,
      unit: "ms",
      goal: "<= 300 (C: ~150)",
    },
    { bench: "littlefs", metric: `pack throughput (${name})`, value: mbps(t.bytes, wallMs), unit: "MB/s" },
    {
      bench: "littlefs",
      metric: `read back all files (${name})`,
      value: mbps(t.bytes, readMs),
      unit: "MB/s",
    },
    {
      bench: "littlefs",
      metric: `  bytes programmed / data (pack, ${name})`,
      value: bd.stats.progBytes / t.bytes,
      unit: "x",
    },
    {
      bench: "littlefs",
      metric: `  bytes erased / data (pack, ${name})`,
      value: bd.stats.eraseBytes / t.bytes,
      unit: "x",
    },
  ];
}

const SMALL: LfsConfig = { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 16, blockCycles: -1 };

function chunked(order: "in order" | "reversed"): BenchResult[] {
  const size = 128 * 1024;
  const chunk = 64;
  const data = content(42, size);
  const bd = new MemoryBlockDevice({
    readSize: 1,
    progSize: 1,
    blockSize: 512,
    blockCount: 2048,
    eraseValue: 0xff,
  });
  LittleFs.format(bd, SMALL);
  const fs = LittleFs.mount(bd, SMALL);
  const s0 = { ...bd.stats };
  const t0 = performance.now();
  const w = fs.open("/f", { write: true, create: true });
  const n = size / chunk;
  for (let k = 0; k < n; k++) {
    const i = order === "in order" ? k : n - 1 - k;
    w.seek(i * chunk, Whence.Set);
    w.write(data.subarray(i * chunk, (i + 1) * chunk));
  }
  w.close();
  const writeMs = performance.now() - t0;
  const s1 = { ...bd.stats };
  const r = fs.open("/f", { read: true });
  const buf = new Uint8Array(chunk);
  const t1 = performance.now();
  for (let k = 0; k < n; k++) {
    const i = order === "in order" ? k : n - 1 - k;
    r.seek(i * chunk, Whence.Set);
    r.read(buf);
  }
  r.close();
  const readMs = performance.now() - t1;
  const s2 = { ...bd.stats };
  const x = (v: number): number => v / size;
  return [
    { bench: "littlefs", metric: `128 KiB write, 64 B chunks, ${order}`, value: writeMs, unit: "ms" },
    {
      bench: "littlefs",
      metric: `  bytes read / data (write ${order})`,
      value: x(s1.readBytes - s0.readBytes),
      unit: "x",
    },
    {
      bench: "littlefs",
      metric: `  bytes programmed / data (write ${order})`,
      value: x(s1.progBytes - s0.progBytes),
      unit: "x",
      goal: order === "in order" ? "~1 (C: 1.01)" : "C: ~1050",
    },
    {
      bench: "littlefs",
      metric: `  bytes erased / data (write ${order})`,
      value: x(s1.eraseBytes - s0.eraseBytes),
      unit: "x",
      goal: order === "in order" ? "~1 (C: 1.02)" : "C: ~1050",
    },
    {
      bench: "littlefs",
      metric: `128 KiB read, 64 B chunks, ${order}`,
      value: mbps(size, readMs),
      unit: "MB/s",
    },
    {
      bench: "littlefs",
      metric: `  bytes read / data (read ${order})`,
      value: x(s2.readBytes - s1.readBytes),
      unit: "x",
    },
  ];
}

export const littlefsBenches: Bench[] = [
  { name: "littlefs pack (esp-idf preset)", run: () => pack("esp-idf", preset("esp-idf")) },
  { name: "littlefs pack (reference preset)", run: () => pack("reference", preset("reference")) },
  { name: "littlefs 128 KiB in order", run: () => chunked("in order") },
  { name: "littlefs 128 KiB reversed", run: () => chunked("reversed") },
];
