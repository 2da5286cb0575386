/**
 * Mount a (damaged) image read-only and read everything in it, under a deadline, recording how
 * it ended. A case passes when it ends in success or `FsError`s only: never a hang, never a raw
 * exception (TypeError, RangeError, ...), never a write to the device.
 *
 * The library is synchronous, so a timer cannot interrupt it: the deadline lives in the block
 * device, which every loop over on-disk structures must call. Past the deadline (or a read
 * budget) each read throws `Deadline`, which is not a FlashbakError, so the library lets it
 * through (bd-cache.ts rethrows what is not a device error) and the case is reported as a hang.
 */
import { FlashbakError, FsError, isPowerLoss } from "../../firmware-sim/errors.js";
import type { BlockDevice, BlockGeometry } from "../../firmware-sim/flash/block-device.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { joinPath } from "../../firmware-sim/fs/path.js";
import { checkFs } from "../../firmware-sim/littlefs/check.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import type { Geometry } from "./craft.js";

export class Deadline extends Error {
  constructor(what: string) {
    super(`deadline: ${what}`);
    this.name = "Deadline";
  }
}

/** A read-only view that counts every prog/erase the library attempts and enforces the deadline. */
export class GuardedDevice implements BlockDevice {
  readonly geometry: BlockGeometry;
  /** Deliberately false: the library's own read-only mount must keep writes away. */
  readonly readOnly = false;
  writes = 0;
  reads = 0;
  constructor(
    private readonly inner: MemoryBlockDevice,
    private readonly deadline: number,
    private readonly maxReads: number,
  ) {
    this.geometry = inner.geometry;
  }
  read(block: number, off: number, into: Uint8Array): void {
    this.reads += 1;
    if (this.reads > this.maxReads) throw new Deadline(`more than ${this.maxReads} reads`);
    if ((this.reads & 0xff) === 0 && Date.now() > this.deadline) throw new Deadline("time");
    this.inner.read(block, off, into);
  }
  prog(): void {
    this.writes += 1;
    throw new FlashbakError("BD_READ_ONLY", "prog on a read-only mount");
  }
  erase(): void {
    this.writes += 1;
    throw new FlashbakError("BD_READ_ONLY", "erase on a read-only mount");
  }
  sync(): void {}
}

export type OutcomeKind = "ok" | "fs-error" | "hang" | "raw" | "wrote";

export interface Outcome {
  kind: OutcomeKind;
  /** littlefs codes met (LFS_CORRUPT, ...), in order, without repeats. */
  codes: string[];
  /** The raw exception or the hang, for the report. */
  detail?: string;
  entries: number;
  bytesRead: number;
}

/** Bytes read from one file at most (a file may claim 2^31-1 bytes). */
const MAX_FILE_READ = 2 << 20;
/** File bytes read per case at most. */
const MAX_CASE_READ = 4 << 20;
/** Directory visits per case at most (besides block_count / 2). */
const MAX_DIRS = 16;

/** Mount read-only and read everything; classify the ending. */
export function mountAndReadAll(
  img: Uint8Array,
  g: Geometry,
  opts: { ms?: number; maxReads?: number } = {},
): Outcome {
  const blockCount = Math.floor(img.length / g.blockSize);
  const out: Outcome = { kind: "ok", codes: [], entries: 0, bytesRead: 0 };
  if (blockCount < 2) {
    out.kind = "fs-error";
    out.codes.push("too-small");
    return out;
  }
  const mem = new MemoryBlockDevice(
    { readSize: 1, progSize: 1, blockSize: g.blockSize, blockCount, eraseValue: g.eraseValue },
    { data: img.subarray(0, blockCount * g.blockSize).slice(), readOnly: true },
  );
  const dev = new GuardedDevice(mem, Date.now() + (opts.ms ?? 20_000), opts.maxReads ?? 2_000_000);
  const note = (e: unknown): void => {
    if (isPowerLoss(e)) throw e;
    if (e instanceof FsError) {
      if (!out.codes.includes(e.code)) out.codes.push(e.code);
      if (out.kind === "ok") out.kind = "fs-error";
      return;
    }
    throw e;
  };
  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      note(e);
    }
  };
  try {
    let fs: LittleFs;
    try {
      fs = LittleFs.mount(dev, { blockSize: g.blockSize, blockCount: 0, nameMax: 1022 }, { readOnly: true });
    } catch (e) {
      note(e);
      return out;
    }
    attempt(() => void fs.fsStat());
    attempt(() => void fs.usage());
    attempt(() => void fs.gstate());
    attempt(() => fs.traverse(() => {}));
    // a directory cycle in the data is not the library's fault: stop after as many directory
    // visits as the image could hold (each directory owns a metadata pair), as the CLI does, and
    // stop reading file contents after MAX_CASE_READ bytes (a cycle repeats the same files)
    let dirBudget = Math.min(MAX_DIRS, Math.floor(blockCount / 2));
    const visit = (dir: string): void => {
      if (--dirBudget < 0) return;
      let list: ReturnType<LittleFs["readdir"]> = [];
      attempt(() => {
        list = fs.readdir(dir);
      });
      for (const e of list) {
        out.entries += 1;
        // a damaged name ("" or with '/') would alias its parent or another path: the library
        // reported it, which is all it can do; walking it would only revisit other entries
        if (e.name === "" || e.name.includes("/")) continue;
        const p = joinPath(dir, e.name);
        attempt(() => void fs.stat(p));
        attempt(() => void fs.getAttr(p, 0x74));
        if (e.type === "dir") visit(p);
        else if (out.bytesRead < MAX_CASE_READ) attempt(() => readCapped(fs, p, out));
      }
    };
    visit("/");
    attempt(() => void checkFs(fs));
    fs.unmount();
  } catch (e) {
    if (e instanceof Deadline) {
      out.kind = "hang";
      out.detail = e.message;
    } else {
      out.kind = "raw";
      out.detail =
        e instanceof Error
          ? `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 5).join("\n")}`
          : String(e);
    }
  }
  if (dev.writes > 0 && out.kind !== "raw" && out.kind !== "hang") {
    out.kind = "wrote";
    out.detail = `${dev.writes} prog/erase calls on a read-only mount`;
  }
  return out;
}

function readCapped(fs: LittleFs, path: string, out: Outcome): void {
  const f = fs.open(path, { read: true });
  try {
    const buf = new Uint8Array(64 * 1024);
    let total = 0;
    while (total < MAX_FILE_READ) {
      const n = f.read(buf);
      if (n === 0) break;
      total += n;
    }
    out.bytesRead += total;
  } finally {
    f.close();
  }
}
