/**
 * The host side of the ESP serial loader protocol over a `SerialLink`: framing, the command
 * round trip with its status check, connecting (reset sequence + SYNC with retries), chip
 * detection, the stub upload, baud change, flash writes, MD5 and READ_FLASH. Behaviour follows
 * esptool's loader (shared/reference/esp-serial-protocol.md sections 1 and 2) so the same client
 * drives the simulated module and a real chip.
 */
import { createHash } from "node:crypto";
import {
  describeStatus,
  encodeCommand,
  decodeResponse,
  Op,
  SYNC_PAYLOAD,
  words,
  checksum,
  dataPayload,
  opName,
  ESP_RAM_BLOCK,
  STUB_FLASH_WRITE_SIZE,
  ROM_FLASH_WRITE_SIZE,
} from "../../firmware-sim/download/protocol.js";
import { SlipDecoder, slipEncode } from "../../firmware-sim/download/slip.js";
import { ESP32 } from "../../firmware-sim/download/esp32-registers.js";
import { FlashbakError } from "../../firmware-sim/errors.js";
import type { SerialLink } from "../serial/link.js";
import { FlasherError } from "./flasher-error.js";
import type { HostTime } from "./host-time.js";
import { FLASHBAK_STUB, SIM_ID_REG, SIM_ID_VALUE } from "./stub-image.js";

export type Personality = "rom" | "stub";

export interface EspClientOptions {
  /** Default command timeout, milliseconds (esptool: 3000). */
  timeoutMs?: number;
  /** Attempts per data block before giving up (esptool: 3). */
  blockAttempts?: number;
  /** Called with loader chatter outside frames (boot banner, panic text). */
  onStray?: (text: string) => void;
}

export interface CommandResult {
  value: number;
  data: Uint8Array;
}

const SYNC_TIMEOUT_MS = 100;
const MAX_SKIPPED_PACKETS = 100;

export class EspClient {
  personality: Personality = "rom";
  /** The line's baud rate as the host set it (for request wire time in deadlines). */
  baud = 115200;
  private readonly decoder = new SlipDecoder();
  private packets: Uint8Array[] = [];
  private readonly timeoutMs: number;
  private readonly blockAttempts: number;
  /** Text received outside frames since the last connect (banner, panic messages). */
  stray = "";

  constructor(
    readonly link: SerialLink,
    readonly time: HostTime,
    private readonly opts: EspClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.blockAttempts = opts.blockAttempts ?? 3;
  }

  // ---- framing -----------------------------------------------------------------------------

  /** Set the line's baud rate (and remember it for deadlines). */
  async setBaud(baud: number): Promise<void> {
    await this.link.setBaudRate(baud);
    this.baud = baud;
  }

  async sendPacket(packet: Uint8Array): Promise<void> {
    await this.link.write(slipEncode(packet));
  }

  /** The next SLIP packet, waiting at most `timeoutMs` in total. */
  async readPacket(timeoutMs: number): Promise<Uint8Array> {
    const deadline = this.time.now() + timeoutMs;
    while (this.packets.length === 0) {
      const left = deadline - this.time.now();
      if (left <= 0)
        throw new FlasherError("ESP_TIMEOUT", `${this.link.name}: no answer within ${timeoutMs} ms`);
      let chunk: Uint8Array;
      try {
        chunk = await this.link.read(left);
      } catch (e) {
        if (e instanceof FlashbakError && e.code === "SERIAL_TIMEOUT") {
          throw new FlasherError("ESP_TIMEOUT", `${this.link.name}: no answer within ${timeoutMs} ms`, {
            cause: e,
          });
        }
        throw e;
      }
      this.packets.push(
        ...this.decoder.push(chunk, (n) => {
          if (n.stray === undefined) return;
          const text = new TextDecoder("latin1").decode(n.stray);
          this.stray += text;
          this.opts.onStray?.(text);
          if (/Guru Meditation|Fatal exception/.test(this.stray)) {
            throw new FlasherError(
              "ESP_COMMAND_FAILED",
              `${this.link.name}: the module crashed: ${this.stray.trim().slice(-200)}`,
              {
                hint: "the module is running firmware, not the loader: reset it into download mode",
              },
            );
          }
        }),
      );
    }
    return this.packets.shift()!;
  }

