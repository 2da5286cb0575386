import { describe, expect, it } from "vitest";
import { walk } from "../../firmware-sim/fs/fs-util.js";
import { readFile } from "../../firmware-sim/fs/fs-util.js";
import { zlibCrc32 } from "../../firmware-sim/littlefs/crc.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { configFor, deviceFor, loadManifest, readImage } from "./vectors.js";

const images = loadManifest();
const hex = (n: number): string => n.toString(16).padStart(8, "0");

describe("reference vectors: mount and list exactly the manifest", () => {
  it.each(images.map((i) => [i.file, i] as const))("%s", (_name, img) => {
    const bd = deviceFor(img, readImage(img.file), true);
    const fs = LittleFs.mount(bd, configFor(img).cfg, { readOnly: true });
    const listing = walk(fs).map((e) =>
      e.type === "dir"
        ? { type: "dir", path: e.path }
        : { type: "file", path: e.path, size: e.size, crc32: hex(zlibCrc32(readFile(fs, e.path))) },
    );
    expect(listing).toEqual(img.entries);
    const info = fs.fsStat();
    expect(info.blockSize).toBe(img.superblock.blockSize);
    expect(info.blockCount).toBe(img.superblock.blockCount);
    expect(info.nameMax).toBe(img.superblock.nameMax);
    expect("0x" + hex(info.diskVersion)).toBe(img.superblock.diskVersion);
    const [a, b] = fs.rootPair();
    expect(`{0x${a.toString(16)}, 0x${b.toString(16)}}`).toBe(img.superblock.rootPair);
    for (const at of img.attrs ?? []) {
      expect(Buffer.from(fs.getAttr(at.path, at.type) ?? []).toString("hex")).toBe(at.hex);
    }
    expect(fs.check().ok).toBe(true);
    expect(bd.stats.progs + bd.stats.erases).toBe(0);
  });

  it.each(images.map((i) => [i.file, i] as const))(
    "%s: global state as the reference reports it",
    (_name, img) => {
      // the reference tool reports the state of a mount with its default (2.1) configuration
      const cfg = { ...configFor(img).cfg, diskVersion: 0 };
      const fs = LittleFs.mount(deviceFor(img, readImage(img.file), true), cfg, { readOnly: true });
      const g = fs.gstate();
      const h = (n: number): string => n.toString(16);
      expect(`tag=0x${hex(g.tag)} pair={0x${h(g.pair[0])}, 0x${h(g.pair[1])}}`).toBe(img.superblock.gstate);
    },
  );
});

describe("format is byte-exact with the reference", () => {
  const exact = images.filter((i) => i.byteExact !== undefined);
  it.each(exact.map((i) => [i.file, i] as const))("%s", (_name, img) => {
    const bd = deviceFor(img);
    LittleFs.format(bd, configFor(img).cfg);
    const want = readImage(img.file);
    expect(bd.data.length).toBe(want.length);
    const firstDiff = bd.data.findIndex((v, i) => v !== want[i]);
    expect(firstDiff).toBe(-1);
  });
});
