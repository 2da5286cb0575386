/**
 * Serialise a `FirmwarePackage` to .fbpkg bytes (layout: firmware-sim/SPEC.md).
 *
 * Deterministic by construction: fields in tag order, build metadata keys sorted, images in
 * the sparse encoding, no clock reads. The same model always gives the same bytes, which is
 * what makes `npm run images` and `flashbak merge` reproducible.
 */
import { ByteSink, encodeSparse, sha256 } from "./codec.js";
import { crc32 } from "./file-crc32.js";
import type { FirmwarePackage, PackagePartition } from "./format.js";
import {
  FORMAT_VERSION,
  InfoField,
  MAGIC,
  PartField,
  PartFlag,
  RESTORE_MODES,
  Section,
  TRAILER_SIZE,
} from "./format.js";
import { validateLayout } from "./layout.js";

const utf8 = new TextEncoder();

function sortedBuild(build: Readonly<Record<string, string>>): string {
  const keys = Object.keys(build).sort();
  const obj: Record<string, string> = {};
  for (const k of keys) obj[k] = build[k]!;
  return JSON.stringify(obj);
}

function writePartition(s: ByteSink, p: PackagePartition): void {
  s.tlv(Section.PARTITION, true, (b) => {
    b.tlvString(PartField.NAME, true, p.name);
    b.tlvString(PartField.TYPE, true, p.type);
    b.tlvU32(PartField.OFFSET, true, p.offset);
    b.tlvU32(PartField.SIZE, true, p.size);
    const flags =
      (p.flags.readOnly ? PartFlag.READ_ONLY : 0) |
      (p.flags.preserveOnFlash ? PartFlag.PRESERVE_ON_FLASH : 0);
    b.tlvU32(PartField.FLAGS, true, flags);
    if (p.mount !== undefined) b.tlvString(PartField.MOUNT, false, p.mount);
    b.tlvU32(PartField.IMAGE_LENGTH, true, p.image.length);
    b.tlvU32(PartField.IMAGE_CRC32, true, crc32(p.image));
    b.tlvBytes(PartField.IMAGE_SHA256, true, sha256(p.image));
    b.tlv(PartField.IMAGE_DATA, true, (d) => encodeSparse(d, p.image));
  });
}

/** Encode `pkg`; throws PKG_CORRUPT when the partition table is inconsistent (see layout.ts). */
export function writePackage(pkg: FirmwarePackage): Uint8Array {
  validateLayout(pkg);
  // Sparse images are never larger than the images plus their bitmaps; metadata is small.
  const s = new ByteSink(pkg.partitions.reduce((n, p) => n + p.image.length, 0) + 65536);
  s.bytes(MAGIC);
  s.u16(FORMAT_VERSION);
  s.u16(0);
  s.u32(0); // total length, patched below
  s.u32(0); // header CRC, patched below
  const h = pkg.header;
  s.tlv(Section.INFO, true, (b) => {
    b.tlvString(InfoField.BOARD, true, h.board);
    b.tlvU32(InfoField.FLASH_SIZE, true, h.flashSize);
    b.tlvString(InfoField.FIRMWARE_NAME, false, h.firmwareName);
    b.tlvString(InfoField.FIRMWARE_VERSION, false, h.firmwareVersion);
    b.tlv(InfoField.RESTORE_MODE, true, (v) => v.bytes(Uint8Array.of(RESTORE_MODES.indexOf(h.restoreMode))));
    b.tlvBytes(InfoField.BUILD, false, utf8.encode(sortedBuild(h.build)));
  });
  for (const p of pkg.partitions) writePartition(s, p);
  const total = s.length + TRAILER_SIZE;
  s.patchU32(12, total);
  s.patchU32(16, crc32(s.view(0, 16)));
  const out = new Uint8Array(total);
  out.set(s.view());
  out.set(sha256(s.view()), s.length);
  return out;
}
