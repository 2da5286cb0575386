/**
 * Property test: random projects (names with non-ASCII characters, nested directories, sizes
 * from 1 byte to several blocks, random backup selections) merged into both bases come back
 * byte for byte from the /usr and /bak images, and every checksum.json entry verifies.
 * Seeded, so a failure names a reproducible case.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFile, walk } from "../../firmware-sim/fs/fs-util.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { partitionByMount } from "../../firmware-sim/package/format.js";
import { inspectPackage, verifyFailures } from "../../firmware-sim/package/inspect.js";
import { mountLittlefsImage } from "../../firmware-sim/package/lfs-image.js";
import { EMPTY_MANIFEST } from "../../firmware-sim/package/manifest.js";
import { mergeProject } from "../../firmware-sim/package/merge.js";
import type { ProjectFile } from "../../firmware-sim/package/merge-plan.js";

const root = join(import.meta.dirname, "../..");
const NAMES = ["main", "app", "cfg", "données", "设置", "x", "long_module_name", "Ω", "a-b", "data_1"];
const EXTS = [".py", ".json", ".bin", ".txt", ""];

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function randomProject(seed: number): { files: ProjectFile[]; backup: string[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const files = new Map<string, ProjectFile>();
  const dirs = new Set<string>();
  const count = 1 + Math.floor(r() * 25);
  while (files.size < count) {
    const depth = Math.floor(r() * 3);
    const parts = Array.from({ length: depth }, () => pick(NAMES));
    const path = [...parts, `${pick(NAMES)}${files.size}${pick(EXTS)}`].join("/");
    // A name cannot be both a file and a directory.
    if (dirs.has(path) || parts.some((_, i) => files.has(parts.slice(0, i + 1).join("/")))) continue;
    parts.forEach((_, i) => dirs.add(parts.slice(0, i + 1).join("/")));
    const size = 1 + Math.floor(r() ** 3 * 12_000);
    files.set(path, { path, data: new Uint8Array(size).map(() => Math.floor(r() * 256)) });
  }
  const list = [...files.values()];
  const backup = list.filter(() => r() < 0.4).map((f) => f.path.replace(/[*?[\]\\]/g, "\\$&"));
  return { files: list, backup };
}

describe.each(["ec600u", "ec600s"])("merge round trip on %s", (boardId) => {
  const base = new Uint8Array(readFileSync(join(root, `images/${boardId}.fbpkg`)));
  const lfs = boards[boardId]!.littlefs;

  it.each(Array.from({ length: 8 }, (_, i) => 1000 + i))(
    "seed %i: every file comes back and verifies",
    (seed) => {
      const { files, backup } = randomProject(seed);
      const r = mergeProject(base, files, {
        manifest: { ...EMPTY_MANIFEST, backup },
        projectName: `seed${seed}`,
      });
      const usr = mountLittlefsImage(lfs, partitionByMount(r.package, "/usr")!.image);
      const bak = mountLittlefsImage(lfs, partitionByMount(r.package, "/bak")!.image);
      for (const f of files) {
        expect(Buffer.from(readFile(usr, `/${f.path}`)).equals(Buffer.from(f.data))).toBe(true);
      }
      const backedUp = new Set(backup.map((b) => b.replace(/\\(.)/g, "$1")));
      for (const f of files.filter((x) => backedUp.has(x.path))) {
        expect(Buffer.from(readFile(bak, `/usr/${f.path}`)).equals(Buffer.from(f.data))).toBe(true);
      }
      const usrCount = walk(usr).filter((e) => e.type === "file").length;
      expect(usrCount).toBe(files.length + (backedUp.size > 0 ? 1 : 0));
      const report = inspectPackage(r.bytes);
      expect(verifyFailures(report)).toEqual([]);
      expect(report.backupEnabled).toBe(backedUp.size > 0);
      expect(report.checksums[0]!.entries.length).toBe(backedUp.size);
    },
  );
});
