/**
 * The loader's wire behaviour, byte by byte: the ROM and stub personalities as esptool and
 * esptool-js expect them (shared/reference/esp-serial-protocol.md section 1).
 */
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { DownloadMode, ROM_BANNER } from "../../firmware-sim/download/download-mode.js";
import { ESP32 } from "../../firmware-sim/download/esp32-registers.js";
import {
  checksum,
  dataPayload,
  decodeResponse,
  encodeCommand,
  Op,
  SYNC_PAYLOAD,
  words,
} from "../../firmware-sim/download/protocol.js";
import { SlipDecoder, slipEncode } from "../../firmware-sim/download/slip.js";
import { isPowerLoss } from "../../firmware-sim/errors.js";
import { chips, withSize } from "../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { FLASHBAK_STUB } from "../../tools/flasher/stub-image.js";
import { noise } from "./harness.js";

interface Reply {
  op: number;
  value: number;
  data: Uint8Array;
  status: number[];
  /** Module clock when the reply was sent. */
  at: number;
}

function module(opts: { enter?: boolean; powerCutAt?: number } = {}) {
  const clock = new VirtualClock();
  const flash = new NorFlash({
    chip: withSize(chips.w25q32!, 1 << 20),
    clock,
    powerCut: opts.powerCutAt ? { at: opts.powerCutAt } : undefined,
  });
  const raw: Uint8Array[] = [];
  const stamps: number[] = [];
  const loader = new DownloadMode({
    flash,
    tx: { send: (d) => (raw.push(d.slice()), stamps.push(clock.now())) },
  });
  if (opts.enter !== false) loader.enter();
  const dec = new SlipDecoder();
  let read = 0;
  const stray: string[] = [];
  const m = {
    flash,
    clock,
    loader,
    /** Send one command; return every reply packet it produced. */
    cmd(op: number, data: Uint8Array = new Uint8Array(0), chk = 0): Reply[] {
      loader.receive(slipEncode(encodeCommand(op, data, chk)));
      return m.replies();
    },
    replies(): Reply[] {
      const out: Reply[] = [];
      for (; read < raw.length; read++) {
        for (const p of dec.push(raw[read]!, (n) => n.stray && stray.push(Buffer.from(n.stray).toString()))) {
          const r = decodeResponse(p);
          if (r === undefined) {
            out.push({ op: -1, value: 0, data: p, status: [], at: stamps[read]! });
            continue;
          }
          const n = loader.state === "stub" ? 2 : 4;
          out.push({
            op: r.op,
            value: r.value,
            data: r.body.subarray(0, r.body.length - n),
            status: [...r.body.subarray(r.body.length - n)],
            at: stamps[read]!,
          });
        }
      }
      return out;
    },
    stray,
    toStub(): void {
      for (const seg of FLASHBAK_STUB.segments) {
        m.cmd(Op.MEM_BEGIN, words(seg.data.length, Math.ceil(seg.data.length / 0x1800), 0x1800, seg.addr));
        for (let i = 0; i * 0x1800 < seg.data.length; i++) {
          const b = seg.data.subarray(i * 0x1800, (i + 1) * 0x1800);
          m.cmd(Op.MEM_DATA, dataPayload(i, b), checksum(b));
        }
      }
      const r = m.cmd(Op.MEM_END, words(0, FLASHBAK_STUB.entry));
      expect(r.map((x) => x.op)).toEqual([Op.MEM_END, -1]);
      expect(Buffer.from(r[1]!.data).toString()).toBe("OHAI");
    },
  };
  return m;
}

