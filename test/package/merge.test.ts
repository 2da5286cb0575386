import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FlashbakError } from "../../firmware-sim/errors.js";
import { readFile } from "../../firmware-sim/fs/fs-util.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { sha256 } from "../../firmware-sim/package/codec.js";
import { crc32 } from "../../firmware-sim/package/file-crc32.js";
import { TRAILER_SIZE, partitionByMount } from "../../firmware-sim/package/format.js";
import { inspectPackage, verifyFailures } from "../../firmware-sim/package/inspect.js";
import { mountLittlefsImage } from "../../firmware-sim/package/lfs-image.js";
import type { ProjectManifest } from "../../firmware-sim/package/manifest.js";
import { EMPTY_MANIFEST } from "../../firmware-sim/package/manifest.js";
import type { MergeOptions } from "../../firmware-sim/package/merge.js";
import { mergeProject } from "../../firmware-sim/package/merge.js";
import type { ProjectFile } from "../../firmware-sim/package/merge-plan.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { writePackage } from "../../firmware-sim/package/writer.js";

const root = join(import.meta.dirname, "../..");
const baseU = new Uint8Array(readFileSync(join(root, "images/ec600u.fbpkg")));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const files: ProjectFile[] = [
  { path: "main.py", data: enc("import app\napp.run()\n") },
  { path: "app.py", data: enc("def run():\n    print('hi')\n") },
  { path: "cfg/net.json", data: enc('{"apn": "internet"}') },
  { path: "assets/logo.bin", data: noise(9000, 3) },
];
const manifest: ProjectManifest = { ...EMPTY_MANIFEST, backup: ["main.py", "app.py", "cfg/*.json"] };
const opts: MergeOptions = { manifest, projectName: "t" };

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as FlashbakError).code}: ${(e as Error).message}`;
  }
  return "no error";
}

function reseal(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(16, crc32(bytes.subarray(0, 16)), true);
  bytes.set(sha256(bytes.subarray(0, bytes.length - TRAILER_SIZE)), bytes.length - TRAILER_SIZE);
  return bytes;
}

describe("mergeProject", () => {
  it("is reproducible: same inputs give the same bytes, whatever the file order", () => {
    const a = mergeProject(baseU, files, opts).bytes;
    const b = mergeProject(baseU, [...files].reverse(), opts).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("records a timestamp only when asked, and the overrides", () => {
    const plain = mergeProject(baseU, files, opts).package.header;
    expect(plain.build.timestamp).toBeUndefined();
    const r = mergeProject(baseU, files, {
      ...opts,
      timestamp: "2026-11-24T00:00:00.000Z",
      firmwareVersion: "V0042",
      restoreMode: "hardened",
    });
    const back = readPackage(r.bytes).header;
    expect([back.build.timestamp, back.firmwareVersion, back.restoreMode]).toEqual([
      "2026-11-24T00:00:00.000Z",
      "V0042",
      "hardened",
    ]);
    const m = mergeProject(baseU, files, {
      ...opts,
      manifest: { ...manifest, firmwareVersion: "M1", restoreMode: "hardened" },
    });
    expect([m.package.header.firmwareVersion, m.package.header.restoreMode]).toEqual(["M1", "hardened"]);
  });

  it("builds images of exactly the partition sizes that mount with the board's config and verify clean", () => {
    const r = mergeProject(baseU, files, opts);
    const pkg = readPackage(r.bytes, { board: "ec600u" });
    for (const mount of ["/usr", "/bak"]) {
      const p = partitionByMount(pkg, mount)!;
      expect(p.image.length).toBe(p.size);
    }
    const usr = mountLittlefsImage(boards.ec600u!.littlefs, partitionByMount(pkg, "/usr")!.image);
    expect(Buffer.from(readFile(usr, "/assets/logo.bin")).equals(Buffer.from(files[3]!.data))).toBe(true);
    const bak = mountLittlefsImage(boards.ec600u!.littlefs, partitionByMount(pkg, "/bak")!.image);
    expect(new TextDecoder().decode(readFile(bak, "/backup_restore.json"))).toBe('{"enable": 1}');
    expect(
      bak
        .readdir("/usr")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["app.py", "cfg", "main.py"]);
    expect(verifyFailures(inspectPackage(r.bytes))).toEqual([]);
  });

  it("leaves every partition other than /usr and /bak exactly as in the base", () => {
    const base = readPackage(baseU);
    const merged = readPackage(mergeProject(baseU, files, opts).bytes);
    for (const p of base.partitions.filter((x) => x.type !== "littlefs")) {
      const q = merged.partitions.find((x) => x.name === p.name)!;
      expect(Buffer.from(q.image).equals(Buffer.from(p.image))).toBe(true);
    }
  });

  it("says by how many bytes each partition is short when the project does not fit", () => {
    const big: ProjectFile[] = Array.from({ length: 30 }, (_, i) => ({
      path: `blob${i}.bin`,
      data: noise(16 * 1024, i + 1),
    }));
    const msg = failure(() =>
      mergeProject(baseU, big, {
        manifest: { ...EMPTY_MANIFEST, backup: ["blob*.bin"] },
        projectName: "big",
      }),
    );
    expect(msg).toMatch(
      /^MERGE_NO_SPACE: the project does not fit: customer_fs needs about \d+ bytes but has 393216 \(\d+ bytes short\); customer_backup_fs needs about \d+ bytes but has 131072 \(\d+ bytes short\)/,
    );
    const onlyBak = failure(() =>
      mergeProject(baseU, big.slice(0, 12), {
        manifest: { ...EMPTY_MANIFEST, backup: ["blob*.bin"] },
        projectName: "b",
      }),
    );
    expect(onlyBak).toMatch(/^MERGE_NO_SPACE: the project does not fit: customer_backup_fs needs about/);
    expect(onlyBak).not.toMatch(/customer_fs needs/);
  });

  it.each([
    ["truncated", (b: Uint8Array) => b.slice(0, b.length - 100), /^PKG_TRUNCATED/],
    [
      "bit flip (package SHA-256)",
      (b: Uint8Array) => ((b[5000] ^= 1), b),
      /^PKG_CORRUPT: .*package sha256 mismatch/,
    ],
    [
      "image changed and resealed (partition CRC)",
      (b: Uint8Array) => {
        const at = Buffer.from(b).indexOf(Buffer.from("FLASHBAK SYNTHETIC FIRMWARE"));
        b[at + 40] ^= 0xff;
        return reseal(b);
      },
      /^PKG_CORRUPT: .*partition firmware crc32 mismatch/,
    ],
    [
      "unknown version",
      (b: Uint8Array) => (new DataView(b.buffer).setUint16(8, 9, true), reseal(b)),
      /^PKG_VERSION: package format version 9/,
    ],
    ["not a package", () => enc("PK\x03\x04 a zip file"), /^PKG_CORRUPT: .*not a flashbak package/],
  ])("refuses a base package that is %s", (_n, damage, want) => {
    expect(failure(() => mergeProject(damage(baseU.slice()), files, opts))).toMatch(want);
  });

  it("refuses a base for another board", () => {
    const baseS = new Uint8Array(readFileSync(join(root, "images/ec600s.fbpkg")));
    expect(
      failure(() => mergeProject(baseS, files, { ...opts, manifest: { ...manifest, board: "ec600u" } })),
    ).toMatch(/^PKG_BOARD: package is for board "ec600s", not "ec600u"/);
    const pkg = readPackage(baseU);
    const alien = writePackage({ ...pkg, header: { ...pkg.header, board: "bg95" } });
    expect(failure(() => mergeProject(alien, files, opts))).toMatch(
      /^PKG_BOARD: .*"bg95", which this flashbak does not know/,
    );
  });

  it("merges the same project for ec600s with its larger /usr", () => {
    const baseS = new Uint8Array(readFileSync(join(root, "images/ec600s.fbpkg")));
    const r = mergeProject(baseS, files, opts);
    expect(r.board.id).toBe("ec600s");
    expect(partitionByMount(r.package, "/usr")!.image.length).toBe(5 << 20);
  });
});