  /** Forget everything received (after a reset, a baud change or a failed block). */
  async flushInput(): Promise<void> {
    await this.link.discardInput();
    this.decoder.reset();
    this.packets = [];
  }

  /**
   * The stub's RUN_USER_CODE (esptool's `--after soft_reset`): leave the loader and start the
   * firmware without the reset lines. The stub answers nothing; it just goes.
   */
  async runUserCode(): Promise<void> {
    await this.link.write(slipEncode(encodeCommand(Op.RUN_USER_CODE, new Uint8Array(0))));
  }

  /** Send a command and wait for the response with the same opcode (skipping up to 100 others). */
  async command(
    op: number,
    data: Uint8Array,
    chk = 0,
    timeoutMs = this.timeoutMs,
  ): Promise<CommandResult & { status: Uint8Array }> {
    const frame = slipEncode(encodeCommand(op, data, chk));
    await this.link.write(frame);
    // The deadline runs from the end of the request on the wire (a 16 KiB block takes 1.4 s
    // at 115200 baud), like esptool's, which starts after pyserial's write has drained.
    const wait = timeoutMs + (frame.length * 10 * 1000) / this.baud;
    for (let i = 0; i < MAX_SKIPPED_PACKETS; i++) {
      const p = await this.readPacket(wait);
      const r = decodeResponse(p);
      if (r === undefined || r.op !== op) continue;
      // A SYNC answer tells the personality itself: the stub answers with value 0.
      if (op === Op.SYNC) this.personality = r.value === 0 ? "stub" : "rom";
      const statusLen = this.personality === "stub" ? 2 : 4;
      if (r.body.length < statusLen) {
        throw new FlasherError("ESP_COMMAND_FAILED", `${this.link.name}: ${opName(op)} answer too short`);
      }
      return {
        value: r.value,
        data: r.body.subarray(0, r.body.length - statusLen),
        status: r.body.subarray(r.body.length - statusLen),
      };
    }
    throw new FlasherError(
      "ESP_COMMAND_FAILED",
      `${this.link.name}: no ${opName(op)} answer among ${MAX_SKIPPED_PACKETS} packets`,
    );
  }

  /** `command` plus the status check: a failure status throws ESP_COMMAND_FAILED. */
  async check(op: number, data: Uint8Array, chk = 0, timeoutMs = this.timeoutMs): Promise<CommandResult> {
    const r = await this.command(op, data, chk, timeoutMs);
    if (r.status[0] !== 0) {
      const unsupported =
        this.personality === "rom" ? r.status[1] === 0x05 : r.status[0] === 0xc3 || r.status[0] === 0xff;
      if (unsupported) {
        // The ROM repeats its refusal several times: drain them before the next command.
        await this.drain(200);
        throw new FlasherError(
          "ESP_UNSUPPORTED",
          `${this.link.name}: the ${this.personality} loader does not support ${opName(op)}`,
        );
      }
      throw new FlasherError(
        "ESP_COMMAND_FAILED",
        `${this.link.name}: ${opName(op)} failed: ${describeStatus(r.status)}`,
        {
          details: { op, status: [...r.status] },
        },
      );
    }
    return { value: r.value, data: r.data };
  }

  private async drain(ms: number): Promise<void> {
    await this.time.sleep(ms);
    await this.flushInput();
  }

  // ---- connecting --------------------------------------------------------------------------

  /** One SYNC exchange: true when the loader answered. */
  async sync(): Promise<boolean> {
    try {
      // The answer sets `personality` (esptool's stub check: the stub answers value 0).
      await this.command(Op.SYNC, SYNC_PAYLOAD, 0, SYNC_TIMEOUT_MS);
      // Seven more replies follow; collect them so they do not confuse the next command.
      for (let i = 0; i < 7; i++) {
        try {
          await this.readPacket(SYNC_TIMEOUT_MS);
        } catch (e) {
          if (e instanceof FlasherError && e.code === "ESP_TIMEOUT") break;
          throw e;
        }
      }
      return true;
    } catch (e) {
      if (e instanceof FlasherError && e.code === "ESP_TIMEOUT") return false;
      throw e;
    }
  }

