import { describe, expect, it } from "vitest";
import { FsError } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { Whence } from "../../firmware-sim/fs/file-system.js";
import { exists, readFile, walk, writeFile } from "../../firmware-sim/fs/fs-util.js";
import {
  LittleFs,
  MTIME_ATTR,
  decodeMtime,
  detectBlockSize,
  encodeMtime,
  type LfsConfig,
} from "../../firmware-sim/littlefs/index.js";
import { bytes } from "./scenarios.js";
import { configFor, deviceFor, loadManifest, readImage } from "./vectors.js";

const geo = { readSize: 1, progSize: 1, blockSize: 4096, blockCount: 64, eraseValue: 0xff };
const cfg: LfsConfig = { readSize: 16, progSize: 16, cacheSize: 64, lookaheadSize: 16, blockCycles: 500 };

function fresh(extra: LfsConfig = {}, g = geo): { bd: MemoryBlockDevice; fs: LittleFs } {
  const bd = new MemoryBlockDevice(g);
  LittleFs.format(bd, { ...cfg, ...extra });
  return { bd, fs: LittleFs.mount(bd, { ...cfg, ...extra }) };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FsError) return e.code;
    throw e;
  }
  return "ok";
}

describe("errors carry littlefs codes", () => {
  const setup = (): LittleFs => {
    const { fs } = fresh({ nameMax: 32, fileMax: 5000 });
    fs.mkdir("/d");
    fs.mkdir("/e");
    writeFile(fs, "/d/f", bytes(1, 100));
    writeFile(fs, "/g", bytes(2, 10));
    return fs;
  };
  const cases: Array<[string, (fs: LittleFs) => unknown, string]> = [
    ["mkdir of an existing dir", (fs) => fs.mkdir("/d"), "LFS_EXIST"],
    ["mkdir of an existing file", (fs) => fs.mkdir("/g"), "LFS_EXIST"],
    ["mkdir under a missing dir", (fs) => fs.mkdir("/x/y"), "LFS_NOENT"],
    ["mkdir under a file", (fs) => fs.mkdir("/g/y"), "LFS_NOTDIR"],
    ["open a dir as a file", (fs) => fs.open("/d", { read: true }), "LFS_ISDIR"],
    ["open a missing file", (fs) => fs.open("/nope", { read: true }), "LFS_NOENT"],
    [
      "exclusive create of an existing file",
      (fs) => fs.open("/g", { write: true, create: true, exclusive: true }),
      "LFS_EXIST",
    ],
    ["readdir of a file", (fs) => fs.readdir("/g"), "LFS_NOTDIR"],
    ["remove a non-empty dir", (fs) => fs.remove("/d"), "LFS_NOTEMPTY"],
    ["remove the root", (fs) => fs.remove("/"), "LFS_INVAL"],
    ["remove a missing file", (fs) => fs.remove("/nope"), "LFS_NOENT"],
    ["rename a file over a dir", (fs) => fs.rename("/g", "/e"), "LFS_ISDIR"],
    ["rename a dir over a file", (fs) => fs.rename("/e", "/g"), "LFS_NOTDIR"],
    ["rename a dir over a non-empty dir", (fs) => fs.rename("/e", "/d"), "LFS_NOTEMPTY"],
    [
      "name longer than name_max",
      (fs) => writeFile(fs, "/" + "n".repeat(33), bytes(3, 1)),
      "LFS_NAMETOOLONG",
    ],
    ["write past file_max", (fs) => writeFile(fs, "/big", bytes(4, 5001)), "LFS_FBIG"],
    ["attribute above attr_max", (fs) => fs.setAttr("/g", 1, new Uint8Array(1023)), "LFS_NOSPC"],
    ["stat through a file", (fs) => fs.stat("/g/x"), "LFS_NOTDIR"],
  ];
  it.each(cases)("%s", (_n, op, code) => {
    expect(codeOf(() => op(setup()))).toBe(code);
  });
});

describe("read-only mount", () => {
  const ops: Array<[string, (fs: LittleFs) => unknown]> = [
    ["mkdir", (fs) => fs.mkdir("/x")],
    ["remove", (fs) => fs.remove("/g")],
    ["rename", (fs) => fs.rename("/g", "/h")],
    ["open for write", (fs) => fs.open("/g", { write: true })],
    ["create", (fs) => fs.open("/new", { write: true, create: true })],
    ["setAttr", (fs) => fs.setAttr("/g", 1, new Uint8Array(1))],
    ["removeAttr", (fs) => fs.removeAttr("/g", 1)],
    ["gc", (fs) => fs.gc()],
    ["mkconsistent", (fs) => fs.mkconsistent()],
    ["grow", (fs) => fs.grow(64)],
  ];
  it.each(ops)("%s is EROFS and touches nothing", (_n, op) => {
    const { bd, fs } = fresh();
    writeFile(fs, "/g", bytes(5, 300));
    const ro = LittleFs.mount(bd, cfg, { readOnly: true });
    const before = { ...bd.stats };
    expect(codeOf(() => op(ro))).toBe("LFS_EROFS");
    expect(readFile(ro, "/g")).toEqual(bytes(5, 300));
    expect(bd.stats.progs).toBe(before.progs);
    expect(bd.stats.erases).toBe(before.erases);
  });
});