describe("download mode: ROM personality", () => {
  it("prints the ESP32 download banner that hosts match", () => {
    const m = module();
    m.replies();
    expect(m.stray.join("")).toBe(ROM_BANNER);
    expect(ROM_BANNER).toMatch(/boot:(0x[0-9a-fA-F]+)(.*waiting for download)?/s);
  });

  it("answers SYNC eight times with the ROM value and 4 status bytes, byte-exact", () => {
    const m = module();
    m.replies();
    const before = m.clock.now();
    m.loader.receive(slipEncode(encodeCommand(Op.SYNC, SYNC_PAYLOAD)));
    const frames = m.replies();
    expect(frames).toHaveLength(8);
    expect(frames.every((f) => f.value === 0x20120707 && f.status.join() === "0,0,0,0")).toBe(true);
    expect(m.clock.now()).toBeGreaterThan(before);
    const wire = Buffer.from(
      slipEncode(Uint8Array.from([1, 8, 4, 0, 0x07, 0x07, 0x12, 0x20, 0, 0, 0, 0])),
    ).toString("hex");
    expect(wire).toBe("c00108040007071220" + "00000000c0");
  });

  it.each([
    ["chip-detect magic", ESP32.magicReg, ESP32.magic],
    ["UART_CLKDIV at 115200 (40 MHz crystal)", ESP32.uartClkdivReg, 347],
    ["eFuse MAC word 1", ESP32.efuseBase + 4, 0xc4000001],
    ["an unmodelled eFuse word", ESP32.efuseBase + 12, 0],
  ])("READ_REG %s", (_n, addr, value) => {
    const m = module();
    const [r] = m.cmd(Op.READ_REG, words(addr));
    expect(r).toMatchObject({ op: Op.READ_REG, value });
  });

  it("refuses GET_SECURITY_INFO as the ESP32 ROM does: invalid message, repeated", () => {
    const m = module();
    const r = m.cmd(Op.GET_SECURITY_INFO);
    expect(r.length).toBe(8);
    expect(r.every((x) => x.op === Op.GET_SECURITY_INFO && x.status.join() === "1,5,0,0")).toBe(true);
  });

  it.each([Op.ERASE_FLASH, Op.ERASE_REGION, Op.READ_FLASH, 0x55])(
    "does not implement stub-only opcode 0x%s",
    (op) => {
      const m = module();
      expect(m.cmd(op, words(0, 0x1000, 0x1000, 1))[0]!.status.slice(0, 2)).toEqual([1, 5]);
    },
  );

  it("needs SPI_ATTACH before flash commands, then erases the region up front", () => {
    const m = module();
    m.flash.program(0x20000, Uint8Array.of(0));
    expect(m.cmd(Op.FLASH_BEGIN, words(0x3000, 3, 0x400, 0x20000))[0]!.status[0]).toBe(1);
    m.cmd(Op.SPI_ATTACH, words(0, 0));
    const t = m.clock.now();
    expect(m.cmd(Op.FLASH_BEGIN, words(0x3000, 12, 0x400, 0x20000))[0]!.status).toEqual([0, 0, 0, 0]);
    expect(m.flash.read(0x20000, 1)[0]).toBe(0xff);
    expect(m.clock.now() - t).toBeGreaterThan(3 * 45_000);
  });

  it("writes, then answers; bad checksums get error 0x07; MD5 is 32 hex digits", () => {
    const m = module();
    m.cmd(Op.SPI_ATTACH, words(0, 0));
    const block = noise(0x400, 3);
    m.cmd(Op.FLASH_BEGIN, words(0x400, 1, 0x400, 0x30000));
    expect(m.cmd(Op.FLASH_DATA, dataPayload(0, block), checksum(block) ^ 1)[0]!.status.slice(0, 2)).toEqual([
      1, 7,
    ]);
    const ack = m.cmd(Op.FLASH_DATA, dataPayload(0, block), checksum(block))[0]!;
    expect(ack.status[0]).toBe(0);
    // Written before the ACK went out.
    expect(ack.at).toBe(m.clock.now());
    const [md5] = m.cmd(Op.SPI_FLASH_MD5, words(0x30000, 0x400, 0, 0));
    expect(Buffer.from(md5!.data).toString()).toBe(createHash("md5").update(block).digest("hex"));
  });

  it("reports a corrupted compressed stream as Adler-32 error 0x0C", () => {
    const m = module();
    m.cmd(Op.SPI_ATTACH, words(0, 0));
    const z = new Uint8Array(deflateSync(noise(3000, 1)));
    z[z.length - 2]! ^= 0xff;
    m.cmd(Op.FLASH_DEFL_BEGIN, words(0x1000, 1, 0x4000, 0x40000));
    expect(m.cmd(Op.FLASH_DEFL_DATA, dataPayload(0, z), checksum(z))[0]!.status.slice(0, 2)).toEqual([
      1, 0x0c,
    ]);
  });

  it("READ_FLASH_SLOW answers a 64-byte buffer", () => {
    const m = module();
    m.flash.program(0x100, Uint8Array.of(1, 2, 3));
    const [r] = m.cmd(Op.READ_FLASH_SLOW, words(0x100, 16));
    expect(r!.data.length).toBe(64);
    expect([...r!.data.subarray(0, 4)]).toEqual([1, 2, 3, 0xff]);
  });

  it("refuses a stub upload outside RAM with error 0x0F", () => {
    const m = module();
    expect(m.cmd(Op.MEM_BEGIN, words(0x100, 1, 0x1800, 0x3f40_0000))[0]!.status.slice(0, 2)).toEqual([
      1, 0x0f,
    ]);
  });

  it("FLASH_END leaves the loader (as the ROM does)", () => {
    const m = module();
    m.cmd(Op.SPI_ATTACH, words(0, 0));
    m.cmd(Op.FLASH_BEGIN, words(0, 0, 0x400, 0));
    m.cmd(Op.FLASH_END, words(1));
    expect(m.loader.active).toBe(false);
  });
});

