/**
 * What `flashbak flash` uploads as "the stub" to a simulated module.
 *
 * A real host uploads esptool's flasher stub (machine code) with MEM_BEGIN/MEM_DATA and starts
 * it with MEM_END. The simulated module never executes uploaded code: a MEM_END to an entry
 * point makes it answer with the stub's protocol. So we upload a small, self-describing data
 * image instead of machine code, and ONLY to a module that identifies as the flashbak
 * simulator (`SIM_ID_REG`): a real ESP32 would jump into it, so against real hardware the
 * flasher stays with the ROM loader.
 *
 * The image is an ASCII header plus a deterministic body, so the upload path (blocks of
 * ESP_RAM_BLOCK, checksums, sequence numbers, two segments) is exercised as with a real stub.
 */
import { ESP32 } from "../../firmware-sim/download/esp32-registers.js";

export interface StubSegment {
  /** RAM address of the segment (IRAM for text, DRAM for data). */
  addr: number;
  data: Uint8Array;
}

export interface StubImage {
  segments: StubSegment[];
  /** Entry point passed to MEM_END (non-zero = execute). */
  entry: number;
}

const TEXT_START = 0x400b_e000;
const DATA_START = 0x3ffe_8000;

function segment(addr: number, tag: string, size: number): StubSegment {
  const data = new Uint8Array(size);
  const head = new TextEncoder().encode(`flashbak-stub/1 ${tag} (simulated module only; not machine code)\n`);
  data.set(head, 0);
  // A deterministic body with every byte value, so SLIP escapes and checksums are exercised.
  for (let i = head.length; i < size; i++) data[i] = (i * 131 + 7) & 0xff;
  return { addr, data };
}

export const FLASHBAK_STUB: StubImage = {
  // 8 KiB of "text" (two RAM blocks) and 1 KiB of "data", the order esptool uploads them in.
  segments: [segment(TEXT_START, "text", 0x2000), segment(DATA_START, "data", 0x400)],
  entry: TEXT_START,
};

/**
 * A ROM word only the simulator answers with "FBAK" (0x4B414246 little-endian). It lies in the
 * ESP32's instruction ROM next to the chip-detect magic, so reading it on a real chip is safe
 * and returns ROM contents instead.
 */
export const SIM_ID_REG: number = ESP32.simIdReg;
export const SIM_ID_VALUE: number = ESP32.simIdValue;
