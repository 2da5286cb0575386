import { describe, expect, it } from "vitest";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { chipById, withSize } from "../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { PartitionBlockDevice } from "../../firmware-sim/flash/partition-block-device.js";

const chip = withSize(chipById("w25q32"), 64 * 1024);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("PartitionBlockDevice", () => {
  it("maps blocks onto its window of the chip", () => {
    const flash = new NorFlash({ chip });
    const bd = new PartitionBlockDevice(flash, {
      name: "p",
      offset: 8192,
      size: 16384,
      blockSize: 8192,
      progSize: 16,
      readSize: 16,
    });
    expect(bd.geometry).toEqual({
      readSize: 16,
      progSize: 16,
      blockSize: 8192,
      blockCount: 2,
      eraseValue: 0xff,
    });
    bd.prog(1, 16, new Uint8Array(16).fill(0xab));
    expect(flash.read(8192 + 8192 + 16, 16)).toEqual(new Uint8Array(16).fill(0xab));
    const buf = new Uint8Array(32);
    bd.read(1, 0, buf);
    expect([...buf.subarray(14, 18)]).toEqual([0xff, 0xff, 0xab, 0xab]);
    bd.erase(1); // one erase operation over two sectors
    expect(flash.stats().erases).toBe(1);
    expect([...flash.wear().subarray(2, 6)]).toEqual([0, 0, 1, 1]);
  });

  it("refuses access outside the window and misaligned access", () => {
    const flash = new NorFlash({ chip });
    const bd = new PartitionBlockDevice(flash, {
      name: "p",
      offset: 4096,
      size: 8192,
      progSize: 16,
      readSize: 4,
    });
    expect(codeOf(() => bd.read(2, 0, new Uint8Array(4)))).toBe("BD_RANGE");
    expect(codeOf(() => bd.read(0, 4094, new Uint8Array(4)))).toBe("BD_RANGE");
    expect(codeOf(() => bd.prog(0, 8, new Uint8Array(16)))).toBe("BD_ALIGN");
    expect(codeOf(() => bd.read(0, 2, new Uint8Array(4)))).toBe("BD_ALIGN");
    expect(codeOf(() => bd.erase(-1))).toBe("BD_RANGE");
  });

  it("a read-only partition refuses prog and erase without touching the chip", () => {
    const flash = new NorFlash({ chip });
    const bd = new PartitionBlockDevice(flash, {
      name: "customer_backup_fs",
      offset: 0,
      size: 8192,
      readOnly: true,
    });
    expect(codeOf(() => bd.prog(0, 0, new Uint8Array(1)))).toBe("FLASH_READ_ONLY");
    expect(codeOf(() => bd.erase(0))).toBe("FLASH_READ_ONLY");
    expect(flash.writeOperations).toBe(0);
    bd.read(0, 0, new Uint8Array(8));
  });

  it.each([
    [{ offset: 100, size: 4096 }, /sector aligned/],
    [{ offset: 0, size: 5000 }, /whole/],
    [{ offset: 0, size: 4096, blockSize: 2048 }, /multiple of the 4096-byte sector/],
    [{ offset: 61440, size: 8192 }, /ends past/],
    [{ offset: 0, size: 4096, progSize: 3 }, /divide/],
  ])("rejects a bad partition config %j", (cfg, msg) => {
    expect(() => new PartitionBlockDevice(new NorFlash({ chip }), { name: "p", ...cfg })).toThrow(msg);
  });
});

describe("MemoryBlockDevice (the fake)", () => {
  it("follows the same erased-before-prog rule", () => {
    const bd = new MemoryBlockDevice({
      readSize: 1,
      progSize: 1,
      blockSize: 512,
      blockCount: 4,
      eraseValue: 0xff,
    });
    bd.prog(0, 0, Uint8Array.of(1));
    expect(codeOf(() => bd.prog(0, 0, Uint8Array.of(1)))).toBe("BD_NOT_ERASED");
    bd.erase(0);
    bd.prog(0, 0, Uint8Array.of(2));
    const b = new Uint8Array(1);
    bd.read(0, 0, b);
    expect(b[0]).toBe(2);
    expect(bd.stats).toMatchObject({ progs: 2, erases: 1, reads: 1 });
  });
});
