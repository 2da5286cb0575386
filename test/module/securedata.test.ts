import { describe, expect, it } from "vitest";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import { SecureData } from "../../firmware-sim/module/securedata.js";
import {
  capacityOf,
  encodeSectorHeader,
  SD_TOTAL_CAPACITY,
} from "../../firmware-sim/module/securedata-layout.js";
import { crc32 } from "../../firmware-sim/module/file-crc32.js";
import type { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { MemoryFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { provision } from "../../firmware-sim/module/factory.js";
import { readFileSync } from "node:fs";
import { flashPackage } from "../../firmware-sim/module/firmware-info.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { board, enc, sampleFiles } from "./helpers.js";

const region = board.partitions.find((p) => p.type === "securedata")!;

function store(flash: NorFlash): SecureData {
  return new SecureData(partitionDevice(flash, board, region.name));
}

function read(sd: SecureData, index: number): Uint8Array | number {
  const buf = new Uint8Array(capacityOf(index));
  const n = sd.Read(index, buf, buf.length);
  return n < 0 ? n : buf.slice(0, n);
}

describe("SecureData API", () => {
  it("capacities add up to 3816 bytes over indexes 1..16", () => {
    let total = 0;
    for (let i = 1; i <= 16; i++) total += capacityOf(i);
    expect(total).toBe(SD_TOTAL_CAPACITY);
  });

  it("also offers the runtime's store(index, data) / read(index) shape", () => {
    const sd = store(boardFlash(board));
    expect(sd.read(2)).toBe(-2);
    expect(sd.read(0)).toBe(-1);
    expect(sd.store(2, enc("abc"))).toBe(0);
    expect(sd.read(2)).toEqual(enc("abc"));
    expect(sd.store(2, new Uint8Array(53))).toBe(-1);
  });

  it("a record never stored reads -2", () => {
    const sd = store(boardFlash(board));
    expect(sd.Read(1, new Uint8Array(52), 52)).toBe(-2);
  });

  it("stores and reads binary data with zero bytes (after the 2021 strncpy fix)", () => {
    const flash = boardFlash(board);
    const data = Uint8Array.of(0, 1, 0, 255, 0, 0, 7);
    expect(store(flash).Store(3, data, data.length)).toBe(0);
    expect(read(store(flash), 3)).toEqual(data);
  });

  it.each([
    ["index 0", 0, 10, 10, -1],
    ["index 17", 17, 10, 10, -1],
    ["a fractional index", 1.5, 10, 10, -1],
    ["52 bytes at index 8", 8, 52, 52, 0],
    ["53 bytes at index 8", 8, 53, 53, -1],
    ["100 bytes at index 9", 9, 100, 100, 0],
    ["101 bytes at index 12", 12, 101, 101, -1],
    ["500 bytes at index 14", 14, 500, 500, 0],
    ["1000 bytes at index 16", 16, 1000, 1000, 0],
    ["1001 bytes at index 15", 15, 1001, 1001, -1],
    ["len 0", 1, 10, 0, -1],
    ["len shorter than the buffer", 1, 40, 10, 0],
  ])("Store with %s returns the device's code", (_what, index, size, len, want) => {
    const sd = store(boardFlash(board));
    expect(sd.Store(index, new Uint8Array(size).fill(0x5a), len)).toBe(want);
  });

  it("Store keeps min(len(databuf), len) bytes; Read returns min(stored, len, len(buf))", () => {
    const sd = store(boardFlash(board));
    expect(sd.Store(9, enc("0123456789"), 4)).toBe(0);
    expect(read(sd, 9)).toEqual(enc("0123"));
    const small = new Uint8Array(2);
    expect(sd.Read(9, small, 100)).toBe(2);
    expect(small).toEqual(enc("01"));
    expect(sd.Read(9, new Uint8Array(10), 3)).toBe(3);
    expect(sd.Read(0, new Uint8Array(10), 3)).toBe(-1);
    expect(sd.Read(9, new Uint8Array(10), -1)).toBe(-1);
  });

  it("keeps every index's newest value across many Stores, garbage collections and remounts", () => {
    const flash = boardFlash(board);
    let sd = store(flash);
    const want = new Map<number, Uint8Array>();
    for (let k = 0; k < 400; k++) {
      const index = (k % 16) + 1;
      const value = new Uint8Array(capacityOf(index)).map((_, j) => (k * 31 + j) & 0xff);
      expect(sd.Store(index, value, value.length)).toBe(0);
      want.set(index, value);
      if (k % 37 === 0) sd = store(flash);
    }
    sd = store(flash);
    for (const [index, value] of want) expect(read(sd, index)).toEqual(value);
    const st = sd.inspect();
    expect(st.state).toBe("ok");
    expect(st.records.every((r) => r.copies === 2)).toBe(true);
    expect(st.sectors.filter((s) => s.kind === "erased").length).toBeGreaterThanOrEqual(1);
  });

  it("spreads wear evenly over the region's sectors", () => {
    const flash = boardFlash(board);
    const sd = store(flash);
    for (let k = 0; k < 300; k++) sd.Store(15, new Uint8Array(1000).fill(k & 0xff), 1000);
    const first = region.offset / flash.sectorSize;
    const wear = [...flash.wear().subarray(first, first + region.size / flash.sectorSize)];
    expect(Math.min(...wear)).toBeGreaterThan(0);
    expect(Math.max(...wear) - Math.min(...wear)).toBeLessThanOrEqual(1);
  });

  it("never formats content it does not recognise: Store refuses, the bytes stay", () => {
    const flash = boardFlash(board);
    const bd = partitionDevice(flash, board, region.name);
    const junk = new Uint8Array(300).map((_, i) => (i * 13 + 1) & 0xff);
    bd.prog(1, 100, junk);
    const before = flash.read(region.offset, region.size);
    const sd = store(flash);
    expect(sd.inspect().state).toBe("unrecognised");
    expect(sd.inspect().reason).toMatch(/not a SecureData log/);
    expect(sd.Store(1, enc("key"), 3)).toBe(-1);
    expect(sd.Read(1, new Uint8Array(52), 52)).toBe(-2);
    expect(flash.read(region.offset, region.size)).toEqual(before);
    sd.format();
    expect(sd.Store(1, enc("key"), 3)).toBe(0);
  });

  it("leaves a region written by another layout version alone (a newer firmware's store)", () => {
    const flash = boardFlash(board);
    const bd = partitionDevice(flash, board, region.name);
    const header = encodeSectorHeader(7);
    header[4] = 2;
    new DataView(header.buffer).setUint32(12, crc32(header.subarray(0, 12)), true);
    bd.prog(0, 0, header);
    bd.prog(0, 16, enc("records of layout 2"));
    const before = flash.read(region.offset, region.size);
    const sd = store(flash);
    expect(sd.inspect().state).toBe("unrecognised");
    expect(sd.inspect().reason).toMatch(/layout version 2/);
    expect(sd.Store(1, enc("k"), 1)).toBe(-1);
    expect(flash.read(region.offset, region.size)).toEqual(before);
  });

  it("treats a lone torn sector header (a first Store cut short) as blank, not foreign", () => {
    const flash = boardFlash(board);
    partitionDevice(flash, board, region.name).prog(2, 0, encodeSectorHeader(1).subarray(0, 6));
    const sd = store(flash);
    expect(sd.inspect().state).toBe("blank");
    expect(sd.Store(4, enc("ok"), 2)).toBe(0);
    expect(read(store(flash), 4)).toEqual(enc("ok"));
  });

  it("comes through boots, soft reboots and a reformatted /usr byte for byte", () => {
    const flash = boardFlash(board);
    const driver = new LittleFsDriver();
    provision(flash, board, driver, { files: sampleFiles() });
    expect(store(flash).Store(13, enc("x".repeat(500)), 500)).toBe(0);
    const before = flash.read(region.offset, region.size);
    const m = new Module({ board, flash, fsDriver: driver, restoreMode: "hardened" });
    expect(m.boot().secureData).toEqual({ state: "ok", records: 1 });
    m.softReboot();
    partitionDevice(flash, board, "customer_fs").erase(0);
    partitionDevice(flash, board, "customer_fs").erase(1);
    expect(new Module({ board, flash, fsDriver: driver }).boot().formatted).toEqual(["customer_fs"]);
    expect(flash.read(region.offset, region.size)).toEqual(before);
    expect(read(m.secureData, 13)).toEqual(enc("x".repeat(500)));
  });

  it("survives flashing a package over the module (the partition is preserved)", () => {
    const pkg = readPackage(new Uint8Array(readFileSync("images/example.fbpkg")));
    const flash = boardFlash(board);
    flashPackage(flash, pkg);
    expect(store(flash).Store(16, enc("device secret"), 13)).toBe(0);
    const r = flashPackage(flash, pkg);
    expect(r.preserved).toEqual([region.name]);
    expect(read(store(flash), 16)).toEqual(enc("device secret"));
  });

  it("survives re-provisioning /usr and /bak (a package flash preserves the region)", () => {
    const flash = boardFlash(board);
    const driver = new MemoryFsDriver();
    provision(flash, board, driver, { files: sampleFiles() });
    expect(store(flash).Store(16, enc("device secret"), 13)).toBe(0);
    provision(flash, board, driver, { files: sampleFiles().slice(0, 1) });
    expect(read(store(flash), 16)).toEqual(enc("device secret"));
  });
});
