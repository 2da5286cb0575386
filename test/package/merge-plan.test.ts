import { describe, expect, it } from "vitest";
import type { FlashbakError } from "../../firmware-sim/errors.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { compileGlob } from "../../firmware-sim/package/glob.js";
import type { ProjectManifest } from "../../firmware-sim/package/manifest.js";
import { EMPTY_MANIFEST, parseManifest } from "../../firmware-sim/package/manifest.js";
import type { ProjectFile } from "../../firmware-sim/package/merge-plan.js";
import { planMerge } from "../../firmware-sim/package/merge-plan.js";
import { fileCrc32 } from "../../firmware-sim/package/file-crc32.js";

const board = boards.ec600u!;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const file = (path: string, text = `# ${path}\n`): ProjectFile => ({ path, data: enc(text) });

const project = [file("main.py"), file("cfg/app.json", '{"a": 1}'), file("data/blob.bin"), file("README.md")];

function plan(files: ProjectFile[], manifest: Partial<ProjectManifest>, extraBackup: string[] = []) {
  return planMerge(board, files, { manifest: { ...EMPTY_MANIFEST, ...manifest }, extraBackup });
}

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as FlashbakError).code}: ${(e as Error).message}`;
  }
  return "no error";
}

describe("glob", () => {
  it.each([
    ["main.py", "main.py", true],
    ["main.py", "lib/main.py", false],
    ["*.py", "main.py", true],
    ["*.py", "lib/x.py", false],
    ["**/*.py", "lib/x.py", true],
    ["**/*.py", "x.py", true],
    ["lib/**", "lib/a/b.c", true],
    ["lib/**", "lib", false],
    ["cfg/*.json", "cfg/app.json", true],
    ["file_[0-9].txt", "file_7.txt", true],
    ["file_[!0-9].txt", "file_7.txt", false],
    ["?.py", "a.py", true],
    ["a\\*b", "a*b", true],
    ["./main.py", "main.py", true],
  ])("%s matches %s: %s", (pattern, path, want) => {
    expect(compileGlob(pattern).test(path)).toBe(want);
  });

  it("refuses absolute patterns", () => {
    expect(failure(() => compileGlob("/usr/main.py"))).toMatch(/^USAGE: glob "\/usr\/main.py" is absolute/);
  });
});

describe("manifest", () => {
  it("parses every key", () => {
    const m = parseManifest(
      JSON.stringify({
        name: "x",
        version: "1",
        board: "ec600u",
        firmwareVersion: "FW",
        restoreMode: "hardened",
        exclude: ["*.md"],
        backup: ["main.py"],
        destinations: { "src/a.py": "a.py" },
      }),
    );
    expect(m).toEqual({
      name: "x",
      version: "1",
      board: "ec600u",
      firmwareVersion: "FW",
      restoreMode: "hardened",
      exclude: ["*.md"],
      backup: ["main.py"],
      destinations: { "src/a.py": "a.py" },
    });
  });

  it.each([
    ["not json", "{", /not valid JSON/],
    ["unknown key", '{"bakup": ["main.py"]}', /unknown key "bakup"/],
    ["bad restore mode", '{"restoreMode": "lazy"}', /"restoreMode" must be one of faithful, hardened/],
    ["backup not a list", '{"backup": "main.py"}', /"backup" must be a list/],
    ["array", "[]", /must be a JSON object/],
  ])("refuses %s", (_n, text, want) => {
    expect(failure(() => parseManifest(text))).toMatch(want);
  });
});

describe("planMerge", () => {
  it("puts every file in /usr, backed-up files under /bak/usr, and both JSON files", () => {
    const p = plan(project, { exclude: ["*.md"], backup: ["main.py", "cfg/*.json"] });
    expect(p.usrFiles.map((f) => f.path)).toEqual([
      "/cfg/app.json",
      "/checksum.json",
      "/data/blob.bin",
      "/main.py",
    ]);
    expect(p.bakFiles.map((f) => f.path)).toEqual([
      "/backup_restore.json",
      "/checksum.json",
      "/usr/cfg/app.json",
      "/usr/main.py",
    ]);
    const json = dec(p.usrFiles.find((f) => f.path === "/checksum.json")!.data);
    const crc = (s: string): string => "0x" + fileCrc32(enc(s))!.toString(16);
    expect(json).toBe(
      `[{"name": "/usr/cfg/app.json", "crc32": "${crc('{"a": 1}')}"}, {"name": "/usr/main.py", "crc32": "${crc("# main.py\n")}"}]`,
    );
    expect(dec(p.bakFiles.find((f) => f.path === "/checksum.json")!.data)).toBe(json);
    expect(dec(p.bakFiles[0]!.data)).toBe('{"enable": 1}');
    expect(p.backedUp).toEqual(["cfg/app.json", "main.py"]);
  });

  it("writes no checksum or backup flag when nothing is backed up", () => {
    const p = plan(project, {});
    expect(p.usrFiles.map((f) => f.path)).toEqual([
      "/README.md",
      "/cfg/app.json",
      "/data/blob.bin",
      "/main.py",
    ]);
    expect(p.bakFiles).toEqual([]);
  });

  it("installs files under their destinations and adds --backup globs", () => {
    const p = plan([...project, file("src/app.py")], { destinations: { "src/app.py": "app.py" } }, [
      "src/app.py",
    ]);
    expect(p.usrFiles.map((f) => f.path)).toContain("/app.py");
    expect(p.checksum.map((c) => c.name)).toEqual(["/usr/app.py"]);
    expect(p.bakFiles.map((f) => f.path)).toContain("/usr/app.py");
  });

  it.each([
    [
      "traversal in a destination",
      [file("a.py")],
      { destinations: { "a.py": "../etc/passwd" } },
      [],
      /^USAGE: destination "..\/etc\/passwd": leaves the project/,
    ],
    [
      "absolute destination",
      [file("a.py")],
      { destinations: { "a.py": "/usr/a.py" } },
      [],
      /^USAGE: destination "\/usr\/a.py": is an absolute path/,
    ],
    ["backslash", [file("a\\b.py")], {}, [], /^USAGE: project file "a\\b.py": contains a backslash/],
    [
      "name over name_max",
      [file(`${"n".repeat(256)}.py`)],
      {},
      [],
      /is 259 bytes, over the board's name_max of 255/,
    ],
    [
      "duplicate destination",
      [file("a.py"), file("b.py")],
      { destinations: { "b.py": "a.py" } },
      [],
      /^USAGE: duplicate destination \/usr\/a.py: a.py and b.py/,
    ],
    [
      "file where a directory is needed",
      [file("a"), file("b.py")],
      { destinations: { "b.py": "a/b.py" } },
      [],
      /^USAGE: duplicate destination \/usr\/a: file a and directory of b.py/,
    ],
    [
      "project checksum.json with backup",
      [file("checksum.json"), file("main.py")],
      { backup: ["main.py"] },
      [],
      /duplicate destination \/usr\/checksum.json: the generated checksum.json and checksum.json/,
    ],
    [
      "case-only collision among backups",
      [file("Main.py"), file("main.py")],
      { backup: ["*.py"] },
      [],
      /ignoring case: Main.py and main.py/,
    ],
    [
      "backup glob matching nothing",
      project,
      {},
      ["nothing/*.py"],
      /^USAGE: backup pattern "nothing\/\*.py" matches no file of the project/,
    ],
    [
      "backup glob matching only excluded files",
      project,
      { exclude: ["*.md"], backup: ["README.md"] },
      [],
      /matches only excluded files/,
    ],
    [
      "empty backed-up file",
      [file("empty.txt", "")],
      { backup: ["empty.txt"] },
      [],
      /file_crc32 returns None for empty files/,
    ],
    [
      "unknown destination source",
      project,
      { destinations: { "nope.py": "x.py" } },
      [],
      /"nope.py" is not a file of the project/,
    ],
  ] as const)("refuses %s", (_n, files, manifest, extra, want) => {
    expect(failure(() => plan([...files], manifest as Partial<ProjectManifest>, [...extra]))).toMatch(want);
  });

  it("refuses a checksum.json the device could not read whole", () => {
    const many = Array.from({ length: 400 }, (_, i) => file(`lib/module_number_${i}.py`));
    expect(failure(() => plan(many, { backup: ["lib/*.py"] }))).toMatch(
      /^MERGE_CHECKSUM_TOO_BIG: checksum.json would be \d+ bytes for 400 backed-up files; the device reads only 16384/,
    );
  });

  it("in hardened mode accepts a long checksum.json and records an empty file with the CRC of no bytes", () => {
    const many = Array.from({ length: 400 }, (_, i) => file(`lib/module_number_${i}.py`));
    const p = planMerge(board, [...many, file("empty.txt", "")], {
      manifest: { ...EMPTY_MANIFEST, backup: ["lib/*.py", "empty.txt"] },
      restoreMode: "hardened",
    });
    expect(p.checksum.length).toBe(401);
    expect(p.checksum.find((c) => c.name === "/usr/empty.txt")!.crc32).toBe(0xffffffff);
  });

  it("allows case-only twins when they are not backed up", () => {
    expect(
      plan([file("A.txt"), file("a.txt"), file("main.py")], { backup: ["main.py"] }).usrFiles.length,
    ).toBe(4);
  });
});