describe("download mode: stub personality", () => {
  it("answers SYNC with value 0 and 2 status bytes; refuses unknown commands once with 0xC300", () => {
    const m = module();
    m.toStub();
    const sync = m.cmd(Op.SYNC, SYNC_PAYLOAD);
    expect(sync.length).toBe(8);
    expect(sync.every((f) => f.value === 0 && f.status.join() === "0,0")).toBe(true);
    expect(m.cmd(Op.GET_SECURITY_INFO).map((r) => r.status)).toEqual([[0xc3, 0x00]]);
  });

  it("ACKs a block before writing it, and repeats an ACK for a retried block without writing twice", () => {
    const m = module();
    m.toStub();
    const b0 = noise(0x4000, 5);
    const b1 = noise(0x4000, 6);
    m.cmd(Op.FLASH_BEGIN, words(0x8000, 2, 0x4000, 0x50000, 0));
    const ack = m.cmd(Op.FLASH_DATA, dataPayload(0, b0), checksum(b0))[0]!;
    expect(ack.status).toEqual([0, 0]);
    expect(m.clock.now() - ack.at).toBeGreaterThan(30_000); // 64 pages programmed after the ACK
    const programs = m.flash.stats().programs;
    expect(m.cmd(Op.FLASH_DATA, dataPayload(0, b0), checksum(b0))[0]!.status).toEqual([0, 0]);
    expect(m.flash.stats().programs).toBe(programs);
    expect(m.cmd(Op.FLASH_DATA, dataPayload(5, b1), checksum(b1))[0]!.status).toEqual([0xc0, 0]);
    m.cmd(Op.FLASH_DATA, dataPayload(1, b1), checksum(b1));
    const [md5] = m.cmd(Op.SPI_FLASH_MD5, words(0x50000, 0x8000, 0, 0));
    expect(Buffer.from(md5!.data).toString("hex")).toBe(
      createHash("md5").update(b0).update(b1).digest("hex"),
    );
  });

  it("skips erasing blank sectors and erases written ones just in time", () => {
    const m = module();
    m.toStub();
    m.flash.program(0x61000, Uint8Array.of(0));
    const data = new Uint8Array(0x3000).fill(0x11);
    const z = new Uint8Array(deflateSync(data));
    const erases = m.flash.stats().erases;
    m.cmd(Op.FLASH_DEFL_BEGIN, words(data.length, 1, 0x4000, 0x60000, 0));
    m.cmd(Op.FLASH_DEFL_DATA, dataPayload(0, z), checksum(z));
    expect(m.flash.stats().erases - erases).toBe(1); // only the sector at 0x61000
    expect(m.cmd(Op.FLASH_DEFL_END, words(1))[0]!.status).toEqual([0, 0]);
    expect(m.loader.state).toBe("stub");
    expect(Buffer.from(m.flash.read(0x60000, 0x3000)).equals(Buffer.from(data))).toBe(true);
  });

  it("rejects blocks over 16 KiB, ERASE_REGION that is not sector aligned", () => {
    const m = module();
    m.toStub();
    expect(m.cmd(Op.FLASH_BEGIN, words(0x8000, 1, 0x8000, 0, 0))[0]!.status).toEqual([0xc2, 0]);
    expect(m.cmd(Op.ERASE_REGION, words(0x1001, 0x1000))[0]!.status).toEqual([0xc0, 0]);
    m.flash.program(0x2000, Uint8Array.of(0));
    expect(m.cmd(Op.ERASE_REGION, words(0x2000, 0x1000))[0]!.status).toEqual([0, 0]);
    expect(m.flash.read(0x2000, 1)[0]).toBe(0xff);
  });

  it("streams READ_FLASH with acknowledgements and a closing MD5", () => {
    const m = module();
    m.toStub();
    const data = noise(0x2800, 8);
    m.flash.program(0x70000, data);
    const first = m.cmd(Op.READ_FLASH, words(0x70000, data.length, 0x1000, 1));
    expect(first[0]!.status).toEqual([0, 0]);
    const got: Uint8Array[] = [first[1]!.data];
    expect(first.length).toBe(2); // max_unacked = 1: one packet in flight
    let total = first[1]!.data.length;
    for (;;) {
      m.loader.receive(slipEncode(words(total)));
      const next = m.replies();
      if (total >= data.length) {
        expect(Buffer.from(next[0]!.data).equals(createHash("md5").update(data).digest())).toBe(true);
        break;
      }
      got.push(next[0]!.data);
      total += next[0]!.data.length;
    }
    expect(Buffer.from(Buffer.concat(got)).equals(Buffer.from(data))).toBe(true);
  });
});