describe("files behave like a byte array (random ops against a model)", () => {
  it.each([1, 2, 3, 4, 5, 6])("seed %i", (seed) => {
    const { bd, fs } = fresh({ inlineMax: 0 });
    let model = new Uint8Array(0);
    let rng = seed * 7919;
    const rnd = (n: number): number => {
      rng = (rng * 1103515245 + 12345) >>> 0;
      return rng % n;
    };
    let f = fs.openFile("/m", { read: true, write: true, create: true });
    for (let step = 0; step < 150; step++) {
      const op = rnd(10);
      if (op < 4) {
        const pos = rnd(model.length + 200);
        const data = bytes(seed * 1000 + step, 1 + rnd(op === 0 ? 9000 : 120));
        f.seek(pos, Whence.Set);
        f.write(data);
        const end = Math.max(model.length, pos + data.length);
        const next = new Uint8Array(end);
        next.set(model);
        next.set(data, pos);
        model = next;
      } else if (op < 6) {
        const pos = rnd(model.length + 1);
        const n = rnd(500);
        f.seek(pos - model.length, Whence.End);
        expect(f.tell()).toBe(pos);
        const into = new Uint8Array(n);
        const got = f.read(into);
        expect(got).toBe(Math.min(n, model.length - pos));
        expect(into.subarray(0, got)).toEqual(model.subarray(pos, pos + got));
      } else if (op === 6) {
        const size = rnd(model.length + 300);
        f.truncate(size);
        const next = new Uint8Array(size);
        next.set(model.subarray(0, Math.min(size, model.length)));
        model = next;
      } else if (op === 7) {
        f.sync();
      } else if (op === 8) {
        f.close();
        const again = LittleFs.mount(bd, cfg);
        expect(readFile(again, "/m")).toEqual(model);
        f = fs.openFile("/m", { read: true, write: true });
      } else {
        expect(f.size()).toBe(model.length);
      }
    }
    f.close();
    expect(readFile(LittleFs.mount(bd, cfg), "/m")).toEqual(model);
    expect(fs.check().ok).toBe(true);
  });

  it("append writes at the end; seek past the end then write fills zeros", () => {
    const { fs } = fresh();
    writeFile(fs, "/a", Uint8Array.from([1, 2, 3]));
    const f = fs.open("/a", { write: true, append: true });
    f.seek(0);
    f.write(Uint8Array.from([4]));
    f.close();
    expect(readFile(fs, "/a")).toEqual(Uint8Array.from([1, 2, 3, 4]));
    const g = fs.open("/a", { write: true });
    g.seek(6);
    g.write(Uint8Array.from([9]));
    g.close();
    expect(readFile(fs, "/a")).toEqual(Uint8Array.from([1, 2, 3, 4, 0, 0, 9]));
  });
});

describe("attributes", () => {
  it("set, get, replace and remove on files, dirs and the root", () => {
    const { fs } = fresh();
    fs.mkdir("/d");
    writeFile(fs, "/d/f", bytes(6, 10));
    for (const p of ["/", "/d", "/d/f"]) {
      expect(fs.getAttr(p, 7)).toBeUndefined();
      fs.setAttr(p, 7, Uint8Array.from([1, 2]));
      fs.setAttr(p, 7, Uint8Array.from([3, 4, 5]));
      expect(fs.getAttr(p, 7)).toEqual(Uint8Array.from([3, 4, 5]));
      fs.removeAttr(p, 7);
      expect(fs.getAttr(p, 7)).toBeUndefined();
    }
  });

  it("file attributes given at open are written atomically with the data", () => {
    const { bd, fs } = fresh();
    const t = encodeMtime("micropython", Date.UTC(2026, 10, 24, 3, 0, 0));
    const f = fs.openFile(
      "/m.py",
      { write: true, create: true },
      { attrs: [{ type: MTIME_ATTR.micropython, buffer: t, size: 8 }] },
    );
    f.write(bytes(7, 2000));
    f.close();
    const again = LittleFs.mount(bd, cfg, { readOnly: true });
    expect(decodeMtime("micropython", again.getAttr("/m.py", 1)!)).toBe(Date.UTC(2026, 10, 24, 3, 0, 0));
  });

  it.each(["micropython", "esp-idf", "mklittlefs"] as const)("mtime convention %s round-trips", (c) => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5);
    expect(decodeMtime(c, encodeMtime(c, ms))).toBe(ms);
  });
});

