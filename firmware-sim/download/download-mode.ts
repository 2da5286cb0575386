/**
 * The module's download mode: the ESP ROM serial loader, as a `UartPeer` over the NOR flash
 * (shared/reference/esp-serial-protocol.md sections 1 and 2). The simulated module identifies
 * as an ESP32 (esp32-registers.ts).
 *
 * Two personalities, as on the chip:
 * - "rom": what the mask ROM answers after a reset into download mode. 4 status bytes, errors
 *   as [1, code], MD5 as 32 hex characters, READ_FLASH_SLOW, up-front erase, write before ACK.
 * - "stub": what the flasher stub answers once a host uploaded it with MEM_BEGIN/MEM_DATA and
 *   started it with MEM_END. The uploaded code is not executed: MEM_END to an entry point
 *   switches personality and sends the stub's "OHAI" greeting. 2 status bytes, 16-bit
 *   big-endian error codes, raw MD5, READ_FLASH streaming, ERASE_*, ACK before write.
 *
 * The loader lives in mask ROM: entering it never depends on flash contents, so a module whose
 * flash was half written (power cut, disconnect) always comes back to download mode.
 *
 * Timing: the module's clock is the flash's. The link delivers bytes at their arrival time
 * (the clock never runs backwards: a busy module handles them when it gets to them); each
 * command costs `commandUs` of CPU time, MD5 and inflate cost their throughput, and every
 * flash operation costs what the chip's datasheet says (NorFlash).
 */
import { createHash } from "node:crypto";
import { isPowerLoss } from "../errors.js";
import { FlashError } from "../flash/flash-error.js";
import type { NorFlash } from "../flash/nor-flash.js";
import type { UartPeer, UartTx } from "../serial/uart.js";
import { Esp32Registers, macFromSeed } from "./esp32-registers.js";
import { WriteSession, WriteSessionError } from "./flash-writer.js";
import { CommandFailed, F, need, writeFail, type Fail } from "./loader-status.js";
import { RamUpload } from "./ram-upload.js";
import {
  decodeCommand,
  encodeResponse,
  OHAI,
  Op,
  RomError,
  StubError,
  STUB_FLASH_WRITE_SIZE,
  checksum,
  wordAt,
} from "./protocol.js";
import { ReadFlashStream } from "./read-flash-stream.js";
import { SlipDecoder, slipEncode } from "./slip.js";

export type LoaderState = "off" | "reset" | "rom" | "stub";

/** Why the module left download mode. */
export type LeaveReason = "reset" | "run-user-code" | "flash-end";

export interface DownloadModeConfig {
  flash: NorFlash;
  tx: UartTx;
  /** The station MAC in eFuse (6 bytes). Default: derived from `macSeed`. */
  mac?: Uint8Array;
  /** Seed for the default MAC (the unit number on a test bench). Default 1. */
  macSeed?: number;
  /** CPU time per command, microseconds (parsing, checksum, reply). Default 20; 0 = free. */
  commandUs?: number;
  /** MD5 speed on the module, bytes per microsecond. Default 20 (20 MB/s); 0 = free. */
  md5BytesPerUs?: number;
  /** Inflate speed on the module, output bytes per microsecond. Default 30; 0 = free. */
  inflateBytesPerUs?: number;
  /**
   * Called when the module starts its firmware: the loader exits (FLASH_END, RUN_USER_CODE,
   * `leave`) or a reset releases EN with IO0 high (from download mode or from the firmware).
   */
  onLeave?: (reason: LeaveReason) => void;
  /**
   * Called when the module's UART rate changes: the new rate after CHANGE_BAUDRATE, or 0 when
   * it goes back to following the host (a reset into the ROM's auto-baud, or the firmware).
   */
  onBaudChange?: (baud: number) => void;
  /** Called when the flash lost power inside a command: the module is dead until re-powered. */
  onPowerLoss?: (e: unknown) => void;
}

/** The ROM's SYNC reply value (docs trace); the stub answers 0, which is how hosts detect it. */
const ROM_SYNC_VALUE = 0x20120707;
/** The ROM and the stub both answer a SYNC eight times. */
const SYNC_REPLIES = 8;
/** The ROM repeats its "invalid message" answer to an unsupported command about 8 times. */
const UNSUPPORTED_REPLIES = 8;

export const ROM_BANNER =
  "ets Jun  8 2016 00:22:57\r\n\r\n" +
  "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n" +
  "waiting for download\r\n";

export class DownloadMode implements UartPeer {
  readonly flash: NorFlash;
  readonly registers: Esp32Registers;
  private readonly tx: UartTx;
  private readonly cfg: DownloadModeConfig;
  private readonly decoder = new SlipDecoder();
  private stateValue: LoaderState = "off";
  private dtr = false;
  private rts = false;
  private spiAttached = false;
  private session: WriteSession | undefined;
  private mem: RamUpload | undefined;
  private reader: ReadFlashStream | undefined;
  /** A flash error from the stub's write-after-ACK, reported on the next data/end command. */
  private deferred: Fail | undefined;

