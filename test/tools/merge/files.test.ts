import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readInput, writeFileAtomic } from "../../../tools/merge/files.js";

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
});
