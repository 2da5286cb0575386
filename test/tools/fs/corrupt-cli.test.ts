/**
 * `flashbak fs` on damaged images: the read-only subcommands must end with a clear exit code
 * (0 ok, 1 check failed, 4 not found, 5 corrupt) and a message, never an internal error (70),
 * and `get` must never write outside its target directory. The damage comes from the
 * littlefs fuzz suite (test/littlefs-fuzz/cases.ts): crafted CRC-valid commits, truncation and
 * seeded bit flips of the reference images.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bitFlipCases,
  builtImages,
  craftedCases,
  randomCommitCases,
  truncationCases,
  vectorImages,
} from "../../littlefs-fuzz/cases.js";
import { cleanup, fs, tempDir } from "./helpers.js";

afterAll(cleanup);

const basic = vectorImages().find((i) => i.name === "basic-v21-p16.img")!;
const cases = [
  ...craftedCases(basic, { sub: "/cfg", deep: "/deep", ctzFile: "/data/blob.bin" }),
  ...truncationCases(basic).slice(0, 2),
  ...bitFlipCases(basic, 3),
];

describe("read-only subcommands on damaged images end cleanly", () => {
  it.each(cases.map((c) => [c.key, c] as const))("%s", async (_key, c) => {
    const data = c.build();
    if (data === undefined) return;
    const dir = tempDir();
    const img = join(dir, "bad.img");
    writeFileSync(img, data);
    const out = join(dir, "out");
    for (const args of [
      ["ls", img, "-R", "--crc32"],
      ["info", img],
      ["check", img],
      ["get", img, out],
    ]) {
      const r = await fs(...args);
      expect([0, 1, 4, 5], `${args[0]}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error/);
      if (r.code > 1) expect(r.stderr).toMatch(/^flashbak: /);
      if (r.code === 1) expect(r.stdout).toMatch(/^error: /m);
    }
    // get wrote nothing beside its target
    expect(readdirSync(dir).sort()).toEqual(
      readdirSync(dir).includes("out") ? ["bad.img", "out"] : ["bad.img"],
    );
  });
});

/** Inputs on which readdir once did not end (fixed in the library, 8df8b2b): regression cases. */
const readdirLoops = [
  "basic-b512.img random-commit 170",
  "sbexpand-v21-p16.img random-commit 200",
  "sbexpand-v21-p16.img random-commit 261",
];

describe("images on which the library's readdir once did not end", () => {
  const all = [...vectorImages(), ...builtImages()];
  const known = readdirLoops.map((key) => {
    const m = /^(\S+) random-commit (\d+)$/.exec(key);
    if (m === null) throw new Error(`unexpected known-issue key ${key}`);
    const im = all.find((i) => i.name === m[1])!;
    return randomCommitCases(im, Number(m[2]))[Number(m[2]) - 1]!;
  });
  it.each(known.map((c) => [c.key, c] as const))("%s: ls -R, check and get end", async (_key, c) => {
    const img = join(tempDir(), "loop.img");
    writeFileSync(img, c.build()!);
    // the CLI lists with its own bounded walk (tools/fs-image/guarded-readdir.ts): it ends,
    // showing the entries the damaged count still covers
    for (const args of [
      ["ls", img, "-R"],
      ["check", img],
      ["get", img, join(tempDir(), "out")],
    ]) {
      const r = await fs(...args);
      expect([0, 1, 5], `${args[0]}: ${r.stderr}`).toContain(r.code);
    }
  });
});
