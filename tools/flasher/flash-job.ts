/**
 * `flashbak flash` as a library: connect to one module in download mode, switch to the stub
 * and a fast baud rate, then for every segment of the plan: skip it when the module's MD5
 * already matches, else write it compressed and verify it by MD5; finally reset the module into
 * its firmware (or leave it in download mode).
 *
 * Failures mid-flash: a lost ACK is retried per block (EspClient); a timeout, a garbled answer
 * or a failed verify reconnects and carries on from the segment that failed (`reconnects`);
 * anything else ends the job with a typed error. Nothing here depends on what the flash held
 * before, and the loader is in mask ROM, so a failed job is always finished by running it
 * again: segments already written are skipped by their MD5.
 */
import { createHash } from "node:crypto";
import { chips } from "../../firmware-sim/flash/chips.js";
import { FlashbakError } from "../../firmware-sim/errors.js";
import type { SerialLink } from "../serial/link.js";
import { EspClient } from "./esp-client.js";
import { FlasherError } from "./flasher-error.js";
import { compressedRun, PROBE_BYTES, runsOf, type FlashPlan, type Run, type Segment } from "./flash-plan.js";
import { realTime, type HostTime } from "./host-time.js";

export interface FlashJobOptions {
  /** Baud rate to switch to after connecting; 0 = stay at the connect rate. Default 921600. */
  baud?: number;
  /** Baud rate the loader starts at. Default 115200. */
  connectBaud?: number;
  /** Reset into download mode with DTR/RTS before connecting. Default true. */
  resetBefore?: boolean;
  /** Connection attempts (each a reset + 5 SYNCs). Default 7. */
  connectAttempts?: number;
  /** Reset into the firmware when done. Default true (false = --no-reset, stay in download mode). */
  resetAfter?: boolean;
  /**
   * Upload the stub (only ever to a simulated module, see stub-image.ts). Default true; false
   * keeps to the ROM loader as against real hardware (1 KiB blocks, up-front erase).
   */
  stub?: boolean;
  /** Skip segments whose MD5 already matches. Default true. */
  skipUnchanged?: boolean;
  /** Send compressed (FLASH_DEFL_*) when it shrinks the data. Default true. */
  compress?: boolean;
  /** Reconnect-and-continue attempts after a timeout or failed verify. Default 2. */
  reconnects?: number;
  /** Command timeout, milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Refuse a module whose flash is smaller than this many bytes (0 = no check). */
  requiredFlashSize?: number;
  /** Host time (virtual for in-process simulated modules). Default wall clock. */
  time?: HostTime;
  /** Stop between blocks when aborted (Ctrl-C). */
  signal?: AbortSignal;
  onProgress?: (p: FlashProgress) => void;
  /** Loader messages for --verbose. */
  onLog?: (line: string) => void;
}

export interface FlashProgress {
  phase: "connect" | "check" | "write" | "verify" | "done";
  /** Uncompressed bytes finished (written or skipped). */
  done: number;
  total: number;
}

export interface ModuleIdentity {
  chip: string;
  mac: string;
  /** JEDEC ID of the flash chip. */
  flashId: number;
  /** Flash size from the JEDEC capacity byte, bytes. */
  flashSize: number;
  simulated: boolean;
}

export interface FlashResult {
  port: string;
  identity: ModuleIdentity;
  /** Uncompressed bytes covered by the plan. */
  totalBytes: number;
  /** Bytes written (uncompressed) and skipped (already identical). */
  writtenBytes: number;
  skippedBytes: number;
  /** Bytes of data sent in *_DATA packets (compressed where compressed). */
  sentBytes: number;
  segmentsWritten: number;
  segmentsSkipped: number;
  reconnects: number;
  durationMs: number;
  baud: number;
  /**
   * True when the module was reset into its firmware at the end (with --before no-reset:
   * confirmed by the loader no longer answering).
   */
  reset: boolean;
}

/**
 * True when the module already holds the segment: its first PROBE_BYTES, then all of it. A
 * blank segment (all 0xFF) goes straight to the whole check: on a blank chip it matches anyway.
 */
export async function holdsSegment(client: Pick<EspClient, "md5">, seg: Segment): Promise<boolean> {
  if (
    !seg.blank &&
    seg.data.length > 2 * PROBE_BYTES &&
    (await client.md5(seg.offset, PROBE_BYTES)) !== seg.probeMd5
  ) {
    return false;
  }
  return (await client.md5(seg.offset, seg.data.length)) === seg.md5;
}

const blankMd5s = new Map<number, string>();

/** MD5 of `size` bytes of 0xFF, lowercase hex. */
function blankMd5(size: number): string {
  let d = blankMd5s.get(size);
  if (d === undefined) {
    d = createHash("md5").update(new Uint8Array(size).fill(0xff)).digest("hex");
    blankMd5s.set(size, d);
  }
  return d;
}

/**
 * Which segments the module already holds. Consecutive blank segments (the unused tail of a
 * partition, often most of a package) are checked with one MD5 over their whole stretch, and
 * one by one only when that differs: a round trip per stretch instead of per 64 KiB, which at
 * 115200 baud is about 10 ms each.
 */