describe("mount rejects what a device rejects", () => {
  it("a different block size", () => {
    const { bd } = fresh();
    const half = new MemoryBlockDevice({ ...geo, blockSize: 2048, blockCount: 128 }, { data: bd.data });
    const e = codeOf(() => LittleFs.mount(half, { ...cfg, blockSize: 2048 }));
    expect(e).toBe("LFS_INVAL");
  });
  it("a newer minor version than the configured one", () => {
    const { bd } = fresh();
    expect(codeOf(() => LittleFs.mount(bd, { ...cfg, diskVersion: 0x20000 }))).toBe("LFS_INVAL");
  });
  it("limits above ours", () => {
    const { bd } = fresh();
    expect(codeOf(() => LittleFs.mount(bd, { ...cfg, nameMax: 32 }))).toBe("LFS_INVAL");
    expect(codeOf(() => LittleFs.mount(bd, { ...cfg, attrMax: 100 }))).toBe("LFS_INVAL");
  });
  it("a different block count unless 0", () => {
    const { bd } = fresh();
    expect(codeOf(() => LittleFs.mount(bd, { ...cfg, blockCount: 32 }))).toBe("LFS_INVAL");
    expect(LittleFs.mount(bd, { ...cfg, blockCount: 0 }).fsStat().blockCount).toBe(64);
  });
  it("a blank device is CORRUPT with a message", () => {
    const bd = new MemoryBlockDevice(geo);
    expect(() => LittleFs.mount(bd, cfg)).toThrow(/no valid metadata/);
  });
});

describe("file system operations", () => {
  it("usage counts the blocks traverse reports", () => {
    const { fs } = fresh();
    writeFile(fs, "/a", bytes(8, 20000));
    fs.mkdir("/d");
    let n = 0;
    fs.traverse(() => n++);
    expect(fs.usage().blocksUsed).toBe(n - 2);
    expect(fs.usage().blocksUsed).toBeGreaterThan(5);
  });

  it("NOSPC when full, and the file system stays consistent", () => {
    const { bd, fs } = fresh({}, { ...geo, blockCount: 16 });
    let i = 0;
    expect(
      codeOf(() => {
        for (;;) writeFile(fs, `/f${i++}`, bytes(i, 8000));
      }),
    ).toBe("LFS_NOSPC");
    const again = LittleFs.mount(bd, cfg);
    expect(again.check().ok).toBe(true);
    for (const e of walk(again)) if (e.size === 8000) expect(readFile(again, e.path).length).toBe(8000);
  });

  it("grow records a bigger block count and gives more space", () => {
    const bd = new MemoryBlockDevice({ ...geo, blockCount: 64 });
    LittleFs.format(bd, { ...cfg, blockCount: 16 });
    const fs = LittleFs.mount(bd, { ...cfg, blockCount: 0 });
    expect(fs.fsStat().blockCount).toBe(16);
    fs.grow(64);
    expect(LittleFs.mount(bd, { ...cfg, blockCount: 0 }).fsStat().blockCount).toBe(64);
    expect(codeOf(() => fs.grow(8))).toBe("LFS_INVAL");
  });

  it("gc compacts and mkconsistent is a no-op on a clean fs", () => {
    const { bd, fs } = fresh();
    for (let i = 0; i < 30; i++) writeFile(fs, "/x", bytes(i, 40));
    fs.gc();
    fs.mkconsistent();
    expect(readFile(LittleFs.mount(bd, cfg), "/x")).toEqual(bytes(29, 40));
  });

  it("a 2.0 image is upgraded to 2.1 by the first write", () => {
    const img = loadManifest().find((i) => i.file === "basic-v20-p16.img")!;
    const bd = deviceFor(img, readImage(img.file));
    const c = { ...configFor(img).cfg, diskVersion: 0 };
    const fs = LittleFs.mount(bd, c);
    expect(fs.fsStat().diskVersion).toBe(0x20000);
    expect(fs.gstate().tag).toBe(0x200);
    fs.mkdir("/new");
    expect(fs.fsStat().diskVersion).toBe(0x20001);
    const again = LittleFs.mount(bd, c);
    expect(again.fsStat().diskVersion).toBe(0x20001);
    expect(walk(again).length).toBe(img.entries.length + 1);
    expect(again.check().ok).toBe(true);
  });

  it("detectBlockSize finds the geometry of every vector", () => {
    for (const img of loadManifest()) {
      const d = detectBlockSize(readImage(img.file));
      expect(d?.blockSize, img.file).toBe(img.params.blockSize);
      expect(d?.blockCount, img.file).toBe(img.params.blockCount);
    }
    expect(detectBlockSize(new Uint8Array(8192).fill(0xff))).toBeUndefined();
  });

  it("stat of the root and littlefs listing order", () => {
    const { fs } = fresh();
    fs.mkdir("/order");
    for (const n of ["b", "a", "ab", "abd", "abc", "aa"]) writeFile(fs, `/order/${n}`, bytes(1, 1));
    expect(fs.readdir("/order").map((e) => e.name)).toEqual(["aa", "abc", "abd", "ab", "a", "b"]);
    expect(fs.stat("/")).toEqual({ name: "", type: "dir", size: 0 });
    expect(exists(fs, "/order/ab")).toBe(true);
  });
});