  /**
   * The classic DTR/RTS reset into download mode (esptool's ClassicReset): EN low, then EN
   * high while IO0 is held low, then IO0 released. Both lines are always set together, from
   * tracked state, so no adapter asserts a line we did not mean.
   */
  async resetIntoDownload(delayMs = 50): Promise<void> {
    await this.link.setSignals({ dtr: false, rts: true });
    await this.time.sleep(100);
    await this.link.setSignals({ dtr: true, rts: false });
    await this.time.sleep(delayMs);
    await this.link.setSignals({ dtr: false, rts: false });
  }

  /** `--after hard-reset`: pulse EN with IO0 high, so the module boots its firmware. */
  async hardReset(): Promise<void> {
    await this.link.setSignals({ dtr: false, rts: true });
    await this.time.sleep(100);
    await this.link.setSignals({ dtr: false, rts: false });
  }

  /**
   * Connect: up to `attempts` resets (when `reset` is true), each followed by up to 5 SYNCs
   * 50 ms apart, alternating the reset delay between 50 and 550 ms as esptool does.
   */
  async connect(opts: { attempts?: number; reset?: boolean } = {}): Promise<void> {
    const attempts = opts.attempts ?? 7;
    for (let a = 0; a < attempts; a++) {
      if (opts.reset !== false) {
        await this.resetIntoDownload(a % 2 === 0 ? 50 : 550);
      }
      await this.flushInput();
      for (let i = 0; i < 5; i++) {
        if (await this.sync()) return;
        await this.time.sleep(50);
      }
    }
    const banner = this.stray.includes("waiting for download");
    const boot = /boot:(0x[0-9a-fA-F]+)/.exec(this.stray)?.[1];
    throw new FlasherError(
      "ESP_NO_SYNC",
      `${this.link.name}: the module did not answer (${attempts} connection attempts)`,
      {
        hint: banner
          ? "the module printed its download banner but never answered SYNC: check the host's TX wire and the baud rate"
          : boot !== undefined
            ? `the module booted in mode ${boot}, not download mode: hold IO0/BOOT low while resetting, or check the DTR/RTS wiring`
            : "no answer at all: is this the right port, is the module powered, is another program holding the port, and is the module wired for auto-reset (or reset it into download mode by hand and use --before no-reset)?",
      },
    );
  }

  // ---- identification ----------------------------------------------------------------------

  async readReg(addr: number): Promise<number> {
    return (await this.check(Op.READ_REG, words(addr))).value;
  }

  async writeReg(addr: number, value: number, mask = 0xffffffff, delayUs = 0): Promise<void> {
    await this.check(Op.WRITE_REG, words(addr, value, mask, delayUs));
  }

  /** Detect the chip as esptool does: GET_SECURITY_INFO first, then the magic register. */
  async detectChip(): Promise<string> {
    try {
      await this.check(Op.GET_SECURITY_INFO, new Uint8Array(0));
    } catch (e) {
      if (!(e instanceof FlasherError) || (e.code !== "ESP_UNSUPPORTED" && e.code !== "ESP_COMMAND_FAILED"))
        throw e;
    }
    const magic = await this.readReg(ESP32.magicReg);
    if (magic !== ESP32.magic) {
      throw new FlasherError(
        "ESP_WRONG_CHIP",
        `${this.link.name}: chip magic 0x${magic.toString(16)} is not an ESP32`,
        {
          hint: "flashbak flashes ESP32-class download mode only; check the port",
        },
      );
    }
    return ESP32.name;
  }

  /** The station MAC from eFuse words 1 and 2. */
  async readMac(): Promise<string> {
    const w1 = await this.readReg(ESP32.efuseBase + 4);
    const w2 = await this.readReg(ESP32.efuseBase + 8);
    const bytes = [
      (w2 >> 8) & 0xff,
      w2 & 0xff,
      (w1 >>> 24) & 0xff,
      (w1 >> 16) & 0xff,
      (w1 >> 8) & 0xff,
      w1 & 0xff,
    ];
    return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
  }

