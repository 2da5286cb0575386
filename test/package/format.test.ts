import { describe, expect, it } from "vitest";
import { ByteSink, sha256 } from "../../firmware-sim/package/codec.js";
import { crc32 } from "../../firmware-sim/package/file-crc32.js";
import type { FirmwarePackage, PackageError } from "../../firmware-sim/package/format.js";
import { HEADER_SIZE, MAGIC, TRAILER_SIZE } from "../../firmware-sim/package/format.js";
import { checkBoard, flashImage } from "../../firmware-sim/package/layout.js";
import { parsePackage, readPackage } from "../../firmware-sim/package/reader.js";
import { writePackage } from "../../firmware-sim/package/writer.js";
import { Rng } from "../../firmware-sim/flash/faults.js";

function pattern(n: number, seed: number): Uint8Array {
  return new Rng(seed >>> 0 || 1).bytes(n);
}

/** A small package with the ec600u partition table (images far smaller than the partitions). */
function sample(): FirmwarePackage {
  const lfs = new Uint8Array(3 * 4096).fill(0xff);
  lfs.set(pattern(300, 7), 0);
  lfs.set(pattern(100, 8), 2 * 4096 + 17);
  return {
    header: {
      formatVersion: 1,
      board: "ec600u",
      flashSize: 8 << 20,
      firmwareName: "TEST_FW",
      firmwareVersion: "V0001",
      restoreMode: "faithful",
      build: { tool: "flashbak", b: "2", a: "1" },
    },
    partitions: [
      {
        name: "boot",
        type: "boot",
        offset: 0,
        size: 0x10000,
        flags: { readOnly: false, preserveOnFlash: false },
        image: pattern(5000, 1),
      },
      {
        name: "firmware",
        type: "firmware",
        offset: 0x10000,
        size: 0x3d0000,
        flags: { readOnly: false, preserveOnFlash: false },
        image: pattern(9000, 2),
      },
      {
        name: "fota",
        type: "fota",
        offset: 0x3e0000,
        size: 0x40000,
        flags: { readOnly: false, preserveOnFlash: false },
        image: new Uint8Array(0),
      },
      {
        name: "customer_fs",
        type: "littlefs",
        offset: 0x420000,
        size: 0x60000,
        mount: "/usr",
        flags: { readOnly: false, preserveOnFlash: false },
        image: lfs,
      },
      {
        name: "customer_backup_fs",
        type: "littlefs",
        offset: 0x480000,
        size: 0x20000,
        mount: "/bak",
        flags: { readOnly: true, preserveOnFlash: false },
        image: lfs.slice(0, 4096),
      },
      {
        name: "securedata",
        type: "securedata",
        offset: 0x4a0000,
        size: 0x4000,
        flags: { readOnly: false, preserveOnFlash: true },
        image: new Uint8Array(0),
      },
    ],
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as PackageError).code + ": " + (e as Error).message;
  }
  return "no error";
}

/** Rewrite header CRC and trailing SHA-256 after an edit, so only the edit itself is "wrong". */
function reseal(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  v.setUint32(16, crc32(bytes.subarray(0, 16)), true);
  bytes.set(sha256(bytes.subarray(0, bytes.length - TRAILER_SIZE)), bytes.length - TRAILER_SIZE);
  return bytes;
}

/** Insert a TLV (raw bytes) at `at`, fixing the total length and, if `parentLenAt` given, a parent length. */
function insertAt(bytes: Uint8Array, at: number, extra: Uint8Array, parentLenAt?: number): Uint8Array {
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes.subarray(0, at));
  out.set(extra, at);
  out.set(bytes.subarray(at), at + extra.length);
  const v = new DataView(out.buffer);
  v.setUint32(12, out.length, true);
  if (parentLenAt !== undefined)
    v.setUint32(parentLenAt, v.getUint32(parentLenAt, true) + extra.length, true);
  return reseal(out);
}

function tlv(tag: number, critical: boolean, value: Uint8Array): Uint8Array {
  const s = new ByteSink();
  s.tlvBytes(tag, critical, value);
  return s.finish();
}

