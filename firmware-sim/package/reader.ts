/**
 * Parse .fbpkg bytes (layout: firmware-sim/SPEC.md) into a `FirmwarePackage`.
 *
 * Order of checks, so that each failure gets the right code:
 * 1. magic (a file cut inside it is PKG_TRUNCATED, anything else PKG_CORRUPT "not a package");
 * 2. header CRC over bytes 0..15, whose layout is fixed for every format version;
 * 3. format version (PKG_VERSION);
 * 4. total length against the bytes present (PKG_TRUNCATED, or PKG_CORRUPT for trailing bytes);
 * 5. package SHA-256, then sections; unknown tags are skipped unless marked critical
 *    (PKG_VERSION); each partition's CRC-32 and SHA-256 over its expanded image.
 * `parsePackage` records the checksum results (for `flashbak verify`); `readPackage` throws the
 * first failure (for everything that wants a trustworthy package).
 */
import { decodeSparse, equalBytes, readTlvs, sha256, tlvString, tlvU32, toHex } from "./codec.js";
import type { Tlv } from "./codec.js";
import { crc32 } from "./file-crc32.js";
import type { FirmwarePackage, PackageHeader, PackagePartition, RestoreMode } from "./format.js";
import {
  FORMAT_VERSION,
  HEADER_SIZE,
  InfoField,
  MAGIC,
  MAX_FLASH_SIZE,
  PackageError,
  PartField,
  PartFlag,
  RESTORE_MODES,
  Section,
  TRAILER_SIZE,
  corrupt,
  tooNew,
  truncated,
} from "./format.js";
import type { PartitionType } from "../module/boards.js";
import { checkBoard, validateLayout } from "./layout.js";

/** One checksum of the package and whether it holds. */
export interface IntegrityCheck {
  /** "package sha256", "partition customer_fs crc32", ... */
  readonly what: string;
  readonly ok: boolean;
  /** Recorded in the package (hex). */
  readonly expected: string;
  /** Computed from the bytes (hex). */
  readonly actual: string;
}

export interface ParsedPackage {
  readonly package: FirmwarePackage;
  /** Header CRC, package SHA-256, then CRC-32 and SHA-256 of every partition image. */
  readonly checks: readonly IntegrityCheck[];
  /** SHA-256 of the whole package file (hex), as `sha256sum` prints it. */
  readonly fileSha256: string;
  readonly size: number;
}

function fields(section: Tlv, what: string, known: readonly number[]): Map<number, Tlv> {
  const out = new Map<number, Tlv>();
  for (const f of readTlvs(section.value, section.at + 8, what, true)) {
    if (!known.includes(f.tag)) {
      if (f.critical)
        throw tooNew(`${what}: field 0x${f.tag.toString(16)} is marked critical and unknown to this reader`);
      continue;
    }
    if (out.has(f.tag)) throw corrupt(`${what}: field 0x${f.tag.toString(16)} appears twice`);
    out.set(f.tag, f);
  }
  return out;
}

function need(map: Map<number, Tlv>, tag: number, what: string): Tlv {
  const t = map.get(tag);
  if (t === undefined) throw corrupt(`${what}: required field 0x${tag.toString(16)} is missing`);
  return t;
}

function checkFlashSize(n: number): number {
  if (n === 0 || n > MAX_FLASH_SIZE)
    throw corrupt(`info section: flash size ${n} outside 1..${MAX_FLASH_SIZE}`);
  return n;
}

