import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AtomicFile, readInput, writeFileAtomic } from "../../../tools/merge/files.js";

/** Descriptors this process has open (Linux). */
const fds = (): number => readdirSync("/proc/self/fd").length;

/** Background work on the thread pool closes its descriptors when it ends: wait (5 s at most). */
async function expectOpenDescriptors(want: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (fds() !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(fds()).toBe(want);
}

describe("host file helpers", () => {
  it("writes pieces one after another, atomically, leaving no temporary file", () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
    const path = join(dir, "out.bin");
    writeFileSync(path, "old");
    const shared = new Uint8Array(3).fill(0xff);
    writeFileAtomic(path, [Uint8Array.of(1, 2), shared, shared.subarray(0, 1), new Uint8Array(0)]);
    expect([...readFileSync(path)]).toEqual([1, 2, 0xff, 0xff, 0xff, 0xff]);
    writeFileAtomic(path, Uint8Array.of(7));
    expect([...readFileSync(path)]).toEqual([7]);
    expect(readdirSync(dir)).toEqual(["out.bin"]);
  });

  it("reads a file as its bytes, and a missing one as FILE_NOT_FOUND", () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    writeFileSync(join(dir, "in.bin"), data);
    const got = readInput(join(dir, "in.bin"), "input");
    expect(got).toBeInstanceOf(Uint8Array);
    expect(got).toEqual(data);
    expect(() => readInput(join(dir, "nope.bin"), "input")).toThrow(
      expect.objectContaining({ code: "FILE_NOT_FOUND" }),
    );
  });

  it("an AtomicFile is written at any positions, read back, and appears only on commit", () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
    const path = join(dir, "sub", "img.bin");
    const out = new AtomicFile(path);
    out.write(Uint8Array.of(9, 9, 1, 2, 3), 2, 3, 4);
    out.write(Uint8Array.of(7, 7, 7, 7), 0, 4, 0);
    const back = new Uint8Array(7);
    out.read(back, 0, 7, 0);
    expect([...back]).toEqual([7, 7, 7, 7, 1, 2, 3]);
    expect(() => out.read(new Uint8Array(4), 0, 4, 6)).toThrow(
      expect.objectContaining({ code: "DEVICE_FILE_IO", message: expect.stringMatching(/shorter/) }),
    );
    // a failed read gave up the file: nothing was published, nothing is left behind
    expect(readdirSync(join(dir, "sub"))).toEqual([]);
    expect(() => out.commit()).toThrow(expect.objectContaining({ code: "DEVICE_FILE_IO" }));

    const ok = new AtomicFile(path);
    ok.write(Uint8Array.of(1, 2), 0, 2, 0);
    expect(readdirSync(join(dir, "sub")).length).toBe(1); // only the temporary file
    ok.commit();
    ok.abort(); // after a commit: nothing to undo
    expect([...readFileSync(path)]).toEqual([1, 2]);
    expect(readdirSync(join(dir, "sub"))).toEqual(["img.bin"]);
  });

  it("an aborted AtomicFile leaves the old file as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
    const path = join(dir, "img.bin");
    writeFileSync(path, "old");
    const out = new AtomicFile(path);
    out.write(Uint8Array.of(1, 2, 3, 4), 0, 4, 0);
    out.abort();
    out.abort();
    expect(readFileSync(path, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["img.bin"]);
  });

  it("a directory in the output's place is a usage error, and no temporary file stays", () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken", "x"), "x");
    expect(() => writeFileAtomic(join(dir, "taken"), Uint8Array.of(1))).toThrow(
      expect.objectContaining({ code: "USAGE" }),
    );
    expect(readdirSync(dir)).toEqual(["taken"]);
  });

  it.runIf(process.platform === "linux")(
    "a large AtomicFile is flushed in the background as it is written, and leaves no descriptor open",
    async () => {
      const before = fds();
      const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
      const path = join(dir, "big.bin");
      const chunk = new Uint8Array(1 << 20);
      const out = new AtomicFile(path);
      for (let i = 0; i < 10; i++) out.write(chunk.fill(i), 0, chunk.length, i * chunk.length);
      expect(fds()).toBe(before + 2); // the file, and the background flushes' descriptor
      out.commit();
      const got = readFileSync(path);
      expect(got.length).toBe(10 << 20);
      for (let i = 0; i < 10; i++) expect(got[i * chunk.length + 12345]).toBe(i);
      // the flushes finish on the thread pool; their descriptor closes after the last one
      await expectOpenDescriptors(before);
    },
  );

  it.runIf(process.platform === "linux")(
    "an AtomicFile aborted while flushing in the background leaves nothing behind",
    async () => {
      const before = fds();
      const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
      const out = new AtomicFile(join(dir, "big.bin"));
      const chunk = new Uint8Array(5 << 20).fill(7);
      out.write(chunk, 0, chunk.length, 0);
      out.abort();
      expect(readdirSync(dir)).toEqual([]);
      await expectOpenDescriptors(before);
    },
  );

  it.runIf(process.platform === "linux")(
    "replacing a file releases the old one in the background, and leaves no descriptor open",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "flashbak-files-"));
      const path = join(dir, "img.bin");
      writeFileSync(path, new Uint8Array(1 << 20).fill(1));
      const before = fds();
      const out = new AtomicFile(path);
      out.write(Uint8Array.of(2, 2, 2), 0, 3, 0);
      out.commit();
      expect([...readFileSync(path)]).toEqual([2, 2, 2]);
      expect(readdirSync(dir)).toEqual(["img.bin"]);
      await expectOpenDescriptors(before);
    },
  );
});
