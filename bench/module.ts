/**
 * Boot of an EC600U-class module with a full `/usr`: 300 protected files (short scripts and
 * configs, 60-124 B each, ten directories), every one backed up in `/bak` and listed in
 * checksum.json, on littlefs over the NOR model. Two states: intact, and 10% of the protected
 * files damaged (15 deleted, 15 overwritten), which the boot restores.
 *
 * Figures per restore mode and state: host milliseconds (median of 5 boots), virtual flash
 * busy time of the boot (`flash.stats().busyUs`), and flash bytes read against the minimum a
 * boot needs: every protected file and `/usr/checksum.json` read once, plus, when damaged, each
 * damaged file's backup copy (hardened also reads `/bak/checksum.json` once to verify it).
 * Bytes above the minimum are littlefs metadata (directory fetches, the 256-byte read unit),
 * the SecureData scan (16 KiB) and the firmware descriptor.
 */
import type { FlashSnapshot } from "../firmware-sim/flash/nor-flash.js";
import { NorFlash } from "../firmware-sim/flash/nor-flash.js";
import { writeFile } from "../firmware-sim/fs/fs-util.js";
import type { BoardProfile } from "../firmware-sim/module/boards.js";
import { boardById } from "../firmware-sim/module/boards.js";
import type { FactoryFile } from "../firmware-sim/module/factory.js";
import { provision } from "../firmware-sim/module/factory.js";
import { boardFlash, partitionDevice } from "../firmware-sim/module/flash-map.js";
import { SecureData } from "../firmware-sim/module/securedata.js";
import { capacityOf } from "../firmware-sim/module/securedata-layout.js";
import { LittleFsDriver } from "../firmware-sim/module/fs-driver.js";
import { Module } from "../firmware-sim/module/module.js";
import type { RestoreMode } from "../firmware-sim/module/restore-policy.js";
import type { Bench, BenchResult } from "./report.js";

/**
 * The ec600u profile with `/bak` as large as `/usr` (384 KiB, placed after the SecureData
 * region): the real 128 KiB backup partition cannot hold 300 backed-up files in littlefs with
 * 4 KiB blocks (each directory's metadata pair costs 8 KiB), which `provision` reports as
 * LFS_NOSPC. `/usr`, the chip, and the littlefs configuration are the EC600U's.
 */
const board: BoardProfile = (() => {
  const base = boardById("ec600u");
  return {
    ...base,
    id: "ec600u-bench",
    partitions: base.partitions.map((p) =>
      p.name === "customer_backup_fs" ? { ...p, offset: 0x4b0000, size: 384 * 1024 } : p,
    ),
  };
})();
const FILES = 300;
const DAMAGED = 30;
const RUNS = 5;

function files(): FactoryFile[] {
  let x = 0x2545f491;
  const out: FactoryFile[] = [];
  for (let i = 0; i < FILES; i++) {
    const len = 60 + (i % 65);
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[j] = 0x20 + ((x >>> 0) % 95);
    }
    out.push({ path: `/usr/m${i % 10}/f${String(i).padStart(3, "0")}.py`, data, backup: true });
  }
  return out;
}

function module(snap: FlashSnapshot, mode: RestoreMode): Module {
  return new Module({
    board,
    flash: NorFlash.fromSnapshot(snap, {}),
    fsDriver: new LittleFsDriver(),
    restoreMode: mode,
  });
}

function states(): {
  intact: FlashSnapshot;
  damaged: FlashSnapshot;
  list: FactoryFile[];
  damagedBytes: number;
} {
  const list = files();
  const flash = boardFlash(board);
  provision(flash, board, new LittleFsDriver(), { files: list });
  const intact = flash.snapshot();
  const m = module(intact, "hardened");
  m.attach();
  let damagedBytes = 0;
  for (let k = 0; k < DAMAGED; k++) {
    const f = list[k * 10]!;
    damagedBytes += f.data.length;
    const inner = f.path.slice("/usr".length);
    if (k % 2 === 0) m.usr.remove(inner);
    else writeFile(m.usr, inner, new TextEncoder().encode("damaged"));
  }
  return { intact, damaged: m.flash.snapshot(), list, damagedBytes };
}

function measure(
  snap: FlashSnapshot,
  mode: RestoreMode,
): { ms: number; busyUs: number; bytesRead: number; restored: number; csum: number } {
  const times: number[] = [];
  let last: { busyUs: number; bytesRead: number; restored: number; csum: number } | undefined;
  for (let r = 0; r < RUNS; r++) {
    const m = module(snap, mode);
    const t0 = performance.now();
    const report = m.boot();
    times.push(performance.now() - t0);
    const csum = m.vfs.stat("/usr/checksum.json").size;
    last = {
      busyUs: report.flash.busyUs,
      bytesRead: report.flash.bytesRead,
      restored: report.restore.restored.length,
      csum,
    };
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, ...last! };
}

/** SecureData Stores of each size class, round robin: virtual flash time and erases per Store. */
function secureDataBench(): BenchResult[] {
  const STORES = 2000;
  const real = boardById("ec600u");
  const flash = boardFlash(real);
  const sd = new SecureData(partitionDevice(flash, real, "securedata"));
  const t0 = performance.now();
  for (let k = 0; k < STORES; k++) {
    const index = (k % 16) + 1;
    const v = new Uint8Array(capacityOf(index)).fill(k & 0xff);
    sd.Store(index, v, v.length);
  }
  const ms = performance.now() - t0;
  const st = flash.stats();
  const bench = "module securedata store (full-capacity round robin)";
  return [
    { bench, metric: "host time per Store", value: (ms * 1000) / STORES, unit: "us" },
    { bench, metric: "virtual flash time per Store", value: st.busyUs / STORES / 1000, unit: "ms" },
    { bench, metric: "erases per Store", value: st.erases / STORES, unit: "erases" },
    { bench, metric: "bytes programmed per Store", value: st.bytesProgrammed / STORES, unit: "B" },
  ];
}

export const moduleBenches: Bench[] = [
  { name: "module securedata", run: secureDataBench },
  {
    name: "module boot",
    run(): BenchResult[] {
      const s = states();
      const protectedBytes = s.list.reduce((a, f) => a + f.data.length, 0);
      const out: BenchResult[] = [];
      for (const mode of ["faithful", "hardened"] as const) {
        for (const [state, snap] of [
          ["intact", s.intact],
          ["10% damaged", s.damaged],
        ] as const) {
          const r = measure(snap, mode);
          const bench = `module boot ${mode} ${state}`;
          let minimum = protectedBytes + r.csum;
          if (state !== "intact") minimum += s.damagedBytes + (mode === "hardened" ? r.csum : 0);
          out.push(
            { bench, metric: "host time (median of 5)", value: r.ms, unit: "ms" },
            { bench, metric: "virtual flash busy time", value: r.busyUs / 1000, unit: "ms" },
            { bench, metric: "flash bytes read", value: r.bytesRead, unit: "B" },
            { bench, metric: "minimum bytes (files + checksum.json once)", value: minimum, unit: "B" },
            { bench, metric: "read amplification", value: r.bytesRead / minimum, unit: "x" },
            { bench, metric: "files restored", value: r.restored, unit: "files" },
          );
        }
      }
      return out;
    },
  },
];