export async function segmentsHeld(
  client: Pick<EspClient, "md5">,
  segments: readonly Segment[],
  onCheck: () => void = () => undefined,
): Promise<Set<Segment>> {
  const held = new Set<Segment>();
  for (let i = 0; i < segments.length;) {
    let j = i + 1;
    if (segments[i]!.blank) {
      while (
        j < segments.length &&
        segments[j]!.blank &&
        segments[j]!.offset === segments[j - 1]!.offset + segments[j - 1]!.data.length
      ) {
        j++;
      }
    }
    onCheck();
    const group = segments.slice(i, j);
    const start = group[0]!.offset;
    const size = group.reduce((n, s) => n + s.data.length, 0);
    if (group.length > 1 && (await client.md5(start, size)) === blankMd5(size)) {
      for (const s of group) held.add(s);
    } else {
      for (const s of group) if (await holdsSegment(client, s)) held.add(s);
    }
    i = j;
  }
  return held;
}

/** Flash size from a JEDEC ID's capacity byte (2^n bytes), 0 when implausible. */
export function flashSizeFromId(id: number): number {
  const cap = id & 0xff;
  return cap >= 0x10 && cap <= 0x1a ? 2 ** cap : 0;
}

export async function flashModule(
  link: SerialLink,
  plan: FlashPlan,
  opts: FlashJobOptions = {},
): Promise<FlashResult> {
  const time = opts.time ?? realTime;
  const started = time.now();
  const client = new EspClient(link, time, { timeoutMs: opts.timeoutMs ?? 3000 });
  const total = plan.totalBytes;
  const result: FlashResult = {
    port: link.name,
    identity: { chip: "", mac: "", flashId: 0, flashSize: 0, simulated: false },
    totalBytes: total,
    writtenBytes: 0,
    skippedBytes: 0,
    sentBytes: 0,
    segmentsWritten: 0,
    segmentsSkipped: 0,
    reconnects: 0,
    durationMs: 0,
    baud: opts.connectBaud ?? 115200,
    reset: false,
  };
  const progress = (phase: FlashProgress["phase"]): void =>
    opts.onProgress?.({ phase, done: result.writtenBytes + result.skippedBytes, total });
  const log = opts.onLog ?? (() => undefined);

  const connect = async (first: boolean): Promise<void> => {
    progress("connect");
    const reset = opts.resetBefore ?? true;
    const slow = opts.connectBaud ?? 115200;
    const fast = opts.baud ?? 921600;
    // Without a reset the module may still run the stub at the fast rate (an earlier flash
    // with --no-reset, or a reconnect mid-flash): try that first, then the loader's own rate.
    let connected = false;
    if (!reset && fast > 0 && fast !== slow) {
      await client.setBaud(fast);
      await client.flushInput();
      connected = await client.sync();
      if (connected) result.baud = fast;
    }
    if (!connected) {
      await client.setBaud(slow);
      result.baud = slow;
      await client.connect({ attempts: opts.connectAttempts ?? 7, reset });
    }
    log(`${link.name}: connected to the ${client.personality} loader`);
    if (first) {
      result.identity.chip = await client.detectChip();
      result.identity.simulated = await client.isSimulator();
    }
    // The rate goes up before the stub is uploaded, so its 9 KiB go at the fast rate too (the
    // ESP32 ROM takes CHANGE_BAUDRATE; the stub keeps the UART as the ROM left it). The ROM
    // answers at whatever rate the host syncs with (auto-baud), but a pseudo-terminal carries
    // none: only CHANGE_BAUDRATE tells such a module the rate. So it goes to every loader but a
    // stub already running at the fast rate.
    const baud = opts.baud ?? 921600;
    if (baud > 0 && (baud !== result.baud || client.personality !== "stub")) {
      await client.changeBaud(baud, result.baud);
      result.baud = baud;
      log(`${link.name}: baud rate ${baud}`);
    }
    if (result.identity.simulated && (opts.stub ?? true)) await client.runStub();
    if (first) {
      result.identity.mac = await client.readMac();
      result.identity.flashId = await client.flashId();
      result.identity.flashSize = flashSizeFromId(result.identity.flashId);
      const need = opts.requiredFlashSize ?? 0;
      if (need > 0 && result.identity.flashSize > 0 && need > result.identity.flashSize) {
        throw new FlashbakError(
          "PKG_FLASH_SIZE",
          `${link.name}: the package needs ${need >> 20} MiB of flash; this module has ${result.identity.flashSize >> 20} MiB`,
          { hint: "use the package built for this module's board" },
        );
      }
    }
    await client.spiAttach();
    if (client.personality === "rom" && result.identity.flashSize > 0)
      await client.spiSetParams(result.identity.flashSize);
  };

  let lastCompressed: boolean | undefined;
  const verified = new Set<Segment>();
  let connected = false;
  for (;;) {
    try {
      checkAbort(opts.signal, link.name);
      if (!connected) {
        // The first connect reads the identity; later ones (after a failure) only re-establish.
        await connect(result.identity.flashId === 0);
        connected = true;
      }
      // Check every segment first, so writes then stream back to back (see runsOf).
      const unchecked = plan.segments.filter((seg) => !verified.has(seg));
      let held = new Set<Segment>();
      if (opts.skipUnchanged ?? true) held = await segmentsHeld(client, unchecked, () => progress("check"));
      else progress("check");
      const todo: Segment[] = [];
      for (const seg of unchecked) {
        if (held.has(seg)) {
          verified.add(seg);
          result.skippedBytes += seg.data.length;
          result.segmentsSkipped++;
        } else todo.push(seg);
      }
      for (const run of runsOf(todo)) {
        lastCompressed = await writeRun(client, plan, run, opts, result, progress);
        for (const seg of run.segments) verified.add(seg);
      }
      break;
    } catch (e) {
      if (!recoverable(e) || result.reconnects >= (opts.reconnects ?? 2)) throw e;
      result.reconnects++;
      log(`${link.name}: ${(e as Error).message}; reconnecting (${result.reconnects})`);
      await client.flushInput();
      connected = false;
    }
  }
  if (client.personality === "stub" && lastCompressed !== undefined)
    await client.flashEnd(lastCompressed, true);
  progress("done");
  if (opts.resetAfter ?? true) {
    const slow = opts.connectBaud ?? 115200;
    if ((opts.resetBefore ?? true) && link.modemLines !== false) {
      // The firmware's UART starts at the connect rate: listen there for what it prints.
      if (client.baud !== slow) await client.setBaud(slow);
      await client.flushInput();
      await client.hardReset();
      result.reset = true;
    } else {
      // The reset lines may not reach the module (a pseudo-terminal, a fixture without
      // auto-reset): if the loader still answers at its rate, say so instead of claiming a reset.
      await client.hardReset();
      await time.sleep(100);
      await client.flushInput();
      result.reset = !(await client.sync());
      if (!result.reset && client.personality === "stub") {
        // No reset lines, but the stub can start the firmware itself (esptool's soft_reset).
        await client.runUserCode();
        await time.sleep(100);
        await client.flushInput();
        result.reset = !(await client.sync());
      }
      if (client.baud !== slow) await client.setBaud(slow);
    }
  }
  result.durationMs = time.now() - started;
  return result;
}

