/**
 * Write-path fidelity: replaying the operations recorded in the vector manifest on a fresh format
 * must leave exactly the reference's bytes (same allocator, seed, commit layout, compaction,
 * splits, renames, drops and superblock expansion). File contents come from the reference images
 * themselves; the op grouping (one mount per recorded write for history/sbexpand, one mount for a
 * tree copy in byte-sorted path order) is what reproduces the reference tool's runs.
 */
import { describe, expect, it } from "vitest";
import { readFile, walk, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { configFor, deviceFor, loadManifest, mountVector, readImage, type VectorImage } from "./vectors.js";

const images = loadManifest();
const byName = (n: string): VectorImage => {
  const img = images.find((i) => i.file === n);
  if (img === undefined) throw new Error(`vector ${n} missing from the manifest`);
  return img;
};

/** Offset of the first differing byte, or -1. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

interface TreeItem {
  path: string;
  type: "file" | "dir";
  data: Uint8Array | undefined;
}

function sortedTree(fs: LittleFs): TreeItem[] {
  const items = walk(fs).map((e) => ({
    path: e.path,
    type: e.type,
    data: e.type === "file" ? readFile(fs, e.path) : undefined,
  }));
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function copyTree(fs: LittleFs, items: TreeItem[]): void {
  for (const e of items) {
    if (e.type === "dir") fs.mkdir(e.path);
    else writeFile(fs, e.path, e.data!);
  }
}

describe("replaying the manifest ops reproduces the reference bytes", () => {
  const trees = images.filter((i) => i.ops.length === 2 && /^copy (tree basic|300 files)/.test(i.ops[1]!));
  it.each(trees.map((i) => [i.file, i] as const))("%s (format + tree copy)", (_n, img) => {
    const items = sortedTree(mountVector(img));
    const { cfg } = configFor(img);
    const bd = deviceFor(img);
    LittleFs.format(bd, cfg);
    copyTree(LittleFs.mount(bd, cfg), items);
    expect(firstDiff(bd.data, readImage(img.file))).toBe(-1);
  });

  it("history-v21-p16.img (removes, renames, 40 rewrites, attr, mkdir, rm -r; a mount per op)", () => {
    const img = byName("history-v21-p16.img");
    const hist = mountVector(img);
    const { cfg } = configFor(img);
    const bd = deviceFor(img);
    LittleFs.format(bd, cfg);
    const session = (op: (fs: LittleFs) => void): void => {
      const fs = LittleFs.mount(bd, cfg);
      op(fs);
      fs.unmount();
    };
    session((fs) => copyTree(fs, sortedTree(mountVector(byName("basic-v21-p16.img")))));
    session((fs) => fs.remove("/order/abd"));
    session((fs) => fs.rename("/main.py", "/boot.py"));
    session((fs) => fs.rename("/deep/a", "/deep/z"));
    for (let i = 0; i < 40; i++) {
      const json = `{"rev": ${i}, "pad": "${"x".repeat(7 * i)}"}`;
      session((fs) => writeFile(fs, "/cfg/app.json", new TextEncoder().encode(json)));
    }
    expect(readFile(hist, "/cfg/app.json")).toEqual(
      readFile(LittleFs.mount(bd, cfg, { readOnly: true }), "/cfg/app.json"),
    );
    session((fs) => fs.setAttr("/boot.py", 0x74, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
    session((fs) => {
      fs.mkdir("/newdir");
      writeFile(fs, "/newdir/n.txt", readFile(hist, "/newdir/n.txt"));
    });
    session((fs) => {
      fs.remove("/data/blob.bin");
      fs.remove("/data");
    });
    expect(firstDiff(bd.data, readImage(img.file))).toBe(-1);
  });

  it("sbexpand-v21-p16.img (600 rewrites with block_cycles 4 expand the superblock)", () => {
    const img = byName("sbexpand-v21-p16.img");
    const { cfg } = configFor(img);
    const bd = deviceFor(img);
    LittleFs.format(bd, cfg);
    for (let i = 0; i < 600; i++) {
      const fs = LittleFs.mount(bd, cfg);
      writeFile(fs, "/counter", new TextEncoder().encode(String(i) + ".".repeat(100)));
      fs.unmount();
    }
    expect(LittleFs.mount(bd, cfg).rootPair()).toEqual([0x33, 0x32]);
    expect(firstDiff(bd.data, readImage(img.file))).toBe(-1);
  });
});
