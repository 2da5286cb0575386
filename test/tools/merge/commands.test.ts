/**
 * The package commands as a user runs them: merge, inspect, verify, export, every bad-input
 * class of merge with its exit code and no output left behind.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { crc32 } from "node:zlib";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boards } from "../../../firmware-sim/module/boards.js";
import { fileCrc32, formatCrc } from "../../../firmware-sim/package/file-crc32.js";
import { buildLittlefsImage } from "../../../firmware-sim/package/lfs-image.js";
import { readPackage } from "../../../firmware-sim/package/reader.js";
import { writePackage } from "../../../firmware-sim/package/writer.js";
import { ExitCode } from "../../../tools/exit-codes.js";
import { runCli } from "../cli-harness.js";

const repo = join(import.meta.dirname, "../../..");
const baseU = join(repo, "images/ec600u.fbpkg");
const example = join(repo, "images/example-project");
const tmp = mkdtempSync(join(tmpdir(), "flashbak-merge-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh project directory with the given files (string or bytes), returning its path. */
function project(files: Record<string, string | Uint8Array>): string {
  const dir = join(tmp, `p${n++}`);
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function outDir(): string {
  const d = join(tmp, `o${n++}`);
  mkdirSync(d);
  return d;
}

describe("flashbak merge", () => {
  it("merges the example project; verify and inspect agree; output is reproducible", async () => {
    const dir = outDir();
    const r = await runCli(["merge", "--base", baseU, "--project", example, "--out", join(dir, "a.fbpkg")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backup: on, 3 protected: \/usr\/config\/app.json/);
    await runCli(["merge", "--base", baseU, "--project", example, "--out", join(dir, "b.fbpkg")]);
    expect(readFileSync(join(dir, "a.fbpkg")).equals(readFileSync(join(dir, "b.fbpkg")))).toBe(true);
    expect(readFileSync(join(dir, "a.fbpkg")).equals(readFileSync(join(repo, "images/example.fbpkg")))).toBe(
      true,
    );
    const v = await runCli(["verify", join(dir, "a.fbpkg")]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/OK: 14 package checksums and 6 checksum.json entries hold/);
    const i = await runCli(["inspect", join(dir, "a.fbpkg"), "--json"]);
    const report = JSON.parse(i.stdout) as {
      backupEnabled: boolean;
      filesystems: { mount: string; files: { path: string; size: number; crc32: string }[] }[];
    };
    expect(report.backupEnabled).toBe(true);
    const main = report.filesystems[0]!.files.find((f) => f.path === "/main.py")!;
    expect(main.size).toBe(readFileSync(join(example, "main.py")).length);
  });

  it("--backup adds protected files, --timestamp honours SOURCE_DATE_EPOCH, --json summarises", async () => {
    const p = project({ "main.py": "print(1)\n", "lib/a.py": "A = 1\n" });
    const out = join(outDir(), "x.fbpkg");
    const r = await runCli(
      [
        "merge",
        "--base",
        baseU,
        "--project",
        p,
        "--backup",
        "main.py",
        "--backup",
        "lib/**",
        "--timestamp",
        "--out",
        out,
        "--json",
      ],
      {
        env: { SOURCE_DATE_EPOCH: "1700000000" },
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      backedUp: ["/usr/lib/a.py", "/usr/main.py"],
      board: "ec600u",
    });
    expect(readPackage(readFileSync(out)).header.build.timestamp).toBe("2023-11-14T22:13:20.000Z");
  });

  it("follows symlinks that stay inside the project and skips VCS litter", async () => {
    const p = project({ "lib/real.py": "R = 1\n", ".git/HEAD": "ref: x\n", "main.py": "1" });
    symlinkSync(join(p, "lib/real.py"), join(p, "alias.py"));
    const r = await runCli([
      "merge",
      "--base",
      baseU,
      "--project",
      p,
      "--out",
      join(outDir(), "l.fbpkg"),
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { files: string[] }).files).toEqual([
      "/alias.py",
      "/lib/real.py",
      "/main.py",
    ]);
  });

  const longName = "n".repeat(256) + ".py";
  it.each([
    [
      "traversal in a destination",
      () => project({ "a.py": "1", "flashbak.json": '{"destinations": {"a.py": "../../etc/x"}}' }),
      [],
      ExitCode.USAGE,
      /leaves the project/,
    ],
    [
      "an absolute destination",
      () => project({ "a.py": "1", "flashbak.json": '{"destinations": {"a.py": "/usr/a.py"}}' }),
      [],
      ExitCode.USAGE,
      /is an absolute path/,
    ],
    [
      "a name over name_max",
      () => project({ "a.py": "1", "flashbak.json": JSON.stringify({ destinations: { "a.py": longName } }) }),
      [],
      ExitCode.USAGE,
      /over the board's name_max of 255/,
    ],
    [
      "a non-UTF-8 name",
      () => {
        const p = project({ "main.py": "1" });
        writeFileSync(
          Buffer.concat([Buffer.from(p + "/bad"), Buffer.from([0xff, 0xfe]), Buffer.from(".py")]),
          "x",
        );
        return p;
      },
      [],
      ExitCode.USAGE,
      /is not valid UTF-8 \(bytes 626164fffe2e7079/,
    ],
    [
      "a symlink leaving the project",
      () => {
        const p = project({ "main.py": "1" });
        // A real file outside the project (beside it in the temporary directory).
        writeFileSync(join(tmp, "outside.txt"), "secret");
        symlinkSync(join(tmp, "outside.txt"), join(p, "host"));
        return p;
      },
      [],
      ExitCode.USAGE,
      /symlink host leaves the project/,
    ],
    [
      "duplicate destinations",
      () => project({ "a.py": "1", "b.py": "2", "flashbak.json": '{"destinations": {"b.py": "a.py"}}' }),
      [],
      ExitCode.USAGE,
      /duplicate destination \/usr\/a.py: a.py and b.py/,
    ],
    [
      "a project that does not fit",
      () => {
        const files: Record<string, Uint8Array> = {};
        for (let i = 0; i < 28; i++)
          files[`f${i}.bin`] = new Uint8Array(16 * 1024).map((_, j) => (j * 7 + i) & 0xff);
        return project(files);
      },
      [],
      ExitCode.NO_SPACE,
      /customer_fs needs about \d+ bytes but has 393216 \(\d+ bytes short\)/,
    ],
    [
      "a backup glob that matches nothing",
      () => project({ "main.py": "1" }),
      ["--backup", "app/*.py"],
      ExitCode.USAGE,
      /backup pattern "app\/\*.py" matches no file/,
    ],
    [
      "a manifest typo",
      () => project({ "main.py": "1", "flashbak.json": '{"bakup": ["main.py"]}' }),
      [],
      ExitCode.USAGE,
      /unknown key "bakup"/,
    ],
  ] as const)("refuses %s and leaves no output", async (_n, make, extra, code, want) => {
    const dir = outDir();
    const out = join(dir, "out.fbpkg");
    const r = await runCli(["merge", "--base", baseU, "--project", make(), "--out", out, ...extra]);
    expect(r.stderr).toMatch(want);
    expect(r.code).toBe(code);
    expect(readdirSync(dir)).toEqual([]);
  });

  const base = readFileSync(baseU);
  it.each([
    ["truncated", () => base.subarray(0, base.length - 1), /package truncated/],
    [
      "corrupt (SHA-256)",
      () => {
        const b = Buffer.from(base);
        b[3000] ^= 1;
        return b;
      },
      /package sha256 mismatch/,
    ],
    [
      "corrupt (partition CRC)",
      () => {
        const pkg = readPackage(base);
        const b = Buffer.from(writePackage(pkg));
        // Change a boot image byte without touching the recorded CRC/SHA, then reseal the frame.
        const at = b.indexOf(Buffer.from("FLASHBAK SYNTHETIC BOOT"));
        b[at + 100] ^= 1;
        b.set(
          createHash("sha256")
            .update(b.subarray(0, b.length - 32))
            .digest(),
          b.length - 32,
        );
        return b;
      },
      /partition boot crc32 mismatch/,
    ],
    [
      "of an unknown version",
      () => {
        const b = Buffer.from(base);
        b.writeUInt16LE(7, 8);
        b.writeUInt32LE(crc32(b.subarray(0, 16)), 16);
        return b;
      },
      /package format version 7 is not supported/,
    ],
    [
      "for another board",
      () => readFileSync(join(repo, "images/ec600s.fbpkg")),
      /package is for board "ec600s", not "ec600u"/,
    ],
  ])("refuses a base package that is %s (exit 5), leaving no output", async (_n, make, want) => {
    const dir = outDir();
    const bad = join(tmp, `base${n++}.fbpkg`);
    writeFileSync(bad, make());
    const r = await runCli(["merge", "--base", bad, "--project", example, "--out", join(dir, "o.fbpkg")]);
    expect(r.stderr).toMatch(want);
    expect(r.code).toBe(ExitCode.CORRUPT);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a missing base is not found (exit 4)", async () => {
    const r = await runCli(["merge", "--base", join(tmp, "nope.fbpkg"), "--project", example]);
    expect(r.code).toBe(ExitCode.NOT_FOUND);
  });
});

describe("flashbak verify, inspect --extract, export", () => {
  it("verify fails (exit 1) and names the entry when a protected file does not match checksum.json", async () => {
    const pkg = readPackage(readFileSync(join(repo, "images/example.fbpkg")));
    const board = boards.ec600u!;
    // Rebuild /usr with a changed main.py but the original checksum.json.
    const usr = pkg.partitions.find((p) => p.name === "customer_fs")!;
    const { mountLittlefsImage } = await import("../../../firmware-sim/package/lfs-image.js");
    const { walk, readFile } = await import("../../../firmware-sim/fs/fs-util.js");
    const fs = mountLittlefsImage(board.littlefs, usr.image);
    const files = walk(fs)
      .filter((e) => e.type === "file")
      .map((e) => ({
        path: e.path,
        data: e.path === "/main.py" ? new TextEncoder().encode("tampered") : readFile(fs, e.path),
      }));
    const image = buildLittlefsImage(board.littlefs, usr.size, files).image;
    const bad = join(tmp, `tampered${n++}.fbpkg`);
    writeFileSync(
      bad,
      writePackage({ ...pkg, partitions: pkg.partitions.map((p) => (p === usr ? { ...p, image } : p)) }),
    );
    const r = await runCli(["verify", bad]);
    expect(r.code).toBe(ExitCode.CHECK_FAILED);
    const recorded = formatCrc(fileCrc32(readFileSync(join(example, "main.py")))!);
    expect(r.stdout).toContain(
      `FAIL /usr/checksum.json /usr/main.py ${recorded} (file: ${formatCrc(fileCrc32(new TextEncoder().encode("tampered"))!)})`,
    );
    const i = await runCli(["inspect", bad]);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/\/usr\/checksum.json: 3 entries, 1 do not match/);
  });

  it("verify reports a damaged package with exit 1", async () => {
    const b = Buffer.from(readFileSync(baseU));
    b[b.length - 100] ^= 0x40;
    const bad = join(tmp, `flip${n++}.fbpkg`);
    writeFileSync(bad, b);
    const r = await runCli(["verify", bad]);
    expect(r.code).toBe(ExitCode.CHECK_FAILED);
    expect(r.stdout).toMatch(/FAIL PKG_CORRUPT: .*package sha256 mismatch/);
  });

  it("inspect --extract writes each partition image to DIR/<name>.bin", async () => {
    const dir = join(outDir(), "parts");
    const r = await runCli(["inspect", join(repo, "images/example.fbpkg"), "--extract", dir]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(
      ["boot", "customer_backup_fs", "customer_fs", "firmware", "fota", "securedata"]
        .map((x) => `${x}.bin`)
        .sort(),
    );
    expect(readFileSync(join(dir, "customer_fs.bin")).length).toBe(384 * 1024);
  });

  it("export writes the whole flash with SecureData erased and says so", async () => {
    const out = join(outDir(), "flash.bin");
    const r = await runCli(["export", join(repo, "images/example.fbpkg"), "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/securedata\s+left erased: preserved on flash/);
    const flat = readFileSync(out);
    expect(flat.length).toBe(8 << 20);
    const sd = boards.ec600u!.partitions.find((p) => p.type === "securedata")!;
    expect(flat.subarray(sd.offset, sd.offset + sd.size).every((b) => b === 0xff)).toBe(true);
    expect(flat.subarray(0, 18).toString()).toBe("FLASHBAK SYNTHETIC");
    expect(existsSync(out)).toBe(true);
  });

  it.each(["merge", "inspect", "verify", "export"])(
    "%s --help describes options and has examples",
    async (cmd) => {
      const r = await runCli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:/);
    },
  );
});
