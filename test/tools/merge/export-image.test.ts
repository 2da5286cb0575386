/**
 * `flashbak export`'s binary boots like a package flash: the firmware descriptor carries the
 * package's restore mode, and everything else is the package's flat flash image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FileSystem } from "../../../firmware-sim/fs/file-system.js";
import { LittleFs } from "../../../firmware-sim/littlefs/little-fs.js";
import { boards } from "../../../firmware-sim/module/boards.js";
import { boardFlash } from "../../../firmware-sim/module/flash-map.js";
import type { FsDriver, MountRequest } from "../../../firmware-sim/module/fs-driver.js";
import { Module } from "../../../firmware-sim/module/module.js";
import { flashImage } from "../../../firmware-sim/package/layout.js";
import { lfsConfigOf } from "../../../firmware-sim/package/lfs-image.js";
import { readPackage } from "../../../firmware-sim/package/reader.js";
import { exportImage } from "../../../tools/merge/export-image.js";

const driver: FsDriver = {
  name: "littlefs",
  mount: (req: MountRequest): FileSystem =>
    LittleFs.mount(req.bd, lfsConfigOf(req.config), { readOnly: req.bd.readOnly }),
  format: (req: MountRequest): void => LittleFs.format(req.bd, lfsConfigOf(req.config)),
};
const board = boards.ec600u!;
const pkg = readPackage(readFileSync(join(import.meta.dirname, "../../../images/example.fbpkg")));

describe("export image", () => {
  it.each(["faithful", "hardened"] as const)(
    "a raw flash of it boots with the package's restore mode (%s)",
    (mode) => {
      const p = { ...pkg, header: { ...pkg.header, restoreMode: mode } };
      const m = new Module({
        board,
        flash: boardFlash(board, { image: exportImage(p).bytes }),
        fsDriver: driver,
      });
      expect([m.restoreMode, m.restoreModeSource]).toEqual([mode, "firmware"]);
      const r = m.boot();
      expect([r.restore.enabled, r.restore.restored]).toEqual([true, []]);
    },
  );

  it("differs from the plain flat image only in the descriptor sector", () => {
    const { bytes, descriptorAt } = exportImage(pkg);
    const flat = flashImage(pkg);
    const fw = board.partitions.find((p) => p.type === "firmware")!;
    expect(descriptorAt).toBe(fw.offset + fw.size - 4096);
    expect(
      Buffer.from(bytes.subarray(0, descriptorAt)).equals(Buffer.from(flat.subarray(0, descriptorAt))),
    ).toBe(true);
    expect(
      Buffer.from(bytes.subarray(descriptorAt! + 4096)).equals(
        Buffer.from(flat.subarray(descriptorAt! + 4096)),
      ),
    ).toBe(true);
    expect(Buffer.from(bytes.subarray(descriptorAt!, descriptorAt! + 4)).toString()).toBe("FBFW");
  });

  it("writes no descriptor when the firmware image reaches into its sector", () => {
    const fw = pkg.partitions.find((p) => p.type === "firmware")!;
    const full = {
      ...pkg,
      partitions: pkg.partitions.map((p) => (p === fw ? { ...p, image: new Uint8Array(p.size).fill(7) } : p)),
    };
    expect(exportImage(full).descriptorAt).toBeUndefined();
  });
});
