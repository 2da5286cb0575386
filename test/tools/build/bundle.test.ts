/**
 * The bundled CLI (what `bin/flashbak.js` runs) behaves as the CLI run from source: bundled here
 * from the current source into a scratch directory inside the repository (the bundle resolves
 * yargs and the native packages through the node_modules above it), then run as a user would.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE, bundleCli } from "../../../tools/build/bundle.js";
import { encodeCacheFile } from "../../../tools/launch/compile-cache.js";
import { SHORT_RUN_V8_FLAGS } from "../../../tools/launch/launcher.js";
import { runCli } from "../cli-harness.js";

const root = resolve(import.meta.dirname, "..", "..", "..");
const outDir = join(root, `.flashbak-tmp-bundle-${process.pid}`);
const cacheDir = join(outDir, "compile-cache");
/** A child that has not exited by then fails the test (the CLI must stop by itself). */
const CHILD_TIMEOUT_MS = 60_000;

function runBundled(
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  // what bin/flashbak.js does, pointed at the scratch bundle
  const r = spawnSync(process.execPath, [join(outDir, "run.cjs"), ...args], {
    encoding: "utf8",
    timeout: CHILD_TIMEOUT_MS,
    env: { ...process.env, CI: "1", FLASHBAK_COMPILE_CACHE: cacheDir, ...env },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  await bundleCli({
    root,
    entry: join(root, "tools", "cli.ts"),
    launcher: join(root, "tools", "launch", "launcher.ts"),
    stringWidthLite: join(root, "tools", "build", "string-width-lite.ts"),
    assertLite: join(root, "tools", "build", "assert-lite.ts"),
    outDir,
  });
  writeFileSync(
    join(outDir, "run.cjs"),
    `require("./launch.cjs").launch(require("node:path").join(__dirname, ${JSON.stringify(BUNDLE_FILE)}), process.argv.slice(2));\n`,
  );
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("the bundled CLI", () => {
  it.each(["--help", "fs --help", "fs mkfs --help", "station --help", "--version"])(
    "prints what the source CLI prints: flashbak %s",
    async (line) => {
      const args = line.split(" ");
      const want = await runCli(args);
      const got = runBundled(args);
      expect(got.code).toBe(want.code);
      expect(got.stdout.trimEnd()).toBe(want.stdout.trimEnd());
    },
  );

  it.each(["nosuch", "fs mkfs", "fs mkfs a b c"])(
    "reports usage errors as the source CLI does: flashbak %s",
    async (line) => {
      const args = line.split(" ");
      const want = await runCli(args);
      const got = runBundled(args);
      expect(got.code).toBe(2);
      expect(got.code).toBe(want.code);
      expect(got.stderr.trimEnd()).toBe(want.stderr.trimEnd());
    },
  );

  it("lays help out as the source CLI does in a language whose text is not ASCII", async () => {
    // Hindi is where cliui's string-width (7.x) and yargs' (8.x) disagree on widths
    const saved = process.env.LANG;
    process.env.LANG = "hi_IN.UTF-8";
    try {
      for (const args of [["fs", "put", "--help"], ["nosuch"]]) {
        const want = await runCli(args);
        const got = runBundled(args, { LANG: "hi_IN.UTF-8" });
        expect(got.code).toBe(want.code);
        expect(got.stdout.trimEnd()).toBe(want.stdout.trimEnd());
        expect(got.stderr.trimEnd()).toBe(want.stderr.trimEnd());
      }
    } finally {
      if (saved === undefined) delete process.env.LANG;
      else process.env.LANG = saved;
    }
  });

  it("still finds yargs' locale files, so messages follow the user's language", () => {
    expect(runBundled(["nosuch"], { LANG: "de_DE.UTF-8" }).stderr).toContain("Unbekanntes Argument: nosuch");
    expect(runBundled(["nosuch"], { LANG: "C" }).stderr).toContain("Unknown argument: nosuch");
  });

  it("keeps a V8 code cache per command, and replaces one that is damaged or refused", async () => {
    const dir = join(cacheDir, "own");
    const env = { FLASHBAK_COMPILE_CACHE: dir, FLASHBAK_COMPILE_CACHE_DEBUG: "1" };
    const want = await runCli(["fs", "mkfs", "--help"]);
    const outcome = (): string => {
      const got = runBundled(["fs", "mkfs", "--help"], env);
      expect(got.code).toBe(0);
      expect(got.stdout.trimEnd()).toBe(want.stdout.trimEnd());
      return /compile cache (\w+(?:, written)?)/.exec(got.stderr)?.[1] ?? got.stderr;
    };
    expect(outcome()).toBe("miss, written");
    expect(outcome()).toBe("hit");
    const [file] = readdirSync(dir);
    expect(file).toMatch(/^fs-mkfs-[0-9a-f]{16}-v[\d.]+-\w+\.v8cache$/);
    const path = join(dir, file!);
    const good = readFileSync(path);
    // intact framing around bytes V8 does not accept
    writeFileSync(path, encodeCacheFile(Buffer.alloc(good.length - 16, 0x5a)));
    expect(outcome()).toBe("rejected, written");
    expect(outcome()).toBe("hit");
    // a flipped bit in the bytecode: caught by the CRC before V8 sees it
    const flipped = Buffer.from(readFileSync(path));
    flipped[flipped.length >> 1]! ^= 0x04;
    writeFileSync(path, flipped);
    expect(outcome()).toBe("corrupt, written");
    expect(outcome()).toBe("hit");
    expect(
      runBundled(["--version"], { FLASHBAK_COMPILE_CACHE: "off", FLASHBAK_COMPILE_CACHE_DEBUG: "1" }).stderr,
    ).toContain("compile cache off");
  });

  it("runs one-shot commands with the short-run V8 flags, long-lived ones with V8's defaults", () => {
    const env = { FLASHBAK_COMPILE_CACHE: "off", FLASHBAK_COMPILE_CACHE_DEBUG: "1" };
    const short = runBundled(["fs", "mkfs", "--help"], env);
    expect(short.code).toBe(0);
    expect(short.stderr).toContain(`V8 flags: ${SHORT_RUN_V8_FLAGS.join(" ")}`);
    const long = runBundled(["sim", "serve", "--help"], env);
    expect(long.code).toBe(0);
    expect(long.stderr).toContain("V8 flags: (defaults)");
    // and only the one-shot command lowers its helper threads (Linux: Node starts four)
    const lowered = (s: string): number => Number(/helper threads lowered[^:]*: (\d+)/.exec(s)?.[1]);
    expect(lowered(long.stderr)).toBe(0);
    if (process.platform === "linux") expect(lowered(short.stderr)).toBeGreaterThanOrEqual(4);
    else expect(lowered(short.stderr)).toBe(0);
  });

  it("finishes quietly, with its own exit code, when the reader of its output goes away", () => {
    // `true` exits without reading, so every write meets a closed pipe (EPIPE)
    const r = spawnSync(
      "bash",
      [
        "-c",
        'set -o pipefail; "$0" "$1" --help | true; echo "status $?" >&2',
        process.execPath,
        join(outDir, "run.cjs"),
      ],
      { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, env: { ...process.env, FLASHBAK_COMPILE_CACHE: "off" } },
    );
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.stderr).toContain("status 0");
  });

  it("builds an image that the source CLI reads back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-bundle-"));
    try {
      mkdirSync(join(dir, "tree", "lib"), { recursive: true });
      writeFileSync(join(dir, "tree", "main.py"), "print('hi')\n");
      writeFileSync(join(dir, "tree", "lib", "名前.bin"), new Uint8Array(5000).fill(7));
      const img = join(dir, "usr.img");
      const made = runBundled(["fs", "mkfs", img, join(dir, "tree"), "--image-size", "64K", "--json"]);
      expect(made.code, made.stderr).toBe(0);
      expect(JSON.parse(made.stdout)).toMatchObject({ files: 2, dirs: 1, bytes: 5012 });
      const listed = await runCli(["fs", "ls", img, "-l", "--json", "/lib"]);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject([{ name: "名前.bin", size: 5000 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