function readInfo(section: Tlv): PackageHeader {
  const what = "info section";
  const f = fields(section, what, Object.values(InfoField));
  const mode = need(f, InfoField.RESTORE_MODE, what).value;
  if (mode.length !== 1 || mode[0]! >= RESTORE_MODES.length) {
    if (mode.length === 1) throw tooNew(`${what}: restore mode ${mode[0]} is unknown to this reader`);
    throw corrupt(`${what}: restore mode field is ${mode.length} bytes`);
  }
  const buildTlv = f.get(InfoField.BUILD);
  let build: Record<string, string> = {};
  if (buildTlv !== undefined) {
    try {
      build = JSON.parse(tlvString(buildTlv, "build metadata")) as Record<string, string>;
    } catch {
      throw corrupt(`${what}: build metadata is not JSON`);
    }
    if (typeof build !== "object" || build === null || Array.isArray(build))
      throw corrupt(`${what}: build metadata is not an object`);
  }
  const str = (tag: number, name: string): string => {
    const t = f.get(tag);
    return t === undefined ? "" : tlvString(t, name);
  };
  return {
    formatVersion: FORMAT_VERSION,
    board: tlvString(need(f, InfoField.BOARD, what), "board id"),
    flashSize: checkFlashSize(tlvU32(need(f, InfoField.FLASH_SIZE, what), "flash size")),
    firmwareName: str(InfoField.FIRMWARE_NAME, "firmware name"),
    firmwareVersion: str(InfoField.FIRMWARE_VERSION, "firmware version"),
    restoreMode: RESTORE_MODES[mode[0]!] as RestoreMode,
    build,
  };
}

function readPartition(
  section: Tlv,
  index: number,
  flashSize: number,
  checks: IntegrityCheck[],
): PackagePartition {
  let what = `partition #${index}`;
  const f = fields(section, what, Object.values(PartField));
  const name = tlvString(need(f, PartField.NAME, what), `${what} name`);
  what = `partition "${name}"`;
  const flags = tlvU32(need(f, PartField.FLAGS, what), `${what} flags`);
  const length = tlvU32(need(f, PartField.IMAGE_LENGTH, what), `${what} image length`);
  const storedCrc = tlvU32(need(f, PartField.IMAGE_CRC32, what), `${what} crc32`);
  const storedSha = need(f, PartField.IMAGE_SHA256, what).value;
  if (storedSha.length !== 32) throw corrupt(`${what}: SHA-256 field is ${storedSha.length} bytes`);
  if (length > flashSize)
    throw corrupt(`${what}: image length ${length} exceeds the ${flashSize}-byte flash`);
  const image = decodeSparse(need(f, PartField.IMAGE_DATA, what).value, length, what);
  const crc = crc32(image);
  const sha = sha256(image);
  const h8 = (n: number): string => n.toString(16).padStart(8, "0");
  checks.push({
    what: `partition ${name} crc32`,
    ok: crc === storedCrc,
    expected: h8(storedCrc),
    actual: h8(crc),
  });
  checks.push({
    what: `partition ${name} sha256`,
    ok: equalBytes(sha, storedSha),
    expected: toHex(storedSha),
    actual: toHex(sha),
  });
  const mount = f.get(PartField.MOUNT);
  return {
    name,
    type: tlvString(need(f, PartField.TYPE, what), `${what} type`) as PartitionType,
    offset: tlvU32(need(f, PartField.OFFSET, what), `${what} offset`),
    size: tlvU32(need(f, PartField.SIZE, what), `${what} size`),
    flags: {
      readOnly: (flags & PartFlag.READ_ONLY) !== 0,
      preserveOnFlash: (flags & PartFlag.PRESERVE_ON_FLASH) !== 0,
    },
    ...(mount === undefined ? {} : { mount: tlvString(mount, `${what} mount`) }),
    image,
  };
}