  /** JEDEC ID of the flash through the SPI user-command registers (RDID). */
  async flashId(): Promise<number> {
    const base = ESP32.spiBase;
    const USR = base + 0x1c;
    const USR2 = base + 0x24;
    // The ROM's own flash routines use SPI_USR/SPI_USR2 too: put them back afterwards.
    const oldUsr = await this.readReg(USR);
    const oldUsr2 = await this.readReg(USR2);
    try {
      // Command phase + MISO phase; an 8-bit RDID command; no MOSI data; 24 bits to read.
      await this.writeReg(USR, ((1 << 31) | (1 << 28)) >>> 0);
      await this.writeReg(USR2, (7 << 28) | 0x9f);
      await this.writeReg(base + 0x28, 0);
      await this.writeReg(base + 0x2c, 23);
      await this.writeReg(base + 0x80, 0);
      await this.writeReg(base + 0x00, 1 << 18);
      for (let i = 0; i < 10; i++) if (((await this.readReg(base)) & (1 << 18)) === 0) break;
      const w0 = await this.readReg(base + 0x80);
      return ((w0 & 0xff) << 16) | (((w0 >> 8) & 0xff) << 8) | ((w0 >> 16) & 0xff);
    } finally {
      await this.writeReg(USR, oldUsr);
      await this.writeReg(USR2, oldUsr2);
    }
  }

  // ---- stub and link setup -----------------------------------------------------------------

  /** True when the module is the flashbak simulator (it alone may be sent our stub image). */
  async isSimulator(): Promise<boolean> {
    return (await this.readReg(SIM_ID_REG)) === SIM_ID_VALUE;
  }

  /** Upload the flasher stub to RAM and start it; wait for its "OHAI". */
  async runStub(): Promise<void> {
    if (this.personality === "stub") return;
    for (const seg of FLASHBAK_STUB.segments) {
      const blocks = Math.ceil(seg.data.length / ESP_RAM_BLOCK);
      await this.check(Op.MEM_BEGIN, words(seg.data.length, blocks, ESP_RAM_BLOCK, seg.addr));
      for (let i = 0; i < blocks; i++) {
        const block = seg.data.subarray(i * ESP_RAM_BLOCK, (i + 1) * ESP_RAM_BLOCK);
        await this.check(Op.MEM_DATA, dataPayload(i, block), checksum(block));
      }
    }
    await this.check(Op.MEM_END, words(0, FLASHBAK_STUB.entry), 0, 200);
    const hello = await this.readPacket(this.timeoutMs);
    if (new TextDecoder().decode(hello) !== "OHAI") {
      throw new FlasherError(
        "ESP_COMMAND_FAILED",
        `${this.link.name}: the stub did not greet (got ${hello.length} bytes)`,
      );
    }
    this.personality = "stub";
  }

  /** CHANGE_BAUDRATE: the answer comes at the old rate, then both ends switch. */
  async changeBaud(baud: number, currentBaud: number): Promise<void> {
    await this.check(Op.CHANGE_BAUDRATE, words(baud, this.personality === "stub" ? currentBaud : 0));
    await this.link.setBaudRate(baud);
    this.baud = baud;
    await this.time.sleep(50);
    await this.flushInput();
  }

  async spiAttach(): Promise<void> {
    await this.check(Op.SPI_ATTACH, this.personality === "stub" ? words(0) : words(0, 0));
  }

  async spiSetParams(totalSize: number): Promise<void> {
    await this.check(Op.SPI_SET_PARAMS, words(0, totalSize, 0x10000, 0x1000, 0x100, 0xffff));
  }

  // ---- flash -------------------------------------------------------------------------------

  get writeBlockSize(): number {
    return this.personality === "stub" ? STUB_FLASH_WRITE_SIZE : ROM_FLASH_WRITE_SIZE;
  }

