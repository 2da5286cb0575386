import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../firmware-sim/module/boards.js";
import { inspectPackage, verifyFailures } from "../../firmware-sim/package/inspect.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { imageOutputs } from "../../images/base-images.js";

const root = join(import.meta.dirname, "../..");
const outputs = imageOutputs(root);

describe("images/ (npm run images)", () => {
  it("has a base package for every board profile and the example", () => {
    expect(outputs.map((o) => o.path).sort()).toEqual(
      [...Object.keys(boards).map((id) => `images/${id}.fbpkg`), "images/example.fbpkg"].sort(),
    );
  });

  it.each(outputs.map((o) => [o.path, o.bytes] as const))("%s rebuilds byte-identical", (path, bytes) => {
    const committed = new Uint8Array(readFileSync(join(root, path)));
    // A mismatch means a build input changed (littlefs output, board profiles, the example).
    const stale = `${path} is stale: run \`npm run images\` and commit images/`;
    expect(committed.length, stale).toBe(bytes.length);
    expect(Buffer.from(committed).equals(Buffer.from(bytes)), stale).toBe(true);
  });

  it.each(Object.keys(boards))("images/%s.fbpkg is a clean base: empty /usr and /bak, backup off", (id) => {
    const bytes = readFileSync(join(root, `images/${id}.fbpkg`));
    expect(readPackage(bytes, { board: id }).header.board).toBe(id);
    const r = inspectPackage(bytes);
    expect(verifyFailures(r)).toEqual([]);
    expect(r.filesystems.map((f) => [f.mount, f.files.length])).toEqual([
      ["/usr", 0],
      ["/bak", 0],
    ]);
    expect(r.backupEnabled).toBe(false);
    const sd = r.partitions.find((p) => p.type === "securedata")!;
    expect([sd.preserveOnFlash, sd.imageLength]).toEqual([true, 0]);
  });

  it("images/example.fbpkg holds the example project with its backed-up files verified", () => {
    const r = inspectPackage(readFileSync(join(root, "images/example.fbpkg")));
    expect(verifyFailures(r)).toEqual([]);
    expect(r.backupEnabled).toBe(true);
    const usr = r.filesystems.find((f) => f.mount === "/usr")!.files.map((f) => f.path);
    expect(usr).toEqual(
      expect.arrayContaining(["/main.py", "/config/app.json", "/data/calibration.csv", "/checksum.json"]),
    );
    expect(usr).not.toContain("/README.md");
    expect(usr).not.toContain("/flashbak.json");
    expect(r.checksums[0]!.entries.map((e) => e.name)).toEqual([
      "/usr/config/app.json",
      "/usr/config/network.json",
      "/usr/main.py",
    ]);
  });
});