function checkFrame(bytes: Uint8Array): { total: number; headerCrc: IntegrityCheck } {
  const magicLen = Math.min(bytes.length, MAGIC.length);
  const magicOk = MAGIC.subarray(0, magicLen).every((b, i) => bytes[i] === b);
  if (!magicOk || bytes.length === 0) {
    throw corrupt("not a flashbak package (bad magic); expected a .fbpkg file", {
      magic: toHex(bytes.subarray(0, 8)),
    });
  }
  if (bytes.length < HEADER_SIZE) throw truncated("header", HEADER_SIZE, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedCrc = view.getUint32(16, true);
  const crc = crc32(bytes.subarray(0, 16));
  const h8 = (n: number): string => n.toString(16).padStart(8, "0");
  const headerCrc = { what: "header crc32", ok: crc === storedCrc, expected: h8(storedCrc), actual: h8(crc) };
  if (!headerCrc.ok)
    throw corrupt(`header CRC-32 mismatch (stored ${headerCrc.expected}, computed ${headerCrc.actual})`);
  const version = view.getUint16(8, true);
  if (version !== FORMAT_VERSION) throw tooNew(`package format version ${version} is not supported`);
  const total = view.getUint32(12, true);
  if (total < HEADER_SIZE + TRAILER_SIZE) throw corrupt(`total length ${total} is shorter than the frame`);
  if (bytes.length < total) throw truncated("package", total, bytes.length);
  if (bytes.length > total) throw corrupt(`${bytes.length - total} bytes of trailing data after the package`);
  return { total, headerCrc };
}

/** Parse and compute every checksum; throws only when the structure cannot be read. */
export function parsePackage(bytes: Uint8Array): ParsedPackage {
  const { total, headerCrc } = checkFrame(bytes);
  const checks: IntegrityCheck[] = [headerCrc];
  const body = bytes.subarray(0, total - TRAILER_SIZE);
  const stored = bytes.subarray(total - TRAILER_SIZE, total);
  const actual = sha256(body);
  checks.push({
    what: "package sha256",
    ok: equalBytes(actual, stored),
    expected: toHex(stored),
    actual: toHex(actual),
  });
  let pkg: FirmwarePackage;
  try {
    pkg = readSections(body, checks);
  } catch (e) {
    // With a failed SHA-256 the damage, not a newer format, explains whatever the parse tripped on.
    if (checks[1]!.ok || !(e instanceof PackageError)) throw e;
    throw corrupt(
      `package sha256 mismatch (stored ${checks[1]!.expected}, computed ${checks[1]!.actual}); ${e.message}`,
      {
        check: "package sha256",
      },
    );
  }
  return { package: pkg, checks, fileSha256: toHex(sha256(bytes)), size: bytes.length };
}

function readSections(body: Uint8Array, checks: IntegrityCheck[]): FirmwarePackage {
  const sections = readTlvs(body.subarray(HEADER_SIZE), HEADER_SIZE, "section", false);
  let header: PackageHeader | undefined;
  const partitions: PackagePartition[] = [];
  for (const s of sections) {
    if (s.tag === Section.INFO) {
      if (header !== undefined) throw corrupt("info section appears twice");
      header = readInfo(s);
    } else if (s.tag === Section.PARTITION) {
      if (header === undefined) throw corrupt("a partition section precedes the info section");
      partitions.push(readPartition(s, partitions.length, header.flashSize, checks));
    } else if (s.critical) {
      throw tooNew(`section 0x${s.tag.toString(16)} is marked critical and unknown to this reader`);
    }
  }
  if (header === undefined) throw corrupt("the info section is missing");
  const pkg: FirmwarePackage = { header, partitions };
  validateLayout(pkg);
  return pkg;
}

export interface ReadOptions {
  /** Refuse (PKG_BOARD) a package for any other board; also checks the table against the profile. */
  board?: string;
}

/**
 * Parse a package the caller can trust: every checksum must hold (else PKG_CORRUPT naming the
 * first that failed; a package SHA-256 failure is reported before partition failures).
 */
export function readPackage(bytes: Uint8Array, opts: ReadOptions = {}): FirmwarePackage {
  const pkg = trusted(parsePackage(bytes));
  if (opts.board !== undefined) checkBoard(pkg, opts.board);
  return pkg;
}

/** The package of a parse whose checksums all hold; PKG_CORRUPT naming the first that does not. */
export function trusted(parsed: ParsedPackage): FirmwarePackage {
  const failed = parsed.checks.find((c) => !c.ok);
  if (failed !== undefined) {
    throw corrupt(`${failed.what} mismatch (stored ${failed.expected}, computed ${failed.actual})`, {
      check: failed.what,
    });
  }
  return parsed.package;
}
