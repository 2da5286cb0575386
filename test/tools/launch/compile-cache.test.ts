import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CACHES_PER_GROUP,
  cacheDirFromEnv,
  commandGroup,
  decodeCacheFile,
  encodeCacheFile,
  loadBundle,
  usableDir,
  wrapBundle,
} from "../../../tools/launch/compile-cache.js";

let dir: string;
let bundle: string;
let cache: string;

// V8 refusing an intact file ("rejected") is tested with the real bundle in separate processes
// (test/tools/build/bundle.test.ts): within one process V8 finds a script it compiled before in
// its own memory and never looks at the cached data.

/** A small wrapped CommonJS bundle with enough functions for V8 to have bytecode to cache. */
function writeBundle(path: string, answer: number): void {
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join("\n");
  const source = `"use strict";\n${fns}\nexports.main = () => f0(${answer}) + f1(0) - 1;\nexports.file = __filename;\n`;
  writeFileSync(path, wrapBundle(Buffer.from(source)));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flashbak-cc-"));
  bundle = join(dir, "bundle.cjs");
  cache = join(dir, "cache");
  expect(usableDir(cache)).toBe(true);
  writeBundle(bundle, 41);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(group = "fs-mkfs"): ReturnType<typeof loadBundle> {
  const loaded = loadBundle(bundle, { dir: cache, group });
  expect((loaded.exports.main as () => number)()).toBe(41);
  return loaded;
}

describe("the compile cache of the bundled CLI", () => {
  it("misses, is written after the run, then hits", () => {
    const first = run();
    expect(first.outcome).toBe("miss");
    expect(first.exports.file).toBe(bundle);
    expect(first.save()).toBe(true);
    expect(readdirSync(cache)).toEqual([first.cacheFile!.slice(cache.length + 1)]);
    const second = run();
    expect(second.outcome).toBe("hit");
    expect(second.cacheFile).toBe(first.cacheFile);
    // a hit writes nothing
    expect(second.save()).toBe(false);
  });

  it("keeps one file per command group", () => {
    run("fs-mkfs").save();
    run("flash").save();
    expect(readdirSync(cache).sort()).toEqual([
      expect.stringMatching(/^flash-[0-9a-f]{16}-v[\d.]+-\w+\.v8cache$/),
      expect.stringMatching(/^fs-mkfs-[0-9a-f]{16}-v[\d.]+-\w+\.v8cache$/),
    ]);
  });

  it("never uses a cache of another bundle, and keeps the newest few of each group", () => {
    const first = run();
    first.save();
    // the same length: V8's own check would accept the stale bytecode
    writeBundle(bundle, 42);
    const loaded = loadBundle(bundle, { dir: cache, group: "fs-mkfs" });
    expect((loaded.exports.main as () => number)()).toBe(42);
    expect(loaded.outcome).toBe("miss");
    expect(loaded.cacheFile).not.toBe(first.cacheFile);
    loaded.save();
    // both stay: two installs used in turn keep their own
    expect(readdirSync(cache).sort()).toEqual(
      [first.cacheFile!, loaded.cacheFile!].map((f) => f.slice(cache.length + 1)).sort(),
    );
    loadBundle(bundle, { dir: cache, group: "flash" }).save();
    for (const f of readdirSync(cache)) utimesSync(join(cache, f), 1e6, 1e6);
    const written: string[] = [];
    for (let v = 50; v < 50 + CACHES_PER_GROUP + 2; v++) {
      writeBundle(bundle, v);
      const l = loadBundle(bundle, { dir: cache, group: "fs-mkfs" });
      l.save();
      // distinct modification times in the order written (a fast machine may give equal ones)
      utimesSync(l.cacheFile!, 2e6 + v, 2e6 + v);
      written.push(l.cacheFile!.slice(cache.length + 1));
    }
    const left = readdirSync(cache);
    expect(left.filter((f) => f.startsWith("fs-mkfs-")).sort()).toEqual(
      written.slice(-CACHES_PER_GROUP).sort(),
    );
    expect(left.filter((f) => f.startsWith("flash-"))).toHaveLength(1);
  });

  it.each([
    ["a flipped payload bit", (b: Buffer) => b.with(b.length - 5, b[b.length - 5]! ^ 0x10)],
    ["a torn file", (b: Buffer) => b.subarray(0, b.length >> 1)],
    ["an empty file", () => Buffer.alloc(0)],
    ["another format", (b: Buffer) => b.with(4, 9)],
  ])("treats %s as corrupt, runs from source and rewrites it", (_, damage) => {
    const first = run();
    first.save();
    const file = first.cacheFile!;
    writeFileSync(file, damage(readFileSync(file)));
    const loaded = run();
    expect(loaded.outcome).toBe("corrupt");
    expect(loaded.save()).toBe(true);
    expect(run().outcome).toBe("hit");
  });

  it("reads a bundle that is not all ASCII as UTF-8", () => {
    writeFileSync(bundle, wrapBundle(Buffer.from('"use strict";\nexports.main = () => "µs 名前";\n')));
    const loaded = loadBundle(bundle, { dir: null, group: "top" });
    expect((loaded.exports.main as () => string)()).toBe("µs 名前");
  });

  it("refuses a file that is not a wrapped bundle, naming the fix", () => {
    writeFileSync(bundle, '"use strict";\nexports.main = () => 41;\n');
    expect(() => loadBundle(bundle, { dir: null, group: "top" })).toThrow(
      /not a wrapped flashbak bundle.*npm run build/,
    );
  });

  it("keeps the module's own line numbers in stack traces", () => {
    writeFileSync(
      bundle,
      wrapBundle(Buffer.from('"use strict";\n\nexports.main = () => new Error("x").stack;\n')),
    );
    const loaded = loadBundle(bundle, { dir: null, group: "top" });
    expect((loaded.exports.main as () => string)()).toContain(`${bundle}:3:`);
  });

  it("runs without a cache when it is off", () => {
    const loaded = loadBundle(bundle, { dir: null, group: "top" });
    expect(loaded.outcome).toBe("off");
    expect(loaded.cacheFile).toBeNull();
    expect(loaded.save()).toBe(false);
  });

  it("frames its payload with magic, format, length and CRC", () => {
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    const file = encodeCacheFile(payload);
    expect(file.subarray(0, 4).toString("latin1")).toBe("FBCC");
    expect(file.readUInt32LE(4)).toBe(1);
    expect(file.readUInt32LE(8)).toBe(5);
    expect(decodeCacheFile(file)).toEqual(payload);
    expect(decodeCacheFile(Buffer.concat([file, Buffer.from([0])]))).toBeNull();
  });
});

describe("where the cache lives", () => {
  it.each([
    [["fs", "mkfs", "usr.img", "tree"], "fs-mkfs"],
    [["fs", "mkfs", "--help"], "fs-mkfs"],
    [["flash", "--port", "/dev/ttyUSB0", "pkg.fbpkg"], "flash"],
    [["--help"], "top"],
    [[], "top"],
    [["station", "./units.csv"], "station"],
    [["FS", "ls"], "top"],
  ])("groups %j as %s", (argv, group) => {
    expect(commandGroup(argv)).toBe(group);
  });

  it("follows FLASHBAK_COMPILE_CACHE, and turns off for 0, off or empty", () => {
    expect(cacheDirFromEnv({ FLASHBAK_COMPILE_CACHE: cache })).toBe(cache);
    for (const v of ["0", "off", "OFF", ""])
      expect(cacheDirFromEnv({ FLASHBAK_COMPILE_CACHE: v })).toBeNull();
    expect(cacheDirFromEnv({ XDG_CACHE_HOME: dir })).toBe(join(dir, "flashbak"));
  });

  it.skipIf(process.platform === "win32")("refuses a directory others can write to", () => {
    expect(usableDir(cache)).toBe(true);
    chmodSync(cache, 0o777);
    expect(usableDir(cache)).toBe(false);
    expect(cacheDirFromEnv({ FLASHBAK_COMPILE_CACHE: cache })).toBeNull();
    writeFileSync(join(dir, "plain"), "");
    expect(usableDir(join(dir, "plain"))).toBe(false);
  });
});