  constructor(cfg: DownloadModeConfig) {
    this.cfg = cfg;
    this.flash = cfg.flash;
    this.tx = cfg.tx;
    this.registers = new Esp32Registers(cfg.mac ?? macFromSeed(cfg.macSeed ?? 1), cfg.flash.chip);
  }

  get state(): LoaderState {
    return this.stateValue;
  }

  /** True while the module is in the ROM loader or the stub (not running firmware). */
  get active(): boolean {
    return this.stateValue === "rom" || this.stateValue === "stub";
  }

  /** Reset into download mode (the serve command's --download, the control channel). */
  enter(): void {
    this.stateValue = "rom";
    this.spiAttached = false;
    this.session = undefined;
    this.mem = undefined;
    this.reader = undefined;
    this.deferred = undefined;
    this.decoder.reset();
    this.registers.baud = 115200;
    this.cfg.onBaudChange?.(0);
    this.send(new TextEncoder().encode(ROM_BANNER));
  }

  /** Leave download mode without a reset line change (the module was reset into firmware). */
  leave(reason: LeaveReason): void {
    if (!this.active) return;
    this.stateValue = "off";
    this.session = undefined;
    this.reader = undefined;
    this.cfg.onBaudChange?.(0);
    this.cfg.onLeave?.(reason);
  }

  /** The ROM detects the host's baud rate from SYNC (auto-baud); UART_CLKDIV follows it. */
  baudChanged(baud: number): void {
    this.registers.baud = baud;
  }

  /**
   * DTR drives IO0 and RTS drives EN through the two-transistor auto-reset circuit: EN is low
   * only when RTS is asserted and DTR is not; IO0 is low only when DTR is asserted and RTS is
   * not. A rising EN samples IO0: low = download mode, high = run the firmware.
   */
  signalsChanged(signals: { dtr: boolean; rts: boolean }): void {
    const enBefore = !(this.rts && !this.dtr);
    this.dtr = signals.dtr;
    this.rts = signals.rts;
    const en = !(this.rts && !this.dtr);
    const io0Low = this.dtr && !this.rts;
    if (enBefore && !en) {
      // Held in reset: nothing runs until EN rises again, so nobody boots yet.
      this.stateValue = "reset";
      this.decoder.reset();
    } else if (!enBefore && en) {
      if (io0Low) this.enter();
      else {
        this.stateValue = "off";
        this.cfg.onBaudChange?.(0);
        this.cfg.onLeave?.("reset");
      }
    }
  }

  receive(data: Uint8Array): void {
    if (!this.active) return;
    for (const packet of this.decoder.push(data)) {
      if (!this.active) return;
      try {
        this.handlePacket(packet);
      } catch (e) {
        if (isPowerLoss(e)) {
          this.stateValue = "off";
          this.cfg.onPowerLoss?.(e);
          throw e;
        }
        throw e;
      }
    }
  }

  // ---- packets -----------------------------------------------------------------------------

  private handlePacket(packet: Uint8Array): void {
    if (this.reader !== undefined && packet.length === 4) {
      // READ_FLASH acknowledgements are bare 4-byte frames, not commands.
      const done = this.reader.ack(new DataView(packet.buffer, packet.byteOffset, 4).getUint32(0, true));
      if (done) this.reader = undefined;
      return;
    }
    const cmd = decodeCommand(packet);
    if (cmd === undefined) {
      if (packet.length >= 2 && packet[0] === 0x00) this.fail(packet[1]!, F.badLen);
      return;
    }
    this.cpu(this.cfg.commandUs ?? 20);
    try {
      this.dispatch(cmd.op, cmd.data, cmd.checksum);
    } catch (e) {
      if (e instanceof CommandFailed) this.fail(cmd.op, e.fail);
      else if (e instanceof WriteSessionError) this.fail(cmd.op, writeFail(e));
      else if (e instanceof FlashError) this.fail(cmd.op, F.flashWrite);
      else throw e;
    }
  }

