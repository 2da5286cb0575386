/**
 * How the loader fails a command, in both personalities: each failure has a ROM code (sent as
 * `[1, code, 0, 0]`) and a stub code (16 bits, big-endian), from the tables in protocol.ts.
 * Handlers throw `CommandFailed`; the loader turns it into the reply of its current personality.
 */
import type { WriteSessionError } from "./flash-writer.js";
import { RomError, StubError, wordAt } from "./protocol.js";

export type Fail = { rom: number; stub: number };
export const F = {
  invalid: { rom: RomError.INVALID_MESSAGE, stub: StubError.INVALID_COMMAND },
  badLen: { rom: RomError.INVALID_MESSAGE, stub: StubError.BAD_DATA_LEN },
  checksum: { rom: RomError.BAD_CRC, stub: StubError.BAD_DATA_CHECKSUM },
  blockSize: { rom: RomError.BAD_PARAM, stub: StubError.BAD_BLOCKSIZE },
  notFlashing: { rom: RomError.FAILED_TO_ACT, stub: StubError.NOT_IN_FLASH_MODE },
  flashWrite: { rom: RomError.FLASH_WRITE, stub: StubError.FAILED_SPI_OP },
  flashRead: { rom: RomError.FLASH_READ, stub: StubError.FAILED_SPI_OP },
  inflate: { rom: RomError.DEFLATE, stub: StubError.INFLATE_ERROR },
  adler: { rom: RomError.DEFLATE_ADLER32, stub: StubError.INFLATE_ERROR },
  tooMuch: { rom: RomError.FLASH_WRITE, stub: StubError.TOO_MUCH_DATA },
  notEnough: { rom: RomError.FAILED_TO_ACT, stub: StubError.NOT_ENOUGH_DATA },
  ramSize: { rom: RomError.BAD_RAM_SIZE, stub: StubError.BAD_DATA_LEN },
  ramAddr: { rom: RomError.BAD_RAM_ADDRESS, stub: StubError.BAD_DATA_LEN },
} satisfies Record<string, Fail>;

export class CommandFailed extends Error {
  constructor(readonly fail: Fail) {
    super("loader command failed");
  }
}

/** The i-th payload word, or a "bad length" failure when the payload is too short. */
export function need(d: Uint8Array, i: number): number {
  const v = wordAt(d, i);
  if (v === undefined) throw new CommandFailed(F.badLen);
  return v;
}

export function writeFail(e: WriteSessionError): Fail {
  switch (e.kind) {
    case "adler32":
      return F.adler;
    case "inflate":
      return F.inflate;
    case "too-much-data":
      return F.tooMuch;
    case "range":
      return F.flashWrite;
  }
}