describe("open handles follow changes made through other handles", () => {
  it("ids shift when entries are created or removed before an open file", () => {
    const { bd, fs } = fresh();
    writeFile(fs, "/m", bytes(10, 3000));
    const f = fs.open("/m", { read: true, write: true });
    writeFile(fs, "/a", bytes(11, 10)); // sorts before "m": its id moves up
    writeFile(fs, "/b", bytes(12, 10));
    fs.remove("/a"); // and back down
    f.seek(0, Whence.End);
    f.write(bytes(13, 100));
    f.close();
    const again = LittleFs.mount(bd, cfg);
    expect(readFile(again, "/m")).toEqual(new Uint8Array([...bytes(10, 3000), ...bytes(13, 100)]));
    expect(readFile(again, "/b")).toEqual(bytes(12, 10));
  });

  it("a file removed while open is not resurrected by its close", () => {
    const { bd, fs } = fresh();
    writeFile(fs, "/gone", bytes(14, 100));
    const f = fs.open("/gone", { write: true });
    f.write(bytes(15, 50));
    fs.remove("/gone");
    f.close();
    expect(exists(LittleFs.mount(bd, cfg), "/gone")).toBe(false);
  });

  it("an open inline file survives a compaction of its directory by other writes", () => {
    const { bd, fs } = fresh({ metadataMax: 512 });
    const f = fs.open("/keep", { write: true, create: true });
    f.write(bytes(16, 40));
    for (let i = 0; i < 40; i++) writeFile(fs, `/n${i}`, bytes(100 + i, 20));
    f.write(bytes(17, 10));
    f.close();
    const again = LittleFs.mount(bd, { ...cfg, metadataMax: 512 });
    expect(readFile(again, "/keep")).toEqual(new Uint8Array([...bytes(16, 40), ...bytes(17, 10)]));
    expect(again.readdir("/").length).toBe(41);
    expect(again.check().ok).toBe(true);
  });
});

describe("images move between configurations", () => {
  const presets: Array<[string, LfsConfig]> = [
    ["esp-idf", { readSize: 128, progSize: 128, cacheSize: 512, lookaheadSize: 128, blockCycles: 512 }],
    ["micropython", { readSize: 32, progSize: 32, cacheSize: 128, lookaheadSize: 32, blockCycles: 100 }],
    ["mklittlefs", { readSize: 64, progSize: 64, cacheSize: 64, lookaheadSize: 64, blockCycles: 16 }],
    ["reference", cfg],
  ];
  const pairs = presets.flatMap(([a, ca]) =>
    presets.filter(([b]) => b !== a).map(([b, cb]) => [a, b, ca, cb] as const),
  );
  it.each(pairs)("written as %s, read and extended as %s", (_a, _b, ca, cb) => {
    const bd = new MemoryBlockDevice(geo);
    LittleFs.format(bd, ca);
    const w = LittleFs.mount(bd, ca);
    w.mkdir("/d");
    // 200 bytes is inline under esp-idf (cache 512) but larger than the other caches
    writeFile(w, "/d/inline", bytes(20, 200));
    writeFile(w, "/d/big", bytes(21, 9000));
    const r = LittleFs.mount(bd, cb);
    expect(readFile(r, "/d/inline")).toEqual(bytes(20, 200));
    expect(readFile(r, "/d/big")).toEqual(bytes(21, 9000));
    const f = r.open("/d/inline", { write: true, append: true });
    f.write(bytes(22, 10));
    f.close();
    writeFile(r, "/d/new", bytes(23, 100));
    const back = LittleFs.mount(bd, ca);
    expect(readFile(back, "/d/inline")).toEqual(new Uint8Array([...bytes(20, 200), ...bytes(22, 10)]));
    expect(readFile(back, "/d/new")).toEqual(bytes(23, 100));
    expect(back.check().ok).toBe(true);
  });
});
