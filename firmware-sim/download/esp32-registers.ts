/**
 * The registers a host reads and writes through READ_REG/WRITE_REG while it talks to the
 * loader, modelled for ONE chip: the ESP32 (shared/reference/esp-serial-protocol.md 1.6, 1.8).
 *
 * - 0x40001000: the chip-detect magic (ESP32: 0x00F01D83). The ESP32 ROM has no
 *   GET_SECURITY_INFO, so hosts fall back to this register.
 * - UART_CLKDIV_REG: the crystal estimate is baud * clkdiv / 1e6, so it holds 40 MHz / baud.
 * - eFuse read words at EFUSE_RD_REG_BASE: MAC in words 1 and 2, everything else 0 (no flash
 *   encryption, no secure boot, revision v0.0).
 * - The SPI0 user-command registers: SPI_CMD bit 18 starts the command held in SPI_USR2's low
 *   16 bits; RDID (0x9F) answers the flash chip's JEDEC ID in W0, status reads answer 0.
 * Any other address reads as the last value written to it, or 0.
 */
import type { FlashChip } from "../flash/chips.js";

export const ESP32 = {
  name: "ESP32",
  /** Value of the chip-detect magic register. */
  magic: 0x00f01d83,
  magicReg: 0x40001000,
  /**
   * A ROM word next to the magic that reads "FBAK" on the simulator only, so a host can tell a
   * simulated module from a real ESP32 (tools/flasher/stub-image.ts).
   */
  simIdReg: 0x40001ffc,
  simIdValue: 0x4b414246,
  uartClkdivReg: 0x3ff40014,
  efuseBase: 0x3ff5a000,
  spiBase: 0x3ff42000,
  /** Image header chip id (esptool targets): ESP32 = 0. */
  imageChipId: 0,
  /** Where esptool places the stub (IRAM/DRAM), used to sanity-check MEM_BEGIN addresses. */
  ramRanges: [
    { start: 0x3ffa_e000, end: 0x4000_0000 }, // DRAM
    { start: 0x4007_0000, end: 0x400c_0000 }, // IRAM
  ],
} as const;

const SPI_CMD = 0x00;
const SPI_USR2 = 0x24;
const SPI_W0 = 0x80;
const SPI_CMD_USR = 1 << 18;

const RDID = 0x9f;

export class Esp32Registers {
  private readonly regs = new Map<number, number>();
  /** The line's current baud rate, for UART_CLKDIV. */
  baud = 115200;

  /**
   * @param mac the 6-byte station MAC burned into eFuse (Espressif OUI in the first 3 bytes).
   * @param flash the attached SPI flash chip, for RDID.
   */
  constructor(
    readonly mac: Uint8Array,
    private readonly flash: FlashChip,
  ) {
    if (mac.length !== 6) throw new RangeError("MAC must be 6 bytes");
    // eFuse block 0 word 1 = MAC bytes 2..5 (big-endian), word 2 = CRC8 << 16 | MAC bytes 0..1.
    const w1 = ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0;
    const w2 = ((macCrc8(mac) << 16) | (mac[0]! << 8) | mac[1]!) >>> 0;
    this.regs.set(ESP32.efuseBase + 4, w1);
    this.regs.set(ESP32.efuseBase + 8, w2);
  }

  read(addr: number): number {
    if (addr === ESP32.magicReg) return ESP32.magic;
    if (addr === ESP32.simIdReg) return ESP32.simIdValue;
    if (addr === ESP32.uartClkdivReg) return Math.round(40e6 / this.baud) & 0xfffff;
    return this.regs.get(addr >>> 0) ?? 0;
  }

  /** WRITE_REG semantics: bits outside `mask` keep their value. */
  write(addr: number, value: number, mask = 0xffffffff): void {
    const a = addr >>> 0;
    const old = this.read(a);
    const v = ((old & ~mask) | (value & mask)) >>> 0;
    this.regs.set(a, v);
    if (a === ESP32.spiBase + SPI_CMD && (v & SPI_CMD_USR) !== 0) this.runSpiCommand();
  }

  /** Execute the SPI user command now; the busy bit clears at once (the host polls it). */
  private runSpiCommand(): void {
    const cmd = (this.regs.get(ESP32.spiBase + SPI_USR2) ?? 0) & 0xff;
    let w0 = 0;
    if (cmd === RDID) {
      const id = this.flash.jedecId;
      // Bytes arrive manufacturer first and land little-endian in W0.
      w0 = ((id >> 16) & 0xff) | (((id >> 8) & 0xff) << 8) | ((id & 0xff) << 16);
    }
    this.regs.set(ESP32.spiBase + SPI_W0, w0 >>> 0);
    this.regs.set(ESP32.spiBase + SPI_CMD, (this.regs.get(ESP32.spiBase + SPI_CMD) ?? 0) & ~SPI_CMD_USR);
  }
}

/** CRC-8 (polynomial 0x07, reflected as the ESP32 eFuse MAC CRC: poly 0x8C LSB-first). */
export function macCrc8(mac: Uint8Array): number {
  let crc = 0;
  for (const b of mac) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8c : crc >>> 1;
  }
  return crc & 0xff;
}

/** A deterministic Espressif-looking MAC from a unit number (OUI 24:0A:C4). */
export function macFromSeed(seed: number): Uint8Array {
  const s = seed >>> 0;
  return Uint8Array.from([0x24, 0x0a, 0xc4, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff]);
}

export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
