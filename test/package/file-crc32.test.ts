import { describe, expect, it } from "vitest";
import { crc32, fileCrc32, formatCrc, parseCrc } from "../../firmware-sim/package/file-crc32.js";
import {
  backupEnabled,
  encodeBackupFlag,
  encodeChecksumJson,
  parseChecksumJson,
} from "../../firmware-sim/package/device-json.js";
import { zlibCrc32 } from "./zlib-crc.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("file_crc32", () => {
  it("has the device's check value and differs from the standard CRC-32", () => {
    expect(fileCrc32(text("123456789"))).toBe(0xd202d277);
    expect(crc32(text("123456789"))).toBe(0xcbf43926);
  });

  it("is None (undefined) for an empty file", () => {
    expect(fileCrc32(new Uint8Array(0))).toBeUndefined();
  });

  it.each([
    ["a zero-length buffer", new Uint8Array(new ArrayBuffer(0))],
    ["an empty view on a larger buffer", new Uint8Array(8).subarray(4, 4)],
    ["TextEncoder output for an empty string", new TextEncoder().encode("")],
  ])("passes the running value through for no bytes (%s)", (_n, empty) => {
    expect(crc32(empty, 0xffffffff)).toBe(0xffffffff);
    expect(crc32(empty, 0x1234)).toBe(0x1234);
    expect(crc32(empty)).toBe(0);
  });

  it.each([1, 255, 4096, 4097, 10_000])(
    "equals zlib.crc32(data, 0xFFFFFFFF) for %i bytes, fed whole or in 4 KiB blocks",
    (n) => {
      const data = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 0xff);
      expect(fileCrc32(data)).toBe(zlibCrc32(data, 0xffffffff));
      let c = 0xffffffff;
      for (let off = 0; off < n; off += 4096) c = crc32(data.subarray(off, off + 4096), c);
      expect(c).toBe(fileCrc32(data));
    },
  );

  it.each([
    [0xaf2d6db8, "0xaf2d6db8"],
    [0x3f, "0x3f"],
    [0, "0x0"],
  ])("formats %i as Python hex(): %s", (n, s) => {
    expect(formatCrc(n)).toBe(s);
  });

  it.each([
    ["0xAF2D6DB8", 0xaf2d6db8],
    ["af2d6db8", 0xaf2d6db8],
    ["0x0000003f", 0x3f],
    [" 0x3f ", 0x3f],
    ["0xzz", undefined],
    ["", undefined],
  ])("parses %j as int(x, 16)", (s, n) => {
    expect(parseCrc(s)).toBe(n);
  });
});

describe("device JSON files", () => {
  it("writes checksum.json exactly as ujson.dumps does", () => {
    const bytes = encodeChecksumJson([
      { name: "/usr/main.py", crc32: 0x1a2b3c4d },
      { name: "/usr/cfg/app.json", crc32: 0xdeadbeef },
    ]);
    expect(new TextDecoder().decode(bytes)).toBe(
      '[{"name": "/usr/main.py", "crc32": "0x1a2b3c4d"}, {"name": "/usr/cfg/app.json", "crc32": "0xdeadbeef"}]',
    );
    const parsed = parseChecksumJson(bytes);
    expect(parsed.ok && parsed.entries.map((e) => e.crc32)).toEqual([0x1a2b3c4d, 0xdeadbeef]);
  });

  it('writes backup_restore.json as {"enable": 1}', () => {
    expect(new TextDecoder().decode(encodeBackupFlag())).toBe('{"enable": 1}');
    expect(backupEnabled(encodeBackupFlag())).toBe(true);
  });

  it.each([
    ['{"enable": 0}', false],
    ['{"enable": true}', true],
    ['{"enable": false}', false],
    ['{"enable": 2}', true],
    ["{}", false],
    ["not json", false],
    ["", false],
  ])("reads backup_restore.json %j as enabled=%s", (s, want) => {
    expect(backupEnabled(text(s))).toBe(want);
  });

  it("reads only the first 16384 bytes of checksum.json, as the device does", () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ name: `/usr/file_${i}.py`, crc32: i + 1 }));
    const bytes = encodeChecksumJson(many);
    expect(bytes.length).toBeGreaterThan(16384);
    const parsed = parseChecksumJson(bytes);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(/first 16384 bytes/);
  });
});
