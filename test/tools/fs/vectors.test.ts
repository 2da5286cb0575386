/**
 * `flashbak fs` against the reference vectors (../shared/vectors/littlefs): every image listed
 * with auto-detected geometry matches its manifest, info matches the superblock the reference
 * reported, and `format` writes the reference's exact bytes.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VECTOR_DIR, loadManifest, type VectorImage } from "../../littlefs/vectors.js";
import { cleanup, fs, fsJson, tempDir } from "./helpers.js";

const images = loadManifest();
afterAll(cleanup);

interface Row {
  path: string;
  type: "file" | "dir";
  size?: number;
  crc32?: string;
  attrs?: number;
}

const parsePair = (s: string): [number, number] => {
  const m = /\{0x([0-9a-f]+), 0x([0-9a-f]+)\}/i.exec(s);
  if (m === null) throw new Error(`bad pair ${s}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
};

describe("fs ls on the reference vectors (auto-detected geometry)", () => {
  it.each(images.map((i) => [i.file, i] as const))(
    "%s lists as its manifest",
    async (_n, img: VectorImage) => {
      const r = await fsJson<Row[]>("ls", resolve(VECTOR_DIR, img.file), "-R", "--crc32");
      expect(r.code).toBe(0);
      const got = r.out.map((e) =>
        e.type === "dir"
          ? { type: e.type, path: e.path }
          : { type: e.type, path: e.path, size: e.size, crc32: e.crc32 },
      );
      expect(got).toEqual(img.entries);
    },
  );

  it.each(images.map((i) => [i.file, i] as const))("%s: info matches the superblock", async (_n, img) => {
    const r = await fsJson<{
      diskVersionHex: string;
      blockSize: number;
      blockCount: number;
      nameMax: number;
      rootPair: [number, number];
      blockSizeDetected: boolean;
      eraseValue: string;
    }>("info", resolve(VECTOR_DIR, img.file));
    expect(r.code).toBe(0);
    expect(r.out.blockSizeDetected).toBe(true);
    expect(r.out.diskVersionHex).toBe(img.superblock.diskVersion);
    expect(r.out.blockSize).toBe(img.superblock.blockSize);
    expect(r.out.blockCount).toBe(img.superblock.blockCount);
    expect(r.out.nameMax).toBe(img.superblock.nameMax);
    expect(r.out.rootPair).toEqual(parsePair(img.superblock.rootPair));
    expect(r.out.eraseValue).toBe(img.params.opts.includes("-e") ? "0x00" : "0xff");
  });

  it.each(images.filter((i) => i.attrs).map((i) => [i.file, i] as const))(
    "%s: ls -l counts the user attributes",
    async (_n, img) => {
      for (const a of img.attrs!) {
        const r = await fsJson<Row[]>("ls", resolve(VECTOR_DIR, img.file), a.path, "-l");
        expect(r.out).toEqual([expect.objectContaining({ path: a.path, attrs: 1 })]);
      }
      const all = await fsJson<Row[]>("ls", resolve(VECTOR_DIR, img.file), "-lR");
      const withAttrs = all.out.filter((e) => (e.attrs ?? 0) > 0).map((e) => e.path);
      expect(withAttrs).toEqual(img.attrs!.map((a) => a.path));
    },
  );

  it.each(images.map((i) => [i.file] as const))("%s passes fs check", async (file) => {
    const r = await fs("check", resolve(VECTOR_DIR, file));
    expect(r.stdout).toMatch(/^ok:/m);
    expect(r.code).toBe(0);
  });
});

describe("fs format writes the reference's bytes", () => {
  const cases: Array<[string, string[]]> = [
    ["format-v21-p16.img", []],
    ["format-v20-p16.img", ["--disk-version", "2.0"]],
    ["format-mpy-p32.img", ["--preset", "micropython"]],
    ["format-esp-p128.img", ["--preset", "esp-idf"]],
    ["format-erase00.img", ["--erase-value", "0x00"]],
    [
      "format-mpy-p32.img",
      ["--read-size", "32", "--prog-size", "32", "--cache-size", "128", "--block-cycles", "100"],
    ],
  ];
  it.each(cases)("%s with %j", async (file, opts) => {
    const out = join(tempDir(), "f.img");
    const r = await fs("format", out, "--block-count", "128", ...opts);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Buffer.compare(readFileSync(out), readFileSync(resolve(VECTOR_DIR, file)))).toBe(0);
  });
});
