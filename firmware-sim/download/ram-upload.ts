/**
 * MEM_BEGIN / MEM_DATA: a host uploading code to the chip's RAM (esptool's flasher stub). The
 * simulated module keeps no RAM image (it never executes what it receives), but it checks the
 * upload as the ROM does: the target must lie in the ESP32's IRAM or DRAM, blocks may not
 * exceed ESP_RAM_BLOCK, sequence numbers and checksums must hold, and the blocks may not
 * overrun the announced size.
 */
import { ESP32 } from "./esp32-registers.js";
import { CommandFailed, F, need } from "./loader-status.js";
import { checksum, ESP_RAM_BLOCK } from "./protocol.js";

export class RamUpload {
  private nextSeq = 0;
  private received = 0;

  private constructor(
    /** RAM address of the segment. */
    readonly addr: number,
    /** Bytes announced. */
    readonly size: number,
    private readonly blockSize: number,
  ) {}

  /** MEM_BEGIN payload: total size, number of blocks, block size, address. */
  static begin(d: Uint8Array): RamUpload {
    const size = need(d, 0);
    const blocks = need(d, 1);
    const blockSize = need(d, 2);
    const addr = need(d, 3);
    if (blockSize > ESP_RAM_BLOCK || blocks * blockSize < size) throw new CommandFailed(F.ramSize);
    const inRam = ESP32.ramRanges.some((r) => addr >= r.start && addr + size <= r.end);
    if (!inRam) throw new CommandFailed(F.ramAddr);
    return new RamUpload(addr, size, blockSize);
  }

  /** MEM_DATA payload (16-byte header + data) and its checksum word. */
  accept(d: Uint8Array, chk: number): void {
    const len = need(d, 0);
    const seq = need(d, 1);
    const block = d.subarray(16);
    if (len !== block.length || len > this.blockSize) throw new CommandFailed(F.badLen);
    if (checksum(block) !== (chk & 0xff)) throw new CommandFailed(F.checksum);
    if (seq !== this.nextSeq) throw new CommandFailed(F.badLen);
    if (this.received + len > this.size) throw new CommandFailed(F.ramSize);
    this.nextSeq++;
    this.received += len;
  }

  /** True once every announced byte arrived. */
  get complete(): boolean {
    return this.received === this.size;
  }
}
