/**
 * The reproducible contents of `images/`: a base firmware package for every board profile and
 * the example project's merged package. `npm run images` (build.ts) writes them; the tests in
 * test/images rebuild them in memory and compare bytes with the committed files.
 *
 * Base packages carry deterministic synthetic boot and firmware images (a readable banner then
 * xorshift32 bytes seeded from the board id: stand-ins for vendor binaries we cannot ship),
 * an erased fota partition, empty formatted `/usr` and `/bak` file systems built with the
 * board's littlefs configuration, and a SecureData partition that is preserved on flash.
 */
import { join } from "node:path";
import type { BoardProfile } from "../firmware-sim/module/boards.js";
import { boards } from "../firmware-sim/module/boards.js";
import { chipById } from "../firmware-sim/flash/chips.js";
import { crc32 } from "../firmware-sim/package/file-crc32.js";
import type { FirmwarePackage, PackagePartition } from "../firmware-sim/package/format.js";
import { buildLittlefsImage } from "../firmware-sim/package/lfs-image.js";
import { mergeProject } from "../firmware-sim/package/merge.js";
import { writePackage } from "../firmware-sim/package/writer.js";
import { readProjectDir } from "../tools/merge/project-dir.js";

/** Bytes of the synthetic boot image. */
const BOOT_BYTES = 8 * 1024;
/** Bytes of the synthetic firmware image (real ones are megabytes; the package stays small). */
const FIRMWARE_BYTES = 128 * 1024;
/** Version written into every base package; bump it when the base content changes on purpose. */
export const BASE_FIRMWARE_VERSION = "V0001";

/** Banner then xorshift32 bytes; the same (label, board) always gives the same bytes. */
export function syntheticImage(label: string, board: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const banner = new TextEncoder().encode(`FLASHBAK SYNTHETIC ${label} ${board} ${BASE_FIRMWARE_VERSION}\n`);
  out.set(banner.subarray(0, size));
  let x = crc32(new TextEncoder().encode(`${label}/${board}`)) || 1;
  for (let i = banner.length; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function partitionImage(board: BoardProfile, p: BoardProfile["partitions"][number]): Uint8Array {
  switch (p.type) {
    case "boot":
      return syntheticImage("BOOT", board.id, BOOT_BYTES);
    case "firmware":
      return syntheticImage("FIRMWARE", board.id, FIRMWARE_BYTES);
    case "littlefs":
      return buildLittlefsImage(board.littlefs, p.size, [], p.name).image;
    default:
      return new Uint8Array(0);
  }
}

/** The base package model of one board. */
export function basePackage(board: BoardProfile): FirmwarePackage {
  const partitions: PackagePartition[] = board.partitions.map((p) => ({
    name: p.name,
    type: p.type,
    offset: p.offset,
    size: p.size,
    flags: { readOnly: p.readOnly === true, preserveOnFlash: p.preserveOnFlash === true },
    ...(p.mount === undefined ? {} : { mount: p.mount }),
    image: p.preserveOnFlash === true ? new Uint8Array(0) : partitionImage(board, p),
  }));
  return {
    header: {
      formatVersion: 1,
      board: board.id,
      flashSize: chipById(board.flashChip).size,
      firmwareName: `QPY_FLASHBAK_${board.id.toUpperCase()}_FW`,
      firmwareVersion: BASE_FIRMWARE_VERSION,
      restoreMode: board.defaultRestoreMode,
      build: { tool: "flashbak images", content: "synthetic boot and firmware, empty /usr and /bak" },
    },
    partitions,
  };
}

export function basePackageBytes(boardId: string): Uint8Array {
  return writePackage(basePackage(boards[boardId]!));
}

/** Every file `npm run images` writes, relative to the repository root, with its bytes. */
export function imageOutputs(root: string): { path: string; bytes: Uint8Array }[] {
  const out = Object.keys(boards)
    .sort()
    .map((id) => ({ path: `images/${id}.fbpkg`, bytes: basePackageBytes(id) }));
  const project = readProjectDir(join(root, "images/example-project"));
  const base = out.find((o) => o.path === `images/${project.manifest.board ?? "ec600u"}.fbpkg`)!.bytes;
  const merged = mergeProject(base, project.files, { manifest: project.manifest, projectName: project.name });
  out.push({ path: "images/example.fbpkg", bytes: merged.bytes });
  return out;
}
