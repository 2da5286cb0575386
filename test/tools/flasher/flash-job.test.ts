import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  flashModule,
  holdsSegment,
  segmentsHeld,
  type FlashJobOptions,
} from "../../../tools/flasher/flash-job.js";
import { planFlash, PROBE_BYTES, Segment, type FlashRegion } from "../../../tools/flasher/flash-plan.js";
import { noise, simUnit } from "../../download/harness.js";

const MiB = 1 << 20;

function regions(): FlashRegion[] {
  const app = noise(150_000, 7);
  // A "file system image": some data, then erased space.
  const fs = new Uint8Array(128 * 1024).fill(0xff);
  fs.set(noise(9000, 3), 0);
  return [
    { name: "firmware", offset: 0x10000, data: app },
    { name: "customer_fs", offset: 0x60000, data: fs },
    { name: "securedata", offset: 0xf0000, data: new Uint8Array(0), preserve: true, size: 0x4000 },
  ];
}

function expectFlashHolds(image: Uint8Array, rs: FlashRegion[]): void {
  for (const r of rs) {
    if (r.preserve) continue;
    const got = image.subarray(r.offset, r.offset + r.data.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(r.data))).toBe(0);
  }
}

const fast: FlashJobOptions = { resetBefore: false, baud: 921600 };

