/** The host side of mkfs/put: the walk (order, types, skipped entries) and the reusing reader. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostFileReader, checkNames, hostSize, walkHostDir } from "../../../tools/fs-image/host-tree.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flashbak-host-tree-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe("walkHostDir", () => {
  it("lists directories before their contents, in littlefs name order, and skips links", () => {
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "b", "z"), "z");
    writeFileSync(join(dir, "b", "a"), "a");
    writeFileSync(join(dir, "ab"), "x");
    writeFileSync(join(dir, "a"), "y");
    symlinkSync(join(dir, "a"), join(dir, "link"));
    const t = walkHostDir(dir);
    expect(t.entries.map((e) => [e.rel, e.type])).toEqual([
      // littlefs compares the common prefix, then puts the longer name first
      ["ab", "file"],
      ["a", "file"],
      ["b", "dir"],
      ["b/a", "file"],
      ["b/z", "file"],
    ]);
    expect(t.entries[2]!.host).toBe(join(dir, "b"));
    expect(t.skipped).toEqual(["link"]);
  });

  it.each([
    ["as given", (d: string) => d],
    ["with a trailing separator", (d: string) => d + sep],
    ["with a doubled separator inside", (d: string) => join(d, "..") + sep + sep + basename(d)],
    ["relative to the working directory", (d: string) => relative(process.cwd(), d)],
  ])("gives every entry the host path path.join would, root %s", (_what, spell) => {
    mkdirSync(join(dir, "d", "e"), { recursive: true });
    writeFileSync(join(dir, "d", "e", "f"), "f");
    const root = spell(dir);
    const t = walkHostDir(root);
    expect(t.entries.map((e) => e.host)).toEqual(t.entries.map((e) => join(root, ...e.rel.split("/"))));
  });
});

describe("checkNames", () => {
  it.each([
    ["85 three-byte characters (255 bytes)", "\u4e2d".repeat(85), true],
    ["86 three-byte characters (258 bytes)", "\u4e2d".repeat(86), false],
    ["63 four-byte characters (252 bytes)", "\u{1f600}".repeat(63), true],
    ["64 four-byte characters (256 bytes)", "\u{1f600}".repeat(64), false],
    ["255 ASCII characters", "x".repeat(255), true],
    ["256 ASCII characters", "x".repeat(256), false],
  ])("holds names to name_max 255 in UTF-8 bytes: %s", (_what, name, ok) => {
    const check = (): void => checkNames([`dir/${name}`], 255);
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(expect.objectContaining({ lfs: "NAMETOOLONG" }));
  });
});

describe("HostFileReader", () => {
  it("reads files of any size into one reused buffer", () => {
    const sizes = [0, 10, 64 * 1024, 64 * 1024 + 1, 300_000, 5];
    sizes.forEach((n, i) => writeFileSync(join(dir, `f${i}`), fill(n, i)));
    const r = new HostFileReader();
    const views = sizes.map((n, i) => {
      const v = r.read(join(dir, `f${i}`));
      expect(v).toEqual(fill(n, i));
      return v;
    });
    // after growing to the largest file, later reads land in the same memory
    expect(views[5]!.buffer).toBe(views[4]!.buffer);
  });

  it("names a missing file, and a directory given as a file", () => {
    const r = new HostFileReader();
    expect(() => r.read(join(dir, "nope"))).toThrow(expect.objectContaining({ code: "FILE_NOT_FOUND" }));
    mkdirSync(join(dir, "d"));
    expect(() => r.read(join(dir, "d"))).toThrow(
      expect.objectContaining({ code: "USAGE", message: expect.stringMatching(/is a directory/) }),
    );
  });
});

describe("hostSize", () => {
  it("follows a link as reading does, and is 0 for what cannot be stat'ed", () => {
    writeFileSync(join(dir, "big"), fill(200_000, 1));
    symlinkSync(join(dir, "big"), join(dir, "link"));
    expect(hostSize(join(dir, "link"))).toBe(200_000);
    expect(hostSize(join(dir, "missing"))).toBe(0);
  });
});
