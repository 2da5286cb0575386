/**
 * Line faults injected mid-flash: every run must end either with a verified module or with a
 * clean, typed failure after which running the flash again finishes the job.
 */
import { describe, expect, it } from "vitest";
import { FlashbakError } from "../../../firmware-sim/errors.js";
import { flashModule, type FlashJobOptions } from "../../../tools/flasher/flash-job.js";
import { planFlash, type FlashRegion } from "../../../tools/flasher/flash-plan.js";
import { VirtualLink, type Direction } from "../../../tools/flasher/virtual-link.js";
import { noise, simUnit } from "../../download/harness.js";

const MiB = 1 << 20;
const rs: FlashRegion[] = [
  { name: "firmware", offset: 0x10000, data: noise(200_000, 11) },
  { name: "customer_fs", offset: 0x80000, data: new Uint8Array(0x20000).fill(0xff).fill(0x42, 0, 5000) },
];
const plan = planFlash(rs, { flashSize: MiB });
const opts: FlashJobOptions = { baud: 921600, resetAfter: false, timeoutMs: 500 };

function holds(image: Uint8Array): boolean {
  return rs.every((r) =>
    Buffer.from(image.subarray(r.offset, r.offset + r.data.length)).equals(Buffer.from(r.data)),
  );
}

type Fault = { dir: Direction; at: number; kind: "drop" | "flip" | "burst" };

function mangler(f: Fault, hit: { count: number }) {
  return (dir: Direction, data: Uint8Array, offset: number): Uint8Array => {
    if (dir !== f.dir || f.at < offset || f.at >= offset + data.length) return data;
    hit.count++;
    const i = f.at - offset;
    if (f.kind === "drop") return Uint8Array.from([...data.subarray(0, i), ...data.subarray(i + 1)]);
    const out = data.slice();
    if (f.kind === "flip") out[i]! ^= 0x10;
    else for (let k = i; k < Math.min(out.length, i + 64); k++) out[k] = 0xc0; // a noise burst of frame ends
    return out;
  };
}

const CLEAN_CODES = /^(ESP_|SERIAL_)/;

describe("line faults mid-flash", () => {
  it.each<[string, Fault]>([
    ["a byte dropped inside a data block", { dir: "host-to-module", at: 40_000, kind: "drop" }],
    ["a bit flipped inside a data block", { dir: "host-to-module", at: 60_000, kind: "flip" }],
    ["a bit flipped in a later block", { dir: "host-to-module", at: 150_001, kind: "flip" }],
    ["a burst of frame delimiters", { dir: "host-to-module", at: 90_000, kind: "burst" }],
    ["a byte dropped from an ACK", { dir: "module-to-host", at: 700, kind: "drop" }],
    ["a bit flipped in an answer", { dir: "module-to-host", at: 1200, kind: "flip" }],
  ])("%s ends verified or resumable", async (_label, fault) => {
    const hit = { count: 0 };
    const u = simUnit({ flashSize: MiB, mangle: mangler(fault, hit) });
    let failed: unknown;
    try {
      await flashModule(u.link, plan, { ...opts, time: u.timeline });
    } catch (e) {
      failed = e;
    }
    expect(hit.count).toBe(1);
    if (failed === undefined) {
      expect(holds(u.flash.image())).toBe(true);
      return;
    }
    expect(failed).toBeInstanceOf(FlashbakError);
    expect((failed as FlashbakError).code).toMatch(CLEAN_CODES);
    const again = await flashModule(u.link, plan, { ...opts, time: u.timeline });
    expect(again.writtenBytes + again.skippedBytes).toBe(plan.totalBytes);
    expect(holds(u.flash.image())).toBe(true);
  });

  it("a disconnect mid-flash fails cleanly; after re-plugging, the flash resumes and skips what was written", async () => {
    const u = simUnit({ flashSize: MiB });
    const job = flashModule(u.link, plan, {
      ...opts,
      time: u.timeline,
      onProgress: (p) => p.done >= 0x20000 && u.link.disconnect(),
    });
    await expect(job).rejects.toMatchObject({ code: "SERIAL_DISCONNECTED" });
    // Re-plugging power-cycles the module; it boots its firmware (DTR/RTS idle).
    const link2 = new VirtualLink(u.timeline, { name: "sim:replugged" });
    const u2 = simUnit({ snapshot: u.flash.snapshot(), download: false, flashSize: MiB }, { link: link2 });
    const r = await flashModule(link2, plan, { ...opts, time: u.timeline });
    expect(r.segmentsSkipped).toBeGreaterThanOrEqual(2);
    expect(holds(u2.flash.image())).toBe(true);
  });

  it.each([
    ["before", 5],
    ["during", 9],
    ["after", 14],
    ["during", 30],
  ] as const)("a power cut %s flash write %i leaves a module that can be flashed again", async (when, at) => {
    const u = simUnit({ flashSize: MiB, powerCut: { at, when } });
    await expect(
      flashModule(u.link, plan, { ...opts, time: u.timeline, connectAttempts: 2 }),
    ).rejects.toSatisfy((e: unknown) => e instanceof FlashbakError && CLEAN_CODES.test(e.code));
    expect(u.link.powerLoss).toBeDefined();
    // Power comes back: the loader is in mask ROM, so download mode works whatever the flash holds.
    const u2 = u.repower();
    const r = await flashModule(u2.link, plan, { ...opts, time: u2.timeline });
    expect(r.writtenBytes + r.skippedBytes).toBe(plan.totalBytes);
    expect(holds(u2.flash.image())).toBe(true);
  });

  it("Ctrl-C stops between blocks with a resumable error", async () => {
    const u = simUnit({ flashSize: MiB });
    const ac = new AbortController();
    const job = flashModule(u.link, plan, {
      ...opts,
      time: u.timeline,
      signal: ac.signal,
      onProgress: (p) => p.done > 0x18000 && ac.abort(),
    });
    await expect(job).rejects.toMatchObject({
      code: "ESP_INTERRUPTED",
      hint: expect.stringContaining("again"),
    });
    const r = await flashModule(u.link, plan, { ...opts, time: u.timeline });
    expect(r.segmentsSkipped).toBeGreaterThanOrEqual(1);
    expect(holds(u.flash.image())).toBe(true);
  });
});

describe("baud rate disagreements", () => {
  it("a lost CHANGE_BAUDRATE answer (module switched, host did not) is recovered by a reset", async () => {
    let dropped = 0;
    const u = simUnit({
      flashSize: MiB,
      download: false,
      mangle: (dir, data) => {
        // The reply frame: C0, direction 1, opcode 0x0F.
        if (dir === "module-to-host" && dropped === 0 && data[1] === 0x01 && data[2] === 0x0f) {
          dropped++;
          return new Uint8Array(0);
        }
        return data;
      },
    });
    const r = await flashModule(u.link, plan, {
      baud: 921600,
      resetAfter: false,
      timeoutMs: 500,
      time: u.timeline,
    });
    expect(dropped).toBe(1);
    expect(r.reconnects).toBe(1);
    expect(holds(u.flash.image())).toBe(true);
  });

  it("a module left in the stub at the fast rate (--no-reset) is found there by the next flash", async () => {
    const u = simUnit({ flashSize: MiB });
    await flashModule(u.link, plan, { ...opts, time: u.timeline });
    expect(u.loader.state).toBe("stub");
    const again = await flashModule(u.link, plan, { ...opts, resetBefore: false, time: u.timeline });
    expect(again).toMatchObject({ reconnects: 0, segmentsWritten: 0, baud: 921600 });
  });
});