/** Write one run in one session, then verify each of its segments; true when compressed. */
async function writeRun(
  client: EspClient,
  plan: FlashPlan,
  run: Run,
  opts: FlashJobOptions,
  result: FlashResult,
  progress: (phase: FlashProgress["phase"]) => void,
): Promise<boolean> {
  const z = (opts.compress ?? true) ? compressedRun(plan, run) : undefined;
  const wire = z ?? run.data;
  const compressed = z !== undefined;
  const blocks = await client.flashBegin({
    offset: run.offset,
    size: run.data.length,
    wireSize: wire.length,
    compressed,
  });
  const bs = client.writeBlockSize;
  const base = result.writtenBytes;
  try {
    for (let b = 0; b < blocks; b++) {
      checkAbort(opts.signal, client.link.name);
      let block = wire.subarray(b * bs, (b + 1) * bs);
      if (!compressed && block.length < bs) {
        // Plain writes pad the last block with 0xFF, as esptool does.
        const padded = new Uint8Array(bs).fill(0xff);
        padded.set(block);
        block = padded;
      }
      await client.flashBlock(b, block, compressed);
      result.sentBytes += block.length;
      result.writtenBytes = base + Math.round(((b + 1) / blocks) * run.data.length);
      progress("write");
    }
    result.writtenBytes = base + run.data.length;
    progress("verify");
    for (const seg of run.segments) {
      const got = await client.md5(seg.offset, seg.data.length);
      if (got !== seg.md5) {
        throw new FlasherError(
          "ESP_VERIFY_FAILED",
          `${client.link.name}: ${seg.region} at 0x${seg.offset.toString(16)} reads back MD5 ${got}, expected ${seg.md5}`,
          {
            hint: "the flash did not take the data (worn or failing flash, or a bad line); run the flash again, and replace the module if it repeats",
            details: { offset: seg.offset, expected: seg.md5, actual: got },
          },
        );
      }
    }
    result.segmentsWritten += run.segments.length;
  } catch (e) {
    // Nothing of this run counts as written: the next attempt re-checks it segment by segment.
    result.writtenBytes = base;
    throw e;
  }
  return compressed;
}

function checkAbort(signal: AbortSignal | undefined, port: string): void {
  if (signal?.aborted) {
    throw new FlasherError("ESP_INTERRUPTED", `${port}: interrupted`, {
      hint: "run the same command again to finish: segments already written are skipped by their MD5",
    });
  }
}

/** Timeouts, garbled answers and failed verifies are worth a reconnect; the rest is not. */
function recoverable(e: unknown): boolean {
  return (
    e instanceof FlasherError &&
    (e.code === "ESP_TIMEOUT" || e.code === "ESP_COMMAND_FAILED" || e.code === "ESP_VERIFY_FAILED")
  );
}

/** The JEDEC IDs of the chips we model, for messages. */
export function chipNameFromId(id: number): string | undefined {
  return Object.values(chips).find((c) => c.jedecId === id)?.part;
}