  private dispatch(op: number, d: Uint8Array, chk: number): void {
    const stub = this.stateValue === "stub";
    switch (op) {
      case Op.SYNC:
        for (let i = 0; i < SYNC_REPLIES; i++) this.ok(op, new Uint8Array(0), stub ? 0 : ROM_SYNC_VALUE);
        return;
      case Op.READ_REG:
        this.ok(op, new Uint8Array(0), this.registers.read(need(d, 0)));
        return;
      case Op.WRITE_REG: {
        if (d.length === 0 || d.length % 16 !== 0 || (!stub && d.length !== 16))
          throw new CommandFailed(F.badLen);
        for (let i = 0; i < d.length / 16; i++) {
          this.registers.write(need(d, i * 4), need(d, i * 4 + 1), need(d, i * 4 + 2));
          this.cpu(need(d, i * 4 + 3));
        }
        this.ok(op);
        return;
      }
      case Op.SPI_ATTACH:
        this.spiAttached = true;
        this.ok(op);
        return;
      case Op.SPI_SET_PARAMS:
        need(d, 5);
        this.ok(op);
        return;
      case Op.CHANGE_BAUDRATE: {
        const baud = need(d, 0);
        if (baud < 300 || baud > 5_000_000) throw new CommandFailed(F.invalid);
        this.ok(op);
        this.registers.baud = baud;
        this.cfg.onBaudChange?.(baud);
        return;
      }
      case Op.FLASH_BEGIN:
      case Op.FLASH_DEFL_BEGIN:
        this.flashBegin(op, d);
        return;
      case Op.FLASH_DATA:
      case Op.FLASH_DEFL_DATA:
        this.flashData(op, d, chk);
        return;
      case Op.FLASH_END:
      case Op.FLASH_DEFL_END:
        this.flashEnd(op, d);
        return;
      case Op.MEM_BEGIN:
        this.mem = RamUpload.begin(d);
        this.ok(op);
        return;
      case Op.MEM_DATA:
        if (this.mem === undefined) throw new CommandFailed(F.notFlashing);
        this.mem.accept(d, chk);
        this.ok(op);
        return;
      case Op.MEM_END:
        this.memEnd(d);
        return;
      case Op.SPI_FLASH_MD5:
        this.md5(op, need(d, 0), need(d, 1));
        return;
      case Op.READ_FLASH_SLOW:
        if (stub) break;
        this.readSlow(op, need(d, 0), need(d, 1));
        return;
      case Op.READ_FLASH:
        if (!stub) break;
        this.ok(op);
        this.reader = new ReadFlashStream(this.flash, (frame) => this.send(slipEncode(frame)), {
          offset: need(d, 0),
          length: need(d, 1),
          packetSize: need(d, 2),
          maxUnacked: need(d, 3),
          md5BytesPerUs: this.cfg.md5BytesPerUs ?? 20,
        });
        if (this.reader.start()) this.reader = undefined;
        return;
      case Op.ERASE_FLASH:
        if (!stub) break;
        this.flash.eraseChip();
        this.ok(op);
        return;
      case Op.ERASE_REGION: {
        if (!stub) break;
        const off = need(d, 0);
        const size = need(d, 1);
        const ss = this.flash.sectorSize;
        if (off % ss !== 0 || size % ss !== 0 || off + size > this.flash.size)
          throw new CommandFailed(F.badLen);
        if (size > 0) this.flash.erase(off, size);
        this.ok(op);
        return;
      }
      case Op.RUN_USER_CODE:
        if (!stub) break;
        this.leave("run-user-code");
        return;
      default:
        break;
    }
    // GET_SECURITY_INFO lands here too: the ESP32 ROM does not implement it.
    const times = stub ? 1 : UNSUPPORTED_REPLIES;
    for (let i = 0; i < times; i++) this.fail(op, F.invalid);
  }

  // ---- flash writes ------------------------------------------------------------------------

  private flashBegin(op: number, d: Uint8Array): void {
    const stub = this.stateValue === "stub";
    if (!stub && !this.spiAttached) throw new CommandFailed(F.notFlashing);
    const size = need(d, 0);
    const numBlocks = need(d, 1);
    const blockSize = need(d, 2);
    const offset = need(d, 3);
    if (blockSize === 0 || (stub && blockSize > STUB_FLASH_WRITE_SIZE) || blockSize > 0x10000) {
      throw new CommandFailed(F.blockSize);
    }
    const compressed = op === Op.FLASH_DEFL_BEGIN;
    // The ROM rounds a compressed size up to whole blocks and erases that much now.
    this.session = new WriteSession(this.flash, {
      offset,
      size,
      numBlocks,
      blockSize,
      compressed,
      eraseUpFront: !stub,
    });
    this.deferred = undefined;
    this.ok(op);
  }

