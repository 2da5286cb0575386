/**
 * `flashbak fs` as a user meets it, in-process through the CLI harness: every subcommand, its
 * --help, its --json, the exit codes of tools/exit-codes.ts, read-only commands that never
 * touch the image file, and mutating commands that leave it intact when they fail.
 */
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../tools/exit-codes.js";
import { bytes, cleanup, fs, fsJson, tempDir, writeTree } from "./helpers.js";

afterAll(cleanup);

let img = "";
let src = "";

beforeAll(async () => {
  src = tempDir();
  writeTree(src, {
    "main.py": new TextEncoder().encode("print(1)\n"),
    "lib/util.py": new TextEncoder().encode("X = 1\n"),
    "lib/sub/deep.bin": bytes(9000, 3),
    "logs/a.log": bytes(100, 4),
    empty: "dir",
  });
  img = join(tempDir(), "base.img");
  const r = await fs("mkfs", img, src, "--image-size", "256K");
  expect(r.code).toBe(0);
});

/** A private copy of the base image (tests change images). */
function copyImage(): string {
  const p = join(tempDir(), "work.img");
  writeFileSync(p, readFileSync(img));
  return p;
}

/** Bytes and mtime of a file, with the mtime moved to the past so a rewrite would show. */
function snapshot(path: string): { data: Buffer; mtimeMs: number } {
  utimesSync(path, new Date(2020, 0, 1), new Date(2020, 0, 1));
  return { data: readFileSync(path), mtimeMs: statSync(path).mtimeMs };
}
function expectUnchanged(path: string, before: { data: Buffer; mtimeMs: number }): void {
  expect(Buffer.compare(readFileSync(path), before.data)).toBe(0);
  expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
  // no temporary file left beside it
  expect(readdirSync(dirname(path)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
}

const subcommands = ["mkfs", "ls", "cat", "get", "put", "rm", "mv", "mkdir", "info", "check", "format"];

describe("help", () => {
  it.each(subcommands)("fs %s --help describes its options and has examples", async (cmd) => {
    const r = await fs(cmd, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`flashbak fs ${cmd}`);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--block-size");
    expect(r.stdout).toContain("--preset");
    // every option line carries a description, not just its type
    for (const line of r.stdout.split("\n").filter((l) => /^\s+(-\w, )?--[a-z-]+\s+\[/.test(l))) {
      throw new Error(`option without a description: ${line}`);
    }
  });
  it("fs --help lists every subcommand", async () => {
    const r = await fs("--help");
    expect(r.code).toBe(0);
    for (const c of subcommands) expect(r.stdout).toContain(`flashbak fs ${c}`);
  });
});

describe("read-only commands never write the image", () => {
  const cases: Array<[string, (p: string, out: string) => string[]]> = [
    ["ls", (p) => ["ls", p, "-lR", "--crc32"]],
    ["cat", (p) => ["cat", p, "/main.py"]],
    ["get", (p, out) => ["get", p, out]],
    ["info", (p) => ["info", p]],
    ["check", (p) => ["check", p]],
  ];
  it.each(cases)("%s", async (_n, args) => {
    const p = copyImage();
    const before = snapshot(p);
    const r = await fs(...args(p, join(tempDir(), "out")));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectUnchanged(p, before);
  });
});

describe("mutating commands are atomic", () => {
  const failing: Array<[string, (p: string) => string[], number]> = [
    ["put that does not fit", (p) => ["put", p, join(src, "..", "big.bin")], ExitCode.NO_SPACE],
    ["rm of a missing path", (p) => ["rm", p, "/nope"], ExitCode.NOT_FOUND],
    ["rm of a non-empty dir without -r", (p) => ["rm", p, "/lib"], ExitCode.USAGE],
    ["mkdir with a too-long name", (p) => ["mkdir", p, "/" + "n".repeat(256)], ExitCode.USAGE],
    ["mv into itself", (p) => ["mv", p, "/lib", "/lib/sub"], ExitCode.USAGE],
    ["mkdir over a file", (p) => ["mkdir", p, "/main.py/x", "-p"], ExitCode.USAGE],
  ];
  beforeAll(() => writeFileSync(join(src, "..", "big.bin"), bytes(400_000, 9)));
  it.each(failing)("%s leaves the image as it was", async (_n, args, code) => {
    const p = copyImage();
    const before = snapshot(p);
    const r = await fs(...args(p));
    expect(r.code).toBe(code);
    expectUnchanged(p, before);
  });

  it("NOSPC says how many bytes did not fit", async () => {
    const p = copyImage();
    const r = await fsJson<{ error: string; message: string; details: { notFit: number } }>(
      "put",
      p,
      join(src, "..", "big.bin"),
    );
    expect(r.code).toBe(ExitCode.NO_SPACE);
    expect(r.out.error).toBe("LFS_NOSPC");
    expect(r.out.message).toMatch(/400000 of 400000 bytes did not fit/);
    expect(r.out.details.notFit).toBe(400_000);
  });

  it("mkfs that does not fit creates no file", async () => {
    const out = join(tempDir(), "none.img");
    const r = await fs("mkfs", out, src, "--image-size", "16K");
    expect(r.code).toBe(ExitCode.NO_SPACE);
    expect(r.stderr).toMatch(/did not fit/);
    expect(existsSync(out)).toBe(false);
  });

  it("mkfs onto a directory says so before packing anything", async () => {
    const dir = tempDir();
    const r = await fs("mkfs", dir, src, "--image-size", "16K");
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/is a directory/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("mkfs that fails over an existing image leaves it, and no temporary file, behind", async () => {
    const dir = tempDir();
    const out = join(dir, "old.img");
    const old = new Uint8Array(16 * 1024).fill(0x5a);
    writeFileSync(out, old);
    const r = await fs("mkfs", out, src, "--block-size", "4096");
    expect(r.code).toBe(ExitCode.NO_SPACE);
    expect(new Uint8Array(readFileSync(out))).toEqual(old);
    expect(readdirSync(dir)).toEqual(["old.img"]);
  });
});

describe("subcommands", () => {
  it("ls: names, -l columns and a single file", async () => {
    const r = await fs("ls", img);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual(["empty/", "lib/", "logs/", "main.py"]);
    const l = await fs("ls", img, "/lib", "-l");
    expect(l.stdout).toMatch(/^d +0 +0 {2}sub\/$/m);
    expect(l.stdout).toMatch(/^- +6 +0 {2}util\.py$/m);
    const f = await fsJson<unknown[]>("ls", img, "/lib/sub/deep.bin");
    expect(f.out).toEqual([{ path: "/lib/sub/deep.bin", name: "deep.bin", type: "file", size: 9000 }]);
  });

  it("put: a file into an existing directory, and replacing a file", async () => {
    const p = copyImage();
    const host = join(tempDir(), "note.txt");
    writeFileSync(host, "v1");
    expect((await fs("put", p, host, "/logs")).code).toBe(0);
    writeFileSync(host, "version 2");
    expect((await fs("put", p, host, "/logs/note.txt")).code).toBe(0);
    expect((await fs("cat", p, "/logs/note.txt")).stdout).toBe("version 2");
  });

  it("rm -r, mv into a directory, mkdir -p", async () => {
    const p = copyImage();
    const rm = await fsJson<{ files: number; dirs: number }>("rm", p, "/lib", "-r");
    expect(rm.out).toMatchObject({ removed: "/lib", files: 2, dirs: 2 });
    expect((await fs("mv", p, "/main.py", "/logs")).stdout).toContain("/logs/main.py");
    expect((await fs("mkdir", p, "/a/b/c", "-p")).code).toBe(0);
    expect((await fs("mkdir", p, "/a/b/c", "-p")).code).toBe(0);
    const ls = await fsJson<Array<{ path: string }>>("ls", p, "-R");
    expect(ls.out.map((e) => e.path)).toEqual([
      "/a",
      "/a/b",
      "/a/b/c",
      "/empty",
      "/logs",
      "/logs/a.log",
      "/logs/main.py",
    ]);
    expect((await fs("check", p)).code).toBe(0);
  });

  it("info: text and JSON", async () => {
    const t = await fs("info", img);
    expect(t.stdout).toMatch(/^block size: +4096 \(detected\)$/m);
    expect(t.stdout).toMatch(/^block count: +64$/m);
    const j = await fsJson<{ blockCount: number; diskVersion: string; blocksUsed: number }>("info", img);
    expect(j.out).toMatchObject({ blockCount: 64, diskVersion: "2.1" });
    expect(j.out.blocksUsed).toBeGreaterThan(2);
  });

  it("check --json on a clean image", async () => {
    const r = await fsJson<{ ok: boolean; files: number; dirs: number }>("check", img);
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ ok: true, files: 4, dirs: 5 });
  });

  it("format over an existing file keeps its size and empties it", async () => {
    const p = copyImage();
    expect((await fs("format", p)).code).toBe(0);
    expect(statSync(p).size).toBe(256 * 1024);
    expect((await fsJson<unknown[]>("ls", p)).out).toEqual([]);
  });

  it("--board gives the board's /usr size and configuration", async () => {
    const p = join(tempDir(), "ec600u.img");
    const r = await fsJson<{ imageSize: number; blockSize: number }>("format", p, "--board", "ec600u");
    expect(r.out).toMatchObject({ imageSize: 384 * 1024, blockSize: 4096 });
    expect((await fs("ls", p, "--board", "ec600u")).code).toBe(0);
  });
});

describe("errors and exit codes", () => {
  let notLfs = "";
  let truncated = "";
  beforeAll(() => {
    notLfs = join(tempDir(), "random.bin");
    writeFileSync(notLfs, bytes(64 * 1024, 5));
    truncated = join(tempDir(), "cut.img");
    writeFileSync(truncated, readFileSync(img).subarray(0, 4096 + 2048));
  });
  const cases: Array<[string, () => string[], number, RegExp]> = [
    ["missing image", () => ["ls", join(tempDir(), "nope.img")], ExitCode.NOT_FOUND, /does not exist/],
    ["not littlefs", () => ["ls", notLfs], ExitCode.CORRUPT, /no "littlefs" magic at byte 8 of block 0/],
    [
      "block size mismatch",
      () => ["ls", img, "--block-size", "512"],
      ExitCode.CORRUPT,
      /superblock says 4096/,
    ],
    ["truncated image", () => ["info", truncated], ExitCode.CORRUPT, /4096|blocks/],
    ["missing path", () => ["cat", img, "/nope.py"], ExitCode.NOT_FOUND, /no such file/],
    ["cat of a directory", () => ["cat", img, "/lib"], ExitCode.USAGE, /is a directory/],
    ["mkdir of an existing dir", () => ["mkdir", copyImage(), "/lib"], ExitCode.USAGE, /exists/],
    [
      "name too long names the limit",
      () => ["mkdir", copyImage(), "/" + "x".repeat(300)],
      ExitCode.USAGE,
      /name_max of 255/,
    ],
    [
      "missing host source",
      () => ["put", copyImage(), join(tempDir(), "nope")],
      ExitCode.NOT_FOUND,
      /does not exist/,
    ],
    ["new image without a size", () => ["format", join(tempDir(), "n.img")], ExitCode.USAGE, /needs a size/],
    [
      "bad image size",
      () => ["format", join(tempDir(), "n.img"), "--image-size", "10000"],
      ExitCode.USAGE,
      /whole number/,
    ],
    [
      "preset and board together",
      () => ["ls", img, "--preset", "micropython", "--board", "ec600u"],
      ExitCode.USAGE,
      /./,
    ],
    ["rm of the root", () => ["rm", copyImage(), "/", "-r"], ExitCode.USAGE, /root/],
  ];
  it.each(cases)("%s", async (_n, args, code, message) => {
    const r = await fs(...args());
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("--json errors carry the code", async () => {
    const r = await fsJson<{ error: string }>("ls", join(tempDir(), "nope.img"));
    expect(r.code).toBe(ExitCode.NOT_FOUND);
    expect(r.out.error).toBe("IMAGE_NOT_FOUND");
  });

  it("an image whose magic is in block 1 only is still found", async () => {
    const p = copyImage();
    const data = readFileSync(p);
    data.fill(0xff, 0, 4096);
    writeFileSync(p, data);
    const r = await fsJson<{ blockSize: number }>("info", p);
    expect(r.code).toBe(0);
    expect(r.out.blockSize).toBe(4096);
  });
});