describe("download mode: reset lines and power", () => {
  it("enters on the classic DTR/RTS sequence and leaves on a hard reset", () => {
    const m = module({ enter: false });
    const seen: string[] = [];
    m.loader.signalsChanged({ dtr: false, rts: true }); // EN low
    expect(m.loader.state).toBe("reset");
    m.loader.signalsChanged({ dtr: true, rts: false }); // EN high while IO0 low
    expect(m.loader.state).toBe("rom");
    m.loader.signalsChanged({ dtr: false, rts: false });
    expect(m.loader.state).toBe("rom");
    m.replies();
    seen.push(m.stray.join(""));
    expect(seen[0]).toContain("waiting for download");
    m.loader.signalsChanged({ dtr: false, rts: true });
    m.loader.signalsChanged({ dtr: false, rts: false }); // EN high, IO0 high: firmware
    expect(m.loader.state).toBe("off");
    expect(m.cmd(Op.SYNC, SYNC_PAYLOAD)).toEqual([]);
  });

  it("ignores both lines asserted together (opening the port)", () => {
    const m = module({ enter: false });
    m.loader.signalsChanged({ dtr: true, rts: true });
    expect(m.loader.state).toBe("off");
  });

  it("a power cut inside a write propagates PowerLoss and leaves the flash as the chip left it", () => {
    const m = module({ powerCutAt: 3 });
    m.toStub();
    const block = noise(0x4000, 9);
    m.cmd(Op.FLASH_BEGIN, words(0x4000, 1, 0x4000, 0x10000, 0));
    let thrown: unknown;
    try {
      m.cmd(Op.FLASH_DATA, dataPayload(0, block), checksum(block));
    } catch (e) {
      thrown = e;
    }
    expect(isPowerLoss(thrown)).toBe(true);
    expect(m.loader.active).toBe(false);
    const img = m.flash.image().subarray(0x10000, 0x14000);
    expect(Buffer.from(img.subarray(0, 768)).equals(Buffer.from(block.subarray(0, 768)))).toBe(true);
    expect(img.subarray(768).every((b) => b === 0xff)).toBe(true);
  });
});