describe("flashModule", () => {
  it("writes, verifies, then skips everything on a second run", async () => {
    const u = simUnit({ flashSize: MiB });
    const rs = regions();
    const plan = planFlash(rs, { flashSize: MiB });
    const first = await flashModule(u.link, plan, { ...fast, time: u.timeline, resetAfter: false });
    // Only the second half of the file-system image is blank, so only it matches erased flash.
    expect(first.segmentsSkipped).toBe(1);
    expect(first.skippedBytes).toBe(0x10000);
    expect(first.writtenBytes + first.skippedBytes).toBe(plan.totalBytes);
    expect(first.identity).toMatchObject({
      chip: "ESP32",
      mac: "24:0a:c4:00:00:01",
      simulated: true,
      flashSize: 4 * MiB,
    });
    expectFlashHolds(u.flash.image(), rs);
    // The compressible file-system segment went over the wire compressed.
    expect(first.sentBytes).toBeLessThan(plan.totalBytes);
    const second = await flashModule(u.link, plan, { ...fast, time: u.timeline });
    expect(second.segmentsWritten).toBe(0);
    expect(second.skippedBytes).toBe(plan.totalBytes);
    expect(second.reset).toBe(true);
    expect(u.loader.active).toBe(false);
  });

  it("raises the rate at the ROM, before the stub upload, even when the first SYNC already worked at it", async () => {
    // A pseudo-terminal answers a SYNC at any rate: only CHANGE_BAUDRATE tells the module.
    const changes: Array<[number, string]> = [];
    const holder: { unit?: ReturnType<typeof simUnit> } = {};
    const u = simUnit({
      flashSize: MiB,
      loader: {
        onBaudChange: (b) => {
          // enter() reports 0 (following the host) while the unit is being built
          if (holder.unit === undefined) return;
          changes.push([b, holder.unit.loader.state]);
          holder.unit.link.setModuleBaud(b);
        },
      },
    });
    holder.unit = u;
    await flashModule(u.link, planFlash(regions(), { flashSize: MiB }), {
      ...fast,
      time: u.timeline,
      resetAfter: false,
    });
    expect(changes).toEqual([[921600, "rom"]]);
  });

  it("checks the first 4 KiB before a whole segment: one short MD5 when the module holds something else", async () => {
    const data = noise(0x10000, 21);
    const seg = new Segment("app", 0x10000, data);
    const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");
    const ask = (flash: Uint8Array) => {
      const sizes: number[] = [];
      const client = {
        md5: async (addr: number, size: number) => {
          sizes.push(size);
          return md5(flash.subarray(addr - 0x10000, addr - 0x10000 + size));
        },
      };
      return { sizes, held: () => holdsSegment(client, seg) };
    };
    const blank = ask(new Uint8Array(0x10000).fill(0xff));
    expect(await blank.held()).toBe(false);
    expect(blank.sizes).toEqual([PROBE_BYTES]);
    const same = ask(data);
    expect(await same.held()).toBe(true);
    expect(same.sizes).toEqual([PROBE_BYTES, 0x10000]);
    const tail = Uint8Array.from(data);
    tail[0xffff] ^= 1; // same start, different end: the whole MD5 decides
    const differs = ask(tail);
    expect(await differs.held()).toBe(false);
    expect(differs.sizes).toEqual([PROBE_BYTES, 0x10000]);
  });

  it("checks a stretch of blank segments with one MD5, and one by one only when it differs", async () => {
    const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");
    const blankSeg = (off: number) => new Segment("fs", off, new Uint8Array(0x10000).fill(0xff));
    const segs = [
      new Segment("app", 0, noise(0x10000, 3)),
      blankSeg(0x10000),
      blankSeg(0x20000),
      blankSeg(0x30000),
      blankSeg(0x50000), // not contiguous: a stretch of its own
    ];
    const run = async (flash: Uint8Array) => {
      const sizes: number[] = [];
      const client = {
        md5: async (addr: number, size: number) => {
          sizes.push(size);
          return md5(flash.subarray(addr, addr + size));
        },
      };
      const held = await segmentsHeld(client, segs);
      return { sizes, held: segs.map((s) => held.has(s)) };
    };
    const blank = await run(new Uint8Array(0x60000).fill(0xff));
    expect(blank.held).toEqual([false, true, true, true, true]);
    expect(blank.sizes).toEqual([PROBE_BYTES, 0x30000, 0x10000]);
    const written = new Uint8Array(0x60000).fill(0xff);
    written[0x2abcd] = 0; // one byte of the stretch is programmed
    const some = await run(written);
    expect(some.held).toEqual([false, true, false, true, true]);
    expect(some.sizes).toEqual([PROBE_BYTES, 0x30000, 0x10000, 0x10000, 0x10000, 0x10000]);
  });

  it("never touches a preserved region", async () => {
    const u = simUnit({ flashSize: MiB });
    const secret = noise(0x4000, 99);
    u.flash.erase(0xf0000, 0x4000);
    u.flash.program(0xf0000, secret);
    await flashModule(u.link, planFlash(regions(), { flashSize: MiB }), { ...fast, time: u.timeline });
    expect(Buffer.from(u.flash.image().subarray(0xf0000, 0xf4000)).equals(Buffer.from(secret))).toBe(true);
  });

  it.each([
    ["ROM loader, no stub", { stub: false, baud: 460800 }],
    ["stub, uncompressed", { compress: false }],
    ["stub at 2 Mbaud", { baud: 2_000_000 }],
  ] as const)("writes correctly with %s", async (_label, extra) => {
    const u = simUnit({ flashSize: MiB });
    const rs = regions();
    const r = await flashModule(u.link, planFlash(rs, { flashSize: MiB }), {
      ...fast,
      ...extra,
      time: u.timeline,
      resetAfter: false,
    });
    expect(r.segmentsWritten).toBeGreaterThan(0);
    expectFlashHolds(u.flash.image(), rs);
  });

  it("refuses a module whose flash is smaller than the package needs", async () => {
    const u = simUnit({ flashSize: MiB });
    const plan = planFlash(regions(), { flashSize: MiB });
    await expect(
      flashModule(u.link, plan, { ...fast, time: u.timeline, requiredFlashSize: 8 * MiB }),
    ).rejects.toMatchObject({
      code: "PKG_FLASH_SIZE",
    });
  });

  it("explains a port that does not answer", async () => {
    const u = simUnit({ flashSize: MiB, download: false });
    const plan = planFlash(regions(), { flashSize: MiB });
    await expect(
      flashModule(u.link, plan, { resetBefore: false, connectAttempts: 2, time: u.timeline }),
    ).rejects.toMatchObject({ code: "ESP_NO_SYNC", hint: expect.stringContaining("right port") });
  });

  it("without reset lines (a pseudo-terminal) the stub starts the firmware itself (RUN_USER_CODE)", async () => {
    const u = simUnit({ flashSize: MiB });
    u.loader.signalsChanged = () => undefined;
    const r = await flashModule(u.link, planFlash(regions(), { flashSize: MiB }), {
      ...fast,
      time: u.timeline,
    });
    expect(r.reset).toBe(true);
    expect(u.loader.active).toBe(false);
  });

  it("says so when neither the reset lines nor a stub can leave the loader", async () => {
    const u = simUnit({ flashSize: MiB });
    u.loader.signalsChanged = () => undefined;
    const r = await flashModule(u.link, planFlash(regions(), { flashSize: MiB }), {
      ...fast,
      stub: false,
      time: u.timeline,
    });
    expect(r.reset).toBe(false);
    expect(u.loader.active).toBe(true);
  });

  it("resets into download mode with DTR/RTS when the module runs its firmware", async () => {
    const u = simUnit({ flashSize: MiB, download: false });
    const rs = regions();
    const r = await flashModule(u.link, planFlash(rs, { flashSize: MiB }), { time: u.timeline });
    expect(r.segmentsWritten).toBeGreaterThan(0);
    expectFlashHolds(u.flash.image(), rs);
  });
});
