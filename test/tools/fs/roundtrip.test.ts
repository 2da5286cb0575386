/**
 * mkfs -> ls / get round trips: what goes in comes out, byte for byte, with the tree's shape
 * (empty files, empty and nested directories, UTF-8 and spaced names, inline-size edges,
 * multi-block and 1 MiB files), under several configurations.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareNames } from "../../../firmware-sim/fs/path.js";
import {
  bytes,
  cleanup,
  digestTree,
  fs,
  fsJson,
  readTree,
  tempDir,
  writeTree,
  type Tree,
} from "./helpers.js";

afterAll(cleanup);

const tree: Tree = {
  "empty.txt": new Uint8Array(0),
  "main.py": new TextEncoder().encode("print('hello')\n"),
  "inline63.bin": bytes(63, 1),
  "inline64.bin": bytes(64, 2),
  "inline65.bin": bytes(65, 3),
  "big/one-mib.bin": bytes(1 << 20, 4),
  "big/blocky.bin": bytes(3 * 4096 + 17, 5),
  "a/b/c/d/e/f/deep.txt": new TextEncoder().encode("deep\n"),
  "empty-dir": "dir",
  "数据/配置.json": new TextEncoder().encode('{"ключ": "значение"}'),
  "name with spaces.txt": bytes(10, 6),
  "order/aa": bytes(1, 7),
  "order/ab": bytes(2, 8),
  "order/abc": bytes(3, 9),
  "order/a": bytes(4, 10),
};

interface Row {
  path: string;
  type: "file" | "dir";
  size?: number;
}

/** Every path of the tree, including implied parent directories, as ls -R --json shows them. */
function expectedListing(t: Tree): Row[] {
  const rows = new Map<string, Row>();
  for (const [rel, v] of Object.entries(t)) {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = "/" + parts.slice(0, i).join("/");
      rows.set(p, { path: p, type: "dir" });
    }
    const p = "/" + rel;
    rows.set(p, v === "dir" ? { path: p, type: "dir" } : { path: p, type: "file", size: v.length });
  }
  // littlefs order within each directory, depth first
  const byPath = (a: string, b: string): number => {
    const x = a.split("/").slice(1);
    const y = b.split("/").slice(1);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return compareNames(x[i]!, y[i]!);
    }
    return x.length - y.length;
  };
  return [...rows.values()].sort((a, b) => byPath(a.path, b.path));
}

describe("mkfs then ls and get give back the source tree", () => {
  const configs: Array<[string, string[]]> = [
    ["reference, 4 KiB blocks", ["--image-size", "2M"]],
    ["micropython preset", ["--image-size", "2M", "--preset", "micropython"]],
    ["esp-idf preset, 2.0 format", ["--image-size", "2M", "--preset", "esp-idf", "--disk-version", "2.0"]],
    [
      "512-byte blocks, erase 0x00",
      ["--block-size", "512", "--block-count", "4096", "--erase-value", "0x00"],
    ],
    ["ec600s board", ["--board", "ec600s"]],
  ];
  it.each(configs)("%s", async (_name, opts) => {
    const src = tempDir();
    writeTree(src, tree);
    const img = join(tempDir(), "t.img");
    const made = await fsJson<{ files: number; dirs: number; bytes: number }>("mkfs", img, src, ...opts);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.out.files).toBe(Object.values(tree).filter((v) => v !== "dir").length);

    const ls = await fsJson<Row[]>("ls", img, "-R");
    expect(ls.code).toBe(0);
    expect(
      ls.out.map((r) =>
        r.type === "dir" ? { path: r.path, type: r.type } : { path: r.path, type: r.type, size: r.size },
      ),
    ).toEqual(expectedListing(tree));

    const out = join(tempDir(), "out");
    const got = await fs("get", img, out);
    expect(got.code).toBe(0);
    expect(digestTree(readTree(out))).toEqual(digestTree(readTree(src)));

    const check = await fs("check", img);
    expect(check.code).toBe(0);
  });

  it("put then get of a sub-tree round-trips through a destination directory", async () => {
    const src = tempDir();
    writeTree(src, tree);
    const img = join(tempDir(), "p.img");
    expect((await fs("format", img, "--image-size", "2M")).code).toBe(0);
    expect((await fs("put", img, src, "/x/y")).code).toBe(0);
    const out = tempDir();
    expect((await fs("get", img, out, "/x/y")).code).toBe(0);
    expect(digestTree(readTree(join(out, "y")))).toEqual(digestTree(readTree(src)));
  });

  it("cat returns a file's exact bytes (checked through --json base64)", async () => {
    const src = tempDir();
    writeTree(src, tree);
    const img = join(tempDir(), "c.img");
    await fs("mkfs", img, src, "--image-size", "2M");
    for (const rel of ["big/one-mib.bin", "inline64.bin", "empty.txt", "数据/配置.json"]) {
      const r = await fsJson<{ size: number; base64: string }>("cat", img, "/" + rel);
      expect(r.code).toBe(0);
      const back = Buffer.from(r.out.base64, "base64");
      expect(Buffer.compare(back, tree[rel] as Uint8Array)).toBe(0);
    }
    const text = await fs("cat", img, "/main.py");
    expect(text.stdout).toBe("print('hello')\n");
  });
});