  /**
   * FLASH_BEGIN or FLASH_DEFL_BEGIN. `size` is the uncompressed size, `wireSize` what will be
   * sent (compressed length for DEFL). The ROM erases the region now, so its timeout scales.
   */
  async flashBegin(opts: {
    offset: number;
    size: number;
    wireSize: number;
    compressed: boolean;
  }): Promise<number> {
    const bs = this.writeBlockSize;
    const blocks = Math.ceil(opts.wireSize / bs);
    const size = opts.compressed && this.personality === "rom" ? Math.ceil(opts.size / bs) * bs : opts.size;
    const op = opts.compressed ? Op.FLASH_DEFL_BEGIN : Op.FLASH_BEGIN;
    const eraseMs = this.personality === "rom" ? (opts.size / 1e6) * 40_000 : 0;
    await this.check(op, words(size, blocks, bs, opts.offset), 0, Math.max(this.timeoutMs, eraseMs));
    return blocks;
  }

  /** One data block, retried up to `blockAttempts` times on timeouts and checksum failures. */
  async flashBlock(seq: number, block: Uint8Array, compressed: boolean): Promise<void> {
    const op = compressed ? Op.FLASH_DEFL_DATA : Op.FLASH_DATA;
    const payload = dataPayload(seq, block);
    const chk = checksum(block);
    // The ROM writes (and its erase may run) before it answers; the stub answers at once but
    // may still be writing the previous block.
    const timeout = this.timeoutMs + (block.length / 1e6) * 40_000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.check(op, payload, chk, timeout);
        return;
      } catch (e) {
        const retriable =
          e instanceof FlasherError &&
          (e.code === "ESP_TIMEOUT" || (e.code === "ESP_COMMAND_FAILED" && isChecksumStatus(e)));
        if (!retriable || attempt >= this.blockAttempts) throw e;
        await this.time.sleep(150);
        await this.flushInput();
      }
    }
  }

  /** FLASH_END / FLASH_DEFL_END with "stay in the loader" (1) or "reboot" (0). */
  async flashEnd(compressed: boolean, stay: boolean): Promise<void> {
    await this.check(compressed ? Op.FLASH_DEFL_END : Op.FLASH_END, words(stay ? 1 : 0));
  }

  /** MD5 of a flash range as 32 lowercase hex digits (ROM answers hex text, the stub raw bytes). */
  async md5(addr: number, size: number): Promise<string> {
    const timeout = Math.max(this.timeoutMs, (size / 1e6) * 8000);
    const r = await this.check(Op.SPI_FLASH_MD5, words(addr, size, 0, 0), 0, timeout);
    if (r.data.length === 16) return [...r.data].map((b) => b.toString(16).padStart(2, "0")).join("");
    if (r.data.length === 32) return new TextDecoder().decode(r.data).toLowerCase();
    throw new FlasherError("ESP_COMMAND_FAILED", `${this.link.name}: MD5 answer of ${r.data.length} bytes`);
  }

  async eraseRegion(offset: number, size: number): Promise<void> {
    await this.check(
      Op.ERASE_REGION,
      words(offset, size),
      0,
      Math.max(this.timeoutMs, (size / 1e6) * 40_000),
    );
  }

  /** READ_FLASH (stub): stream `size` bytes with acknowledgements, then check the MD5 frame. */
  async readFlash(addr: number, size: number, onProgress?: (n: number) => void): Promise<Uint8Array> {
    const packetSize = 0x1000;
    await this.check(Op.READ_FLASH, words(addr, size, packetSize, 64));
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const p = await this.readPacket(this.timeoutMs);
      if (got + p.length > size)
        throw new FlasherError("ESP_COMMAND_FAILED", `${this.link.name}: READ_FLASH sent too much`);
      out.set(p, got);
      got += p.length;
      await this.sendPacket(words(got));
      onProgress?.(got);
    }
    const digest = await this.readPacket(this.timeoutMs);
    const want = createHash("md5").update(out).digest();
    if (digest.length !== 16 || !want.equals(digest)) {
      throw new FlasherError(
        "ESP_VERIFY_FAILED",
        `${this.link.name}: READ_FLASH digest mismatch at 0x${addr.toString(16)}`,
      );
    }
    return out;
  }
}

function isChecksumStatus(e: FlasherError): boolean {
  const status = e.details?.status;
  if (!Array.isArray(status)) return false;
  return (status[0] === 1 && status[1] === 0x07) || status[0] === 0xc1;
}
