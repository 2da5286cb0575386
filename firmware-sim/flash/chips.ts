/**
 * SPI NOR chip profiles as data. Timings are datasheet typical/maximum figures
 * (shared/reference/flash-and-stores.md section 4); the flash model advances virtual time by
 * them and never sleeps.
 */
import { FlashError } from "./flash-error.js";

export interface FlashTiming {
  /** Page program of a full page, typical, microseconds (tPP typ). */
  pageProgramUs: number;
  /** Page program maximum, microseconds (tPP max): reached as the sector wears out. */
  pageProgramMaxUs: number;
  /** Minimum time of any program command (first byte), microseconds. */
  byteProgramUs: number;
  /** 4 KiB sector erase typical / maximum, microseconds. */
  sectorEraseUs: number;
  sectorEraseMaxUs: number;
  /** 32 KiB and 64 KiB block erase typical, microseconds (0 = the chip has no such command). */
  block32EraseUs: number;
  block64EraseUs: number;
  /** Whole-chip erase typical, microseconds. */
  chipEraseUs: number;
  /** Sustained read throughput in bytes per microsecond (e.g. 80 MHz quad I/O ~ 40). */
  readBytesPerUs: number;
  /** Fixed cost of issuing any command (opcode + address + dummy cycles), microseconds. */
  commandUs: number;
  /** Bytes per microsecond for shifting program data in (transfer time, added to tPP). */
  writeBytesPerUs: number;
}

export interface FlashChip {
  /** Profile id used on the command line and in board profiles. */
  readonly id: string;
  readonly vendor: string;
  readonly part: string;
  /** JEDEC ID as read by command 0x9F: manufacturer << 16 | memory type << 8 | capacity. */
  readonly jedecId: number;
  /** Total size in bytes (a power of two). */
  readonly size: number;
  /** Smallest erase unit in bytes (4096 on every SPI NOR we model). */
  readonly sectorSize: number;
  /** Larger erase units the chip supports, in bytes (32 KiB, 64 KiB); may be empty. */
  readonly blockSizes: readonly number[];
  /** Page program unit in bytes: a program wraps inside its page (256 on SPI NOR). */
  readonly pageSize: number;
  /** Guaranteed program/erase cycles per sector (100,000 for SPI NOR). */
  readonly endurance: number;
  readonly timing: FlashTiming;
}

const MiB = 1 << 20;

/** Winbond W25Q timings (W25Q16 datasheet figures, as quoted in the reference notes). */
const w25qTiming: FlashTiming = {
  pageProgramUs: 700,
  pageProgramMaxUs: 3000,
  byteProgramUs: 20,
  sectorEraseUs: 45_000,
  sectorEraseMaxUs: 400_000,
  block32EraseUs: 120_000,
  block64EraseUs: 150_000,
  chipEraseUs: 40_000_000,
  readBytesPerUs: 40,
  commandUs: 1,
  writeBytesPerUs: 10,
};

/** Microchip SST26VF: fast uniform erase (18 ms sector and block). */
const sst26Timing: FlashTiming = {
  pageProgramUs: 1500,
  pageProgramMaxUs: 2500,
  byteProgramUs: 20,
  sectorEraseUs: 18_000,
  sectorEraseMaxUs: 25_000,
  block32EraseUs: 18_000,
  block64EraseUs: 18_000,
  chipEraseUs: 35_000,
  readBytesPerUs: 40,
  commandUs: 1,
  writeBytesPerUs: 10,
};

export const chips: Readonly<Record<string, FlashChip>> = {
  w25q32: {
    id: "w25q32",
    vendor: "Winbond",
    part: "W25Q32JV",
    jedecId: 0xef4016,
    size: 4 * MiB,
    sectorSize: 4096,
    blockSizes: [32768, 65536],
    pageSize: 256,
    endurance: 100_000,
    timing: w25qTiming,
  },
  w25q64: {
    id: "w25q64",
    vendor: "Winbond",
    part: "W25Q64JV",
    jedecId: 0xef4017,
    size: 8 * MiB,
    sectorSize: 4096,
    blockSizes: [32768, 65536],
    pageSize: 256,
    endurance: 100_000,
    timing: w25qTiming,
  },
  w25q128: {
    id: "w25q128",
    vendor: "Winbond",
    part: "W25Q128JV",
    jedecId: 0xef4018,
    size: 16 * MiB,
    sectorSize: 4096,
    blockSizes: [32768, 65536],
    pageSize: 256,
    endurance: 100_000,
    timing: w25qTiming,
  },
  sst26vf064b: {
    id: "sst26vf064b",
    vendor: "Microchip",
    part: "SST26VF064B",
    jedecId: 0xbf2643,
    size: 8 * MiB,
    sectorSize: 4096,
    blockSizes: [32768, 65536],
    pageSize: 256,
    endurance: 100_000,
    timing: sst26Timing,
  },
};

export function chipById(id: string): FlashChip {
  const c = chips[id];
  if (c === undefined) {
    throw new FlashError("FLASH_UNKNOWN_CHIP", `unknown flash chip "${id}"`, {
      hint: `known chips: ${Object.keys(chips).join(", ")}`,
    });
  }
  return c;
}

/** A chip profile of another size (tests and small simulated partitions). */
export function withSize(chip: FlashChip, size: number): FlashChip {
  return { ...chip, id: `${chip.id}@${size}`, size };
}