  private flashData(op: number, d: Uint8Array, chk: number): void {
    const s = this.session;
    const stub = this.stateValue === "stub";
    if (s === undefined || s.params.compressed !== (op === Op.FLASH_DEFL_DATA))
      throw new CommandFailed(F.notFlashing);
    if (this.deferred !== undefined) {
      const f = this.deferred;
      this.deferred = undefined;
      throw new CommandFailed(f);
    }
    const len = need(d, 0);
    const seq = need(d, 1);
    const block = d.subarray(16);
    if (len !== block.length) throw new CommandFailed(F.badLen);
    if (checksum(block) !== (chk & 0xff)) throw new CommandFailed(F.checksum);
    if (seq === s.nextSeq - 1) {
      // The host retried a block whose ACK it lost: it is already written; ACK it again.
      this.ok(op);
      return;
    }
    if (seq !== s.nextSeq) throw new CommandFailed(F.badLen);
    if (!stub) {
      this.accept(s, block);
      this.ok(op);
      return;
    }
    // The stub ACKs a block as soon as it is checksummed and writes it while the next arrives.
    this.ok(op);
    try {
      this.accept(s, block);
    } catch (e) {
      if (e instanceof WriteSessionError) this.deferred = writeFail(e);
      else if (e instanceof FlashError) this.deferred = F.flashWrite;
      else throw e;
    }
  }

  /** Write one block, charging the inflate time for what it decompressed to. */
  private accept(s: WriteSession, block: Uint8Array): void {
    const before = s.written;
    s.accept(block);
    if (s.params.compressed) this.cpu(s.written - before, this.cfg.inflateBytesPerUs ?? 30);
  }

  private flashEnd(op: number, d: Uint8Array): void {
    const stub = this.stateValue === "stub";
    const stay = (wordAt(d, 0) ?? 0) === 1;
    if (this.deferred !== undefined) {
      const f = this.deferred;
      this.deferred = undefined;
      throw new CommandFailed(f);
    }
    if (this.session === undefined) throw new CommandFailed(F.notFlashing);
    if (stub && this.session.params.compressed && !this.session.complete)
      throw new CommandFailed(F.notEnough);
    this.session = undefined;
    this.ok(op);
    // The ROM leaves the loader on either END; the stub only when asked to reboot.
    if (!stub || !stay) this.leave("flash-end");
  }

  // ---- RAM upload (the stub) ----------------------------------------------------------------

  private memEnd(d: Uint8Array): void {
    const noExec = need(d, 0);
    const entry = need(d, 1);
    this.mem = undefined;
    this.ok(Op.MEM_END);
    if (noExec === 0 && entry !== 0) {
      // The uploaded code would now run; we become the stub it would have been.
      this.stateValue = "stub";
      this.session = undefined;
      this.send(slipEncode(OHAI));
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  private md5(op: number, addr: number, size: number): void {
    if (addr + size > this.flash.size) throw new CommandFailed(F.flashRead);
    const h = createHash("md5");
    const chunk = new Uint8Array(0x10000);
    for (let done = 0; done < size;) {
      const n = Math.min(chunk.length, size - done);
      const view = chunk.subarray(0, n);
      this.flash.readInto(addr + done, view);
      h.update(view);
      done += n;
    }
    this.cpu(size, this.cfg.md5BytesPerUs ?? 20);
    const digest = new Uint8Array(h.digest());
    if (this.stateValue === "stub") this.ok(op, digest);
    else this.ok(op, new TextEncoder().encode(hex(digest)));
  }

  private readSlow(op: number, addr: number, len: number): void {
    if (len > 64) throw new CommandFailed({ rom: RomError.FLASH_READ_LENGTH, stub: StubError.BAD_DATA_LEN });
    if (addr + len > this.flash.size) throw new CommandFailed(F.flashRead);
    const out = new Uint8Array(64).fill(0xff);
    this.flash.readInto(addr, out.subarray(0, len));
    this.ok(op, out);
  }

  // ---- replies -----------------------------------------------------------------------------

  private ok(op: number, data: Uint8Array = new Uint8Array(0), value = 0): void {
    const status = new Uint8Array(this.stateValue === "stub" ? 2 : 4);
    this.reply(op, value, data, status);
  }

  private fail(op: number, f: Fail): void {
    if (this.stateValue === "stub")
      this.reply(op, 0, new Uint8Array(0), Uint8Array.from([f.stub >> 8, f.stub & 0xff]));
    else this.reply(op, 0, new Uint8Array(0), Uint8Array.from([1, f.rom, 0, 0]));
  }

  private reply(op: number, value: number, data: Uint8Array, status: Uint8Array): void {
    const body = new Uint8Array(data.length + status.length);
    body.set(data, 0);
    body.set(status, data.length);
    this.send(slipEncode(encodeResponse(op, value, body)));
  }

  private send(bytes: Uint8Array): void {
    this.tx.send(bytes);
  }

  /** Charge CPU time: `amount` microseconds, or `amount` bytes at `bytesPerUs`. */
  private cpu(amount: number, bytesPerUs?: number): void {
    if (amount <= 0) return;
    if (bytesPerUs === undefined) this.flash.clock.advance(amount);
    else if (bytesPerUs > 0) this.flash.clock.advance(amount / bytesPerUs);
  }
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
