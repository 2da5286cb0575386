/**
 * A merged package on the simulated module: flashed (the flat image of the package), the first
 * boot verifies every protected file and restores nothing; after a protected file is damaged,
 * the next power-on restores it from /bak.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FileSystem } from "../../firmware-sim/fs/file-system.js";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { boardFlash } from "../../firmware-sim/module/flash-map.js";
import type { FsDriver, MountRequest } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/package/format.js";
import { flashImage } from "../../firmware-sim/package/layout.js";
import { lfsConfigOf } from "../../firmware-sim/package/lfs-image.js";
import { EMPTY_MANIFEST } from "../../firmware-sim/package/manifest.js";
import { mergeProject } from "../../firmware-sim/package/merge.js";
import { readPackage } from "../../firmware-sim/package/reader.js";

/** The module's littlefs, configured exactly as the merger built the images. */
const driver: FsDriver = {
  name: "littlefs",
  mount: (req: MountRequest): FileSystem =>
    LittleFs.mount(req.bd, lfsConfigOf(req.config), { readOnly: req.bd.readOnly }),
  format: (req: MountRequest): void => LittleFs.format(req.bd, lfsConfigOf(req.config)),
};

const board = boards.ec600u!;
const pkg = readPackage(readFileSync(join(import.meta.dirname, "../../images/example.fbpkg")), {
  board: "ec600u",
});
const protectedFiles = ["/usr/config/app.json", "/usr/config/network.json", "/usr/main.py"];

function flashed(mode: RestoreMode): Module {
  return new Module({
    board,
    flash: boardFlash(board, { image: flashImage(pkg) }),
    fsDriver: driver,
    restoreMode: mode,
  });
}

/** Power off and on: a new module on the same flash contents. */
function powerCycle(m: Module, mode: RestoreMode): Module {
  return new Module({
    board,
    flash: boardFlash(board, { snapshot: m.flash.snapshot() }),
    fsDriver: driver,
    restoreMode: mode,
  });
}

describe("hardened package with an empty protected file", () => {
  it("boots with nothing restored: the merger and the hardened boot agree on the empty file's CRC", () => {
    const base = readFileSync(join(import.meta.dirname, "../../images/ec600u.fbpkg"));
    const files = [
      { path: "main.py", data: new TextEncoder().encode("print('x')\n") },
      { path: "state.log", data: new Uint8Array(0) },
    ];
    const merged = mergeProject(base, files, {
      manifest: { ...EMPTY_MANIFEST, backup: ["main.py", "state.log"], restoreMode: "hardened" },
      projectName: "empty",
    });
    const m = new Module({
      board,
      flash: boardFlash(board, { image: flashImage(merged.package) }),
      fsDriver: driver,
      restoreMode: "hardened",
    });
    const r = m.boot();
    expect(r.restore.checked).toBe(2);
    expect([r.restore.mismatched, r.restore.missing, r.restore.restored]).toEqual([[], [], []]);
  });
});

describe.each(["faithful", "hardened"] as const)(
  "merged example package on the module (%s restore)",
  (mode) => {
    it("first boot mounts both file systems, verifies every protected file and restores nothing", () => {
      const m = flashed(mode);
      const r = m.boot();
      expect(r.formatted).toEqual([]);
      expect(r.mounts.map((o) => o.status)).toEqual(["mounted", "mounted"]);
      expect(r.restore.enabled).toBe(true);
      expect(r.restore.error).toBeUndefined();
      expect(r.restore.checked).toBe(protectedFiles.length);
      expect([r.restore.mismatched, r.restore.missing, r.restore.restored]).toEqual([[], [], []]);
      expect(r.log.some((l) => l.startsWith("- restoring"))).toBe(false);
      // Flashing writes no SecureData: the region is erased, i.e. empty, after a package flash.
      expect(r.secureData?.records ?? 0).toBe(0);
    });

    it.each([
      [
        "overwritten",
        (fs: FileSystem) => writeFile(fs, "/main.py", new TextEncoder().encode("print('tampered')\n")),
      ],
      ["emptied", (fs: FileSystem) => writeFile(fs, "/main.py", new Uint8Array(0))],
      ["deleted", (fs: FileSystem) => fs.remove("/main.py")],
    ])("after main.py is %s, the next power-on restores it from /bak", (_how, damage) => {
      const m = flashed(mode);
      m.boot();
      const original = readFile(m.usr, "/main.py");
      damage(m.usr);
      const next = powerCycle(m, mode);
      const r = next.boot();
      expect(r.restore.restored).toEqual(["/usr/main.py"]);
      expect(Buffer.from(readFile(next.usr, "/main.py")).equals(Buffer.from(original))).toBe(true);
      // Healed: the boot after that finds everything intact again.
      const again = powerCycle(next, mode).boot();
      expect([again.restore.mismatched, again.restore.missing, again.restore.restored]).toEqual([[], [], []]);
    });
  },
);
