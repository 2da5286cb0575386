/**
 * Board profiles as data: the flash chip, the partition map and the littlefs configuration of
 * each simulated module. Sizes and names come from shared/reference/quecpython-behavior.md
 * (sections 1.1, 3.2, 3.3); where the public sources are silent (boot and firmware extents,
 * the SecureData region) the layout below is ours and documented as such in SPEC.md.
 *
 * Real 2021 firmware mounts `/usr` and `/bak` as littlefs v1 with 4096-byte read/prog units;
 * the simulator runs littlefs v2 (our TypeScript implementation), with a 4096-byte block as
 * on the device and NOR-page-sized read/prog units (see DESIGN.md "Boards").
 */
import { FlashbakError } from "../errors.js";

export type PartitionType = "boot" | "firmware" | "fota" | "littlefs" | "securedata" | "raw";

export interface PartitionSpec {
  /** The device's partition name: customer_fs, customer_backup_fs, ... */
  readonly name: string;
  readonly type: PartitionType;
  /** Byte offset on the flash chip (sector aligned). */
  readonly offset: number;
  /** Bytes (a multiple of the 4 KiB sector). */
  readonly size: number;
  /** Where the module mounts it ("/usr", "/bak"), for littlefs partitions. */
  readonly mount?: string;
  /** Read-only to everything running on the module (EROFS); only merger and flasher write it. */
  readonly readOnly?: boolean;
  /** Never erased or written by a package flash (SecureData survives reflashing). */
  readonly preserveOnFlash?: boolean;
}

/** littlefs parameters of a board's file systems (fields as in lfs_config). */
export interface BoardLfsConfig {
  /** Erase block in bytes (4096: the NOR sector, as the device's vfs_lfsx.c fixes it). */
  readonly blockSize: number;
  /** Read unit in bytes. */
  readonly readSize: number;
  /** Program unit in bytes: pads every commit, so it shapes the image bytes. */
  readonly progSize: number;
  /** Cache size in bytes (a multiple of read and prog size; bounds inline files). */
  readonly cacheSize: number;
  /** Lookahead buffer in bytes (8 blocks per byte). */
  readonly lookaheadSize: number;
  /** Erase cycles before a metadata pair is relocated; -1 disables wear levelling. */
  readonly blockCycles: number;
  /** Longest file name in bytes, written to the superblock. */
  readonly nameMax: number;
  /** On-disk version written: 0x00020000 (2.0) or 0x00020001 (2.1). */
  readonly diskVersion: number;
}

export interface BoardProfile {
  /** Board id used on the command line and in packages. */
  readonly id: string;
  readonly description: string;
  /** Chip family, as QPYcom names the platform. */
  readonly platform: string;
  /** Flash chip profile id (firmware-sim/flash/chips.ts). */
  readonly flashChip: string;
  readonly partitions: readonly PartitionSpec[];
  readonly littlefs: BoardLfsConfig;
  /** Boot-time restore mode used unless the package or a test overrides it. */
  readonly defaultRestoreMode: "faithful" | "hardened";
}

const KiB = 1024;
const MiB = 1024 * KiB;

const lfsConfig: BoardLfsConfig = {
  blockSize: 4096,
  readSize: 256,
  progSize: 256,
  cacheSize: 256,
  lookaheadSize: 32,
  blockCycles: 100,
  nameMax: 255,
  diskVersion: 0x00020001,
};

export const boards: Readonly<Record<string, BoardProfile>> = {
  ec600u: {
    id: "ec600u",
    description: "Quectel EC600U (Unisoc 8910 class): /usr 384 KiB, /bak 128 KiB",
    platform: "unisoc8910",
    flashChip: "w25q64",
    partitions: [
      { name: "boot", type: "boot", offset: 0x000000, size: 0x010000 },
      { name: "firmware", type: "firmware", offset: 0x010000, size: 0x3d0000 },
      { name: "fota", type: "fota", offset: 0x3e0000, size: 0x040000 },
      // PY_FS_U and PY_FS_B: 0x60420000 / 0x60480000 in the 8910 memory map (flash at 0x60000000).
      { name: "customer_fs", type: "littlefs", offset: 0x420000, size: 384 * KiB, mount: "/usr" },
      {
        name: "customer_backup_fs",
        type: "littlefs",
        offset: 0x480000,
        size: 128 * KiB,
        mount: "/bak",
        readOnly: true,
      },
      { name: "securedata", type: "securedata", offset: 0x4a0000, size: 16 * KiB, preserveOnFlash: true },
    ],
    littlefs: lfsConfig,
    defaultRestoreMode: "faithful",
  },
  ec600s: {
    id: "ec600s",
    description: "Quectel EC600S (ASR 1601 class): /usr 5 MiB, /bak 200 KiB",
    platform: "ASR1601",
    flashChip: "w25q128",
    partitions: [
      { name: "boot", type: "boot", offset: 0x000000, size: 0x010000 },
      { name: "firmware", type: "firmware", offset: 0x010000, size: 0x5f0000 },
      { name: "fota", type: "fota", offset: 0x600000, size: 0x100000 },
      { name: "customer_fs", type: "littlefs", offset: 0x700000, size: 5 * MiB, mount: "/usr" },
      {
        name: "customer_backup_fs",
        type: "littlefs",
        offset: 0xc00000,
        size: 200 * KiB,
        mount: "/bak",
        readOnly: true,
      },
      { name: "securedata", type: "securedata", offset: 0xc32000, size: 16 * KiB, preserveOnFlash: true },
    ],
    littlefs: lfsConfig,
    defaultRestoreMode: "faithful",
  },
};

export function boardById(id: string): BoardProfile {
  const b = boards[id];
  if (b === undefined) {
    throw new FlashbakError("BOARD_NOT_FOUND", `unknown board "${id}"`, {
      hint: `known boards: ${Object.keys(boards).join(", ")} (flashbak sim boards)`,
    });
  }
  return b;
}

export function partitionByName(board: BoardProfile, name: string): PartitionSpec {
  const p = board.partitions.find((x) => x.name === name);
  if (p === undefined) {
    throw new FlashbakError("PARTITION_NOT_FOUND", `board ${board.id} has no partition "${name}"`, {
      hint: `partitions: ${board.partitions.map((x) => x.name).join(", ")}`,
    });
  }
  return p;
}
