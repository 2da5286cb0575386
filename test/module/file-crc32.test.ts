import { describe, expect, it } from "vitest";
import {
  computeFileCrc,
  crc32,
  deviceCrc32,
  parsePyHex,
  pyHex,
} from "../../firmware-sim/module/file-crc32.js";
import { enc, memoryRig } from "./helpers.js";
import { writeFile } from "../../firmware-sim/fs/fs-util.js";

describe("device CRC (file_crc32)", () => {
  it("equals zlib.crc32(data, 0xFFFFFFFF): check value 0xd202d277, not the standard 0xcbf43926", () => {
    expect(pyHex(deviceCrc32(enc("123456789")))).toBe("0xd202d277");
    expect(pyHex(crc32(enc("123456789")))).toBe("0xcbf43926");
  });

  it.each([
    ["0xAF2D6DB8", 0xaf2d6db8],
    ["af2d6db8", 0xaf2d6db8],
    ["0x00000001", 1],
    [" 0x1 ", 1],
    ["0xzz", undefined],
    ["", undefined],
  ])("parses %j as int(x, 16) does", (text, want) => {
    expect(parsePyHex(text)).toBe(want);
  });

  it("prints hex() without zero padding", () => {
    expect(pyHex(0x0000abcd)).toBe("0xabcd");
  });

  it("calc: None for missing and empty files, the same value block by block as all at once", () => {
    const m = memoryRig().module("faithful");
    m.boot();
    expect(computeFileCrc(m.vfs, "/usr/none.py")).toBeNull();
    writeFile(m.usr, "/empty", new Uint8Array(0));
    expect(computeFileCrc(m.vfs, "/usr/empty")).toBeNull();
    const big = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
    writeFile(m.usr, "/big", big);
    expect(computeFileCrc(m.vfs, "/usr/big")).toBe(pyHex(deviceCrc32(big)));
  });
});
