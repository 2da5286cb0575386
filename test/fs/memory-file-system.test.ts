import { describe, expect, it } from "vitest";
import { FsError } from "../../firmware-sim/errors.js";
import { mkdirs, readFile, removeRecursive, walk, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { MemoryFileSystem } from "../../firmware-sim/fs/memory-file-system.js";
import { compareNames } from "../../firmware-sim/fs/path.js";

function lfsCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof FsError) return e.lfs;
    throw e;
  }
  return undefined;
}

describe("littlefs name order", () => {
  it("sorts a longer name first on a common prefix, as the reference does", () => {
    const names = ["b", "a", "ab", "abd", "abc", "aa"];
    expect(names.sort(compareNames)).toEqual(["aa", "abc", "abd", "ab", "a", "b"]);
  });
});

describe("MemoryFileSystem", () => {
  it("reads, writes, lists in littlefs order and walks", () => {
    const fs = new MemoryFileSystem();
    mkdirs(fs, "/order/x");
    for (const n of ["b", "a", "ab", "aa"]) writeFile(fs, `/order/${n}`, new TextEncoder().encode(n));
    expect(fs.readdir("/order").map((e) => e.name)).toEqual(["aa", "ab", "a", "b", "x"]);
    expect(new TextDecoder().decode(readFile(fs, "/order/ab"))).toBe("ab");
    expect(walk(fs).map((e) => e.path)).toEqual([
      "/order",
      "/order/aa",
      "/order/ab",
      "/order/a",
      "/order/b",
      "/order/x",
    ]);
    removeRecursive(fs, "/order");
    expect(fs.readdir("/")).toEqual([]);
  });

  it("uses littlefs error codes", () => {
    const fs = new MemoryFileSystem({ nameMax: 8 });
    fs.mkdir("/d");
    writeFile(fs, "/d/f", Uint8Array.of(1));
    expect(lfsCode(() => fs.mkdir("/d"))).toBe("EXIST");
    expect(lfsCode(() => fs.stat("/nope"))).toBe("NOENT");
    expect(lfsCode(() => fs.remove("/d"))).toBe("NOTEMPTY");
    expect(lfsCode(() => fs.open("/d", { read: true }))).toBe("ISDIR");
    expect(lfsCode(() => fs.readdir("/d/f"))).toBe("NOTDIR");
    expect(lfsCode(() => fs.open("/d/f", { write: true, create: true, exclusive: true }))).toBe("EXIST");
    expect(lfsCode(() => fs.mkdir("/123456789"))).toBe("NAMETOOLONG");
    expect(lfsCode(() => fs.stat("/d/../f"))).toBe("INVAL");
    fs.readOnly = true;
    expect(lfsCode(() => writeFile(fs, "/x", Uint8Array.of(1)))).toBe("EROFS");
  });

  it("renames over a file, refuses a non-empty directory target", () => {
    const fs = new MemoryFileSystem();
    writeFile(fs, "/a", Uint8Array.of(1));
    writeFile(fs, "/b", Uint8Array.of(2));
    fs.rename("/a", "/b");
    expect([...readFile(fs, "/b")]).toEqual([1]);
    fs.mkdir("/d");
    writeFile(fs, "/d/x", Uint8Array.of(3));
    fs.mkdir("/e");
    expect(lfsCode(() => fs.rename("/e", "/d"))).toBe("NOTEMPTY");
    expect(lfsCode(() => fs.rename("/b", "/e"))).toBe("ISDIR");
  });
});