describe("package format", () => {
  it("round-trips every field and image byte", () => {
    const pkg = sample();
    const bytes = writePackage(pkg);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(MAGIC));
    const back = readPackage(bytes);
    expect(back.header).toEqual({ ...pkg.header, build: { a: "1", b: "2", tool: "flashbak" } });
    expect(back.partitions.length).toBe(pkg.partitions.length);
    back.partitions.forEach((p, i) => {
      const q = pkg.partitions[i]!;
      expect({ ...p, image: undefined }).toEqual({ ...q, image: undefined });
      expect(Buffer.from(p.image).equals(Buffer.from(q.image))).toBe(true);
    });
  });

  it("is deterministic and stores erased chunks sparsely", () => {
    const a = writePackage(sample());
    const b = writePackage(sample());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // 5000 + 9000 + 2 stored lfs chunks (of 3) + 1 bak chunk: far below the 12 KiB lfs image twice.
    expect(a.length).toBeLessThan(5000 + 9000 + 3 * 4096 + 2000);
  });

  it("records every checksum as holding", () => {
    const parsed = parsePackage(writePackage(sample()));
    expect(parsed.checks.map((c) => c.what)).toContain("partition customer_fs sha256");
    expect(parsed.checks.every((c) => c.ok)).toBe(true);
    expect(parsed.checks.length).toBe(2 + 2 * 6);
  });

  it.each([
    ["empty file", (b: Uint8Array) => b.subarray(0, 0), "PKG_CORRUPT"],
    ["cut inside the magic", (b: Uint8Array) => b.subarray(0, 5), "PKG_TRUNCATED"],
    ["cut inside the header", (b: Uint8Array) => b.subarray(0, HEADER_SIZE - 1), "PKG_TRUNCATED"],
    ["cut in a partition", (b: Uint8Array) => b.subarray(0, 3000), "PKG_TRUNCATED"],
    ["cut before the trailer", (b: Uint8Array) => b.subarray(0, b.length - 1), "PKG_TRUNCATED"],
  ])("truncation: %s -> %s", (_name, cut, want) => {
    expect(code(() => readPackage(cut(writePackage(sample()))))).toMatch(new RegExp(`^${want}`));
  });

  it.each([
    ["bad magic", (b: Uint8Array) => (b[1] = 0x00), /^PKG_CORRUPT: .*bad magic/],
    ["header bit flip", (b: Uint8Array) => (b[13] ^= 0x01), /^PKG_CORRUPT: .*header CRC-32/],
    [
      "image byte flip",
      (b: Uint8Array) => (b[b.length - 40] ^= 0x10),
      /^PKG_CORRUPT: .*package sha256 mismatch/,
    ],
    ["trailer flip", (b: Uint8Array) => (b[b.length - 1] ^= 0x10), /^PKG_CORRUPT: .*package sha256 mismatch/],
  ])("corruption: %s", (_name, damage, want) => {
    const bytes = writePackage(sample());
    damage(bytes);
    expect(code(() => readPackage(bytes))).toMatch(want);
  });

  it("names the partition and the hash when an image no longer matches its CRC and SHA", () => {
    const bytes = writePackage(sample());
    // Find the boot image data (pattern(5000, 1)) and flip a byte in it, resealing the package.
    const needle = Buffer.from(pattern(5000, 1).subarray(0, 32));
    const at = Buffer.from(bytes).indexOf(needle);
    expect(at).toBeGreaterThan(0);
    bytes[at + 100] ^= 0xff;
    reseal(bytes);
    expect(code(() => readPackage(bytes))).toMatch(/^PKG_CORRUPT: .*partition boot crc32 mismatch/);
    const failed = parsePackage(bytes)
      .checks.filter((c) => !c.ok)
      .map((c) => c.what);
    expect(failed).toEqual(["partition boot crc32", "partition boot sha256"]);
  });

  it("refuses an unknown format version", () => {
    const bytes = writePackage(sample());
    new DataView(bytes.buffer).setUint16(8, 2, true);
    expect(code(() => readPackage(reseal(bytes)))).toMatch(/^PKG_VERSION: package format version 2/);
  });

  it("refuses trailing bytes after the package", () => {
    const bytes = writePackage(sample());
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(code(() => readPackage(longer))).toMatch(/^PKG_CORRUPT: .*3 bytes of trailing data/);
  });

  it("skips unknown non-critical sections and fields, refuses unknown critical ones", () => {
    const bytes = writePackage(sample());
    const section = tlv(0x7777, false, Uint8Array.of(1, 2, 3));
    expect(readPackage(insertAt(bytes, HEADER_SIZE, section)).partitions.length).toBe(6);
    // A field inside the info section (which starts at HEADER_SIZE; its length is at +4).
    const field = tlv(0x0fff, false, Uint8Array.of(9, 9));
    const withField = insertAt(bytes, HEADER_SIZE + 8, field, HEADER_SIZE + 4);
    expect(readPackage(withField).header.board).toBe("ec600u");
    expect(
      code(() => readPackage(insertAt(bytes, HEADER_SIZE, tlv(0x7777, true, Uint8Array.of(1))))),
    ).toMatch(/^PKG_VERSION: section 0x7777 is marked critical/);
    expect(
      code(() =>
        readPackage(insertAt(bytes, HEADER_SIZE + 8, tlv(0x0fff, true, Uint8Array.of(1)), HEADER_SIZE + 4)),
      ),
    ).toMatch(/^PKG_VERSION: info section: field 0xfff is marked critical/);
  });

  it("checks the board", () => {
    const bytes = writePackage(sample());
    expect(readPackage(bytes, { board: "ec600u" }).header.board).toBe("ec600u");
    expect(code(() => readPackage(bytes, { board: "ec600s" }))).toMatch(
      /^PKG_BOARD: package is for board "ec600u", not "ec600s"/,
    );
    const other = { ...sample(), header: { ...sample().header, board: "bc25" } };
    expect(code(() => checkBoard(other))).toMatch(/^PKG_BOARD: .*"bc25", which this flashbak does not know/);
    const moved = sample();
    const parts = moved.partitions.map((p) => (p.name === "customer_fs" ? { ...p, size: 0x50000 } : p));
    expect(code(() => checkBoard({ ...moved, partitions: parts }))).toMatch(
      /^PKG_BOARD: package partition "customer_fs"/,
    );
  });

  it.each([
    [
      "overlap",
      (p: FirmwarePackage) => ({
        ...p,
        partitions: p.partitions.map((x, i) => (i === 1 ? { ...x, offset: 0x8000 } : x)),
      }),
      /overlaps/,
    ],
    [
      "past the flash",
      (p: FirmwarePackage) => ({ ...p, header: { ...p.header, flashSize: 0x400000 } }),
      /past the/,
    ],
    [
      "image too big",
      (p: FirmwarePackage) => ({
        ...p,
        partitions: p.partitions.map((x, i) => (i === 0 ? { ...x, size: 0x1000 } : x)),
      }),
      /larger than the partition|overlaps/,
    ],
    [
      "preserved with image",
      (p: FirmwarePackage) => ({
        ...p,
        partitions: p.partitions.map((x) =>
          x.name === "securedata" ? { ...x, image: Uint8Array.of(1) } : x,
        ),
      }),
      /preserved on flash/,
    ],
    [
      "duplicate name",
      (p: FirmwarePackage) => ({
        ...p,
        partitions: p.partitions.map((x, i) => (i === 2 ? { ...x, name: "boot" } : x)),
      }),
      /appears twice/,
    ],
  ])("refuses to write an inconsistent table: %s", (_n, edit, want) => {
    expect(code(() => writePackage(edit(sample())))).toMatch(want);
  });

  it("flattens to the whole flash with gaps and preserved partitions erased", () => {
    const pkg = sample();
    const flat = flashImage(readPackage(writePackage(pkg)));
    expect(flat.length).toBe(8 << 20);
    expect(Buffer.from(flat.subarray(0, 5000)).equals(Buffer.from(pattern(5000, 1)))).toBe(true);
    expect(flat.subarray(5000, 0x10000).every((b) => b === 0xff)).toBe(true);
    expect(Buffer.from(flat.subarray(0x10000, 0x10000 + 9000)).equals(Buffer.from(pattern(9000, 2)))).toBe(
      true,
    );
    expect(flat.subarray(0x4a0000, 0x4a4000).every((b) => b === 0xff)).toBe(true);
  });
});
