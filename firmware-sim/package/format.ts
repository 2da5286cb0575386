/**
 * The firmware package (.fbpkg) vocabulary: constants, tags and the in-memory model.
 * The byte layout is specified in firmware-sim/SPEC.md, section "Firmware package (.fbpkg)";
 * codec.ts encodes it, writer.ts and reader.ts build and parse whole packages.
 *
 * Typed errors (the contract with the CLI, the simulated module and the tests):
 * - `PKG_TRUNCATED`: the bytes end before the package says it ends (an interrupted copy).
 * - `PKG_CORRUPT`: a checksum does not hold (header CRC, package SHA-256, a partition's
 *   CRC-32 or SHA-256, named in the message) or the structure is malformed.
 * - `PKG_VERSION`: the format version, or a field marked critical, is newer than this reader.
 * - `PKG_BOARD`: the package was built for another (or an unknown) board profile.
 * All map to exit code 5 through the `^(PKG|IMAGE)_` row of tools/exit-codes.ts.
 */
import { FlashbakError } from "../errors.js";
import type { PartitionType } from "../module/boards.js";

/** "\x89FBPKG\r\n": a non-ASCII first byte and a CRLF catch text-mode and 7-bit mangling. */
export const MAGIC = Uint8Array.of(0x89, 0x46, 0x42, 0x50, 0x4b, 0x47, 0x0d, 0x0a);
/** The only format version this reader understands. */
export const FORMAT_VERSION = 1;
/** Bytes 0..19: magic, version, flags, total length, header CRC. Fixed for every version. */
export const HEADER_SIZE = 20;
/** The trailing SHA-256 over everything before it. */
export const TRAILER_SIZE = 32;
/** Each TLV starts with tag (u16), flags (u16) and value length (u32). */
export const TLV_HEAD_SIZE = 8;
/** TLV flag bit 0: a reader that does not know this tag must refuse the package. */
export const TLV_CRITICAL = 0x0001;
/** Sparse image chunk: one NOR sector. Chunks that are all 0xFF are not stored. */
export const SPARSE_CHUNK = 4096;

/**
 * Largest flash a package may describe: 256 MiB, the biggest SPI NOR made (2 Gbit). A larger
 * value is damage, and refusing it bounds what a damaged package can make a reader allocate.
 */
export const MAX_FLASH_SIZE = 256 * 1024 * 1024;

/** Top-level section tags. */
export const Section = { INFO: 0x0001, PARTITION: 0x0002 } as const;

/** Fields of the INFO section. */
export const InfoField = {
  BOARD: 0x0001,
  FLASH_SIZE: 0x0002,
  FIRMWARE_NAME: 0x0003,
  FIRMWARE_VERSION: 0x0004,
  RESTORE_MODE: 0x0005,
  BUILD: 0x0006,
} as const;

/** Fields of a PARTITION section. */
export const PartField = {
  NAME: 0x0001,
  TYPE: 0x0002,
  OFFSET: 0x0003,
  SIZE: 0x0004,
  FLAGS: 0x0005,
  MOUNT: 0x0006,
  IMAGE_LENGTH: 0x0007,
  IMAGE_CRC32: 0x0008,
  IMAGE_SHA256: 0x0009,
  IMAGE_DATA: 0x000a,
} as const;

/** Bits of the partition FLAGS field. */
export const PartFlag = { READ_ONLY: 0x1, PRESERVE_ON_FLASH: 0x2 } as const;

export const PARTITION_TYPES: readonly PartitionType[] = [
  "boot",
  "firmware",
  "fota",
  "littlefs",
  "securedata",
  "raw",
];

/**
 * Boot-time restore behaviour recorded in the package: `faithful` reproduces the 2021
 * firmware exactly (quirks included); `hardened` is the simulator's safer variant.
 */
export type RestoreMode = "faithful" | "hardened";
export const RESTORE_MODES: readonly RestoreMode[] = ["faithful", "hardened"];

export interface PackageHeader {
  /** Format version the package was written with (FORMAT_VERSION). */
  readonly formatVersion: number;
  /** Board profile id (firmware-sim/module/boards.ts), e.g. "ec600u". */
  readonly board: string;
  /** Bytes of the whole flash chip the partition table describes. */
  readonly flashSize: number;
  readonly firmwareName: string;
  readonly firmwareVersion: string;
  readonly restoreMode: RestoreMode;
  /** Free-form build metadata (tool, project, timestamp when asked for); keys sorted on write. */
  readonly build: Readonly<Record<string, string>>;
}

export interface PartitionFlags {
  /** The module mounts it read-only (EROFS); only the merger and the flasher write it. */
  readonly readOnly: boolean;
  /** A package flash never erases or writes it (SecureData survives reflashing). */
  readonly preserveOnFlash: boolean;
}

export interface PackagePartition {
  /** The device's partition name: customer_fs, customer_backup_fs, ... */
  readonly name: string;
  readonly type: PartitionType;
  /** Byte offset on the flash chip. */
  readonly offset: number;
  /** Bytes reserved for the partition; the image may be shorter (the rest is erased, 0xFF). */
  readonly size: number;
  readonly flags: PartitionFlags;
  /** Mount point on the module ("/usr", "/bak") for littlefs partitions. */
  readonly mount?: string;
  /** Bytes written at `offset` when flashing (empty: the partition is left erased). */
  readonly image: Uint8Array;
}

export interface FirmwarePackage {
  readonly header: PackageHeader;
  /** In flash order (ascending offset), non-overlapping, inside the flash. */
  readonly partitions: readonly PackagePartition[];
}

export type PackageErrorCode = "PKG_TRUNCATED" | "PKG_CORRUPT" | "PKG_VERSION" | "PKG_BOARD";

export class PackageError extends FlashbakError {
  declare readonly code: PackageErrorCode;
  constructor(code: PackageErrorCode, message: string, hint?: string, details?: Record<string, unknown>) {
    super(code, message, { hint, details });
  }
}

export function truncated(what: string, need: number, have: number): PackageError {
  return new PackageError(
    "PKG_TRUNCATED",
    `package truncated: ${what} needs ${need} bytes, only ${have} present`,
    "the file was cut short (interrupted copy or download); copy or rebuild it",
    { need, have },
  );
}

export function corrupt(message: string, details?: Record<string, unknown>): PackageError {
  return new PackageError(
    "PKG_CORRUPT",
    `package corrupt: ${message}`,
    "the file was damaged after it was built; rebuild it (flashbak merge) or fetch a fresh copy",
    details,
  );
}

export function tooNew(message: string): PackageError {
  return new PackageError(
    "PKG_VERSION",
    message,
    `this flashbak reads package format version ${FORMAT_VERSION}; upgrade flashbak to read newer packages`,
  );
}

export function partitionByName(pkg: FirmwarePackage, name: string): PackagePartition | undefined {
  return pkg.partitions.find((p) => p.name === name);
}

/** The littlefs partition mounted at `mount` ("/usr" or "/bak"), if the package has one. */
export function partitionByMount(pkg: FirmwarePackage, mount: string): PackagePartition | undefined {
  return pkg.partitions.find((p) => p.type === "littlefs" && p.mount === mount);
}
