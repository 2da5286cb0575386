/**
 * The ESP serial loader's packets, opcodes and status codes, shared by the simulated module
 * (firmware-sim/download/download-mode.ts) and the host flasher (tools/flasher/). Layouts and
 * values come from shared/reference/esp-serial-protocol.md sections 1.3 to 1.7; every
 * multi-byte field is little-endian except the stub's 16-bit error code.
 */

export const Op = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  READ_FLASH_SLOW: 0x0e,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export function opName(op: number): string {
  for (const [k, v] of Object.entries(Op)) if (v === op) return k;
  return `0x${op.toString(16).padStart(2, "0")}`;
}

/** ROM loader failure codes (the second status byte after a 1). */
export const RomError = {
  INVALID_MESSAGE: 0x05,
  FAILED_TO_ACT: 0x06,
  BAD_CRC: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  FLASH_READ_LENGTH: 0x0a,
  DEFLATE: 0x0b,
  DEFLATE_ADLER32: 0x0c,
  DEFLATE_PARAM: 0x0d,
  BAD_RAM_SIZE: 0x0e,
  BAD_RAM_ADDRESS: 0x0f,
  BAD_PARAM: 0x64,
  INVALID_FORMAT: 0x65,
  DESC_CRC: 0x66,
  FLASH_DONE_ERROR: 0x67,
  NOT_SUPPORTED: 0x68,
  FLASH_BUSY: 0x69,
} as const;

/** Stub failure codes: a 16-bit value sent big-endian, so the first status byte is `code >> 8`. */
export const StubError = {
  BAD_DATA_LEN: 0xc000,
  BAD_DATA_CHECKSUM: 0xc100,
  BAD_BLOCKSIZE: 0xc200,
  INVALID_COMMAND: 0xc300,
  FAILED_SPI_OP: 0xc400,
  FAILED_SPI_UNLOCK: 0xc500,
  NOT_IN_FLASH_MODE: 0xc600,
  INFLATE_ERROR: 0xc700,
  NOT_ENOUGH_DATA: 0xc800,
  TOO_MUCH_DATA: 0xc900,
  NOT_IMPLEMENTED: 0xff00,
} as const;

/** Human text for a failure, from whichever table the first status byte selects. */
export function describeStatus(status: Uint8Array): string {
  const s0 = status[0] ?? 0;
  const s1 = status[1] ?? 0;
  if (s0 === 1) {
    const name = Object.entries(RomError).find(([, v]) => v === s1)?.[0];
    return `ROM error 0x${s1.toString(16)}${name ? ` (${name})` : ""}`;
  }
  const code = (s0 << 8) | s1;
  const name = Object.entries(StubError).find(([, v]) => v === code)?.[0];
  return `stub error 0x${code.toString(16)}${name ? ` (${name})` : ""}`;
}

/** The SYNC payload: 07 07 12 20 then 32 bytes of 0x55. */
export const SYNC_PAYLOAD: Uint8Array = Uint8Array.from([
  0x07,
  0x07,
  0x12,
  0x20,
  ...new Array<number>(32).fill(0x55),
]);

/** Seed of the data checksum: XOR of every data byte starting from 0xEF. */
export const CHECKSUM_SEED = 0xef;

export function checksum(data: Uint8Array): number {
  let c = CHECKSUM_SEED;
  for (const b of data) c ^= b;
  return c;
}

/** A command packet, host to chip. */
export interface Command {
  op: number;
  /** Used only by the *_DATA commands; 0 otherwise. */
  checksum: number;
  data: Uint8Array;
}

/** A response packet, chip to host. `body` is the data field including the status bytes. */
export interface Response {
  op: number;
  value: number;
  body: Uint8Array;
}

export function encodeCommand(op: number, data: Uint8Array, chk = 0): Uint8Array {
  const p = new Uint8Array(8 + data.length);
  const v = new DataView(p.buffer);
  p[0] = 0x00;
  p[1] = op;
  v.setUint16(2, data.length, true);
  v.setUint32(4, chk >>> 0, true);
  p.set(data, 8);
  return p;
}

/** Parse a host packet; undefined when it is not a well-formed command (wrong direction, short). */
export function decodeCommand(p: Uint8Array): Command | undefined {
  if (p.length < 8 || p[0] !== 0x00) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const size = v.getUint16(2, true);
  if (p.length - 8 !== size) return undefined;
  return { op: p[1]!, checksum: v.getUint32(4, true), data: p.subarray(8) };
}

export function encodeResponse(op: number, value: number, body: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + body.length);
  const v = new DataView(p.buffer);
  p[0] = 0x01;
  p[1] = op;
  v.setUint16(2, body.length, true);
  v.setUint32(4, value >>> 0, true);
  p.set(body, 8);
  return p;
}

export function decodeResponse(p: Uint8Array): Response | undefined {
  if (p.length < 8 || p[0] !== 0x01) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { op: p[1]!, value: v.getUint32(4, true), body: p.subarray(8) };
}

/** Pack 32-bit little-endian words. */
export function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return out;
}

/** Read the i-th 32-bit little-endian word of a payload (undefined past the end). */
export function wordAt(data: Uint8Array, i: number): number | undefined {
  if (data.length < (i + 1) * 4) return undefined;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(i * 4, true);
}

/** The 16-byte header of a *_DATA payload: length, sequence number, two zero words. */
export function dataPayload(seq: number, block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + block.length);
  out.set(words(block.length, seq, 0, 0), 0);
  out.set(block, 16);
  return out;
}

/** Block sizes (section 1.5): RAM upload, ROM flash writes, stub flash writes. */
export const ESP_RAM_BLOCK = 0x1800;
export const ROM_FLASH_WRITE_SIZE = 0x400;
export const STUB_FLASH_WRITE_SIZE = 0x4000;

/** The stub's unsolicited greeting after it starts. */
export const OHAI: Uint8Array = Uint8Array.from([0x4f, 0x48, 0x41, 0x49]);
