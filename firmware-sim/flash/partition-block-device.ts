/**
 * A `BlockDevice` over one partition of a `NorFlash`: littlefs and the SecureData store see
 * only their own window, with block numbers relative to it. Access outside the window is a
 * BD_RANGE error; a read-only partition (the `/bak` backup file system as the module sees it)
 * refuses program and erase with FLASH_READ_ONLY and never reaches the chip.
 */
import type { BlockDevice, BlockGeometry } from "./block-device.js";
import { checkAccess } from "./block-device.js";
import { FlashError } from "./flash-error.js";
import type { NorFlash } from "./nor-flash.js";

export interface PartitionConfig {
  /** Partition name for messages (e.g. "customer_fs"). */
  name: string;
  /** Byte offset of the partition on the chip; a multiple of the sector size. */
  offset: number;
  /** Partition size in bytes; a multiple of blockSize. */
  size: number;
  /** Erase block in bytes: a multiple of the chip's sector size. Default: the sector size. */
  blockSize?: number;
  /** Read unit in bytes (>= 1, divides blockSize). Default 1. */
  readSize?: number;
  /** Program unit in bytes (>= 1, divides blockSize). Default 1. */
  progSize?: number;
  /** Refuse prog and erase. Default false. */
  readOnly?: boolean;
}

export class PartitionBlockDevice implements BlockDevice {
  readonly geometry: BlockGeometry;
  readonly readOnly: boolean;
  readonly name: string;
  readonly offset: number;

  constructor(
    readonly flash: NorFlash,
    config: PartitionConfig,
  ) {
    const ss = flash.sectorSize;
    const blockSize = config.blockSize ?? ss;
    const readSize = config.readSize ?? 1;
    const progSize = config.progSize ?? 1;
    const bad = (why: string): never => {
      throw new FlashError("FLASH_CONFIG", `partition ${config.name}: ${why}`);
    };
    if (blockSize % ss !== 0) bad(`block size ${blockSize} is not a multiple of the ${ss}-byte sector`);
    if (config.offset % ss !== 0) bad(`offset 0x${config.offset.toString(16)} is not sector aligned`);
    if (config.size <= 0 || config.size % blockSize !== 0)
      bad(`size ${config.size} is not whole ${blockSize}-byte blocks`);
    if (config.offset + config.size > flash.size) bad(`ends past the ${flash.size}-byte flash`);
    if (blockSize % readSize !== 0 || blockSize % progSize !== 0)
      bad("read/prog size must divide the block size");
    this.name = config.name;
    this.offset = config.offset;
    this.readOnly = config.readOnly ?? false;
    this.geometry = {
      readSize,
      progSize,
      blockSize,
      blockCount: config.size / blockSize,
      eraseValue: flash.eraseValue,
    };
  }

  read(block: number, off: number, into: Uint8Array): void {
    checkAccess(this.geometry, block, off, into.length, this.geometry.readSize, "read");
    this.flash.readInto(this.offset + block * this.geometry.blockSize + off, into);
  }

  prog(block: number, off: number, data: Uint8Array): void {
    this.refuseIfReadOnly("prog");
    checkAccess(this.geometry, block, off, data.length, this.geometry.progSize, "prog");
    this.flash.program(this.offset + block * this.geometry.blockSize + off, data);
  }

  erase(block: number): void {
    this.refuseIfReadOnly("erase");
    checkAccess(this.geometry, block, 0, 0, 1, "read");
    this.flash.erase(this.offset + block * this.geometry.blockSize, this.geometry.blockSize);
  }

  sync(): void {}

  private refuseIfReadOnly(what: string): void {
    if (this.readOnly) {
      throw new FlashError("FLASH_READ_ONLY", `${what}: partition ${this.name} is read-only`, {
        hint: "the backup partition is written only by the merger and the flasher",
      });
    }
  }
}
