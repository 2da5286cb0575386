/**
 * What is inside a package, and whether it holds together (`flashbak inspect` / `verify`):
 * header and partition table, every checksum of the container, the files of `/usr` and `/bak`
 * with sizes and device CRCs, whether the boot's backup restore is enabled, and whether each
 * checksum.json agrees with the files it lists (the question "will the first boot restore
 * anything?", answered without booting).
 */
import { isPowerLoss } from "../errors.js";
import { FlashbakError } from "../errors.js";
import type { FileSystem } from "../fs/file-system.js";
import { readFile, tryStat, walk } from "../fs/fs-util.js";
import { boards } from "../module/boards.js";
import {
  BACKUP_FLAG_FILE,
  CHECKSUM_FILE,
  CHECKSUM_READ_LIMIT,
  backupEnabled,
  parseChecksumJson,
} from "./device-json.js";
import { crc32 } from "./file-crc32.js";
import { FILE_CRC32_SEED, fileCrc32, formatCrc } from "./file-crc32.js";
import type { PackageHeader, RestoreMode } from "./format.js";
import { mountLittlefsImage } from "./lfs-image.js";
import type { IntegrityCheck } from "./reader.js";
import { parsePackage } from "./reader.js";
import { sha256, toHex } from "./codec.js";

export interface PartitionReport {
  readonly name: string;
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly readOnly: boolean;
  readonly preserveOnFlash: boolean;
  readonly mount?: string;
  readonly imageLength: number;
  readonly crc32: string;
  readonly sha256: string;
}

export interface FileReport {
  /** Path inside the file system ("/main.py", "/usr/main.py" in /bak). */
  readonly path: string;
  readonly size: number;
  /** The device's file_crc32 as Python hex(), or null for an empty file (None). */
  readonly crc32: string | null;
}

export interface FsReport {
  readonly partition: string;
  readonly mount: string;
  /** Mount failure (the device would reformat the partition at boot), else undefined. */
  readonly error?: string;
  readonly files: readonly FileReport[];
  readonly blocksUsed?: number;
  readonly blockCount?: number;
}

export interface ChecksumEntryReport {
  readonly name: string;
  /** CRC text as recorded in checksum.json. */
  readonly recorded: string;
  /** file_crc32 of the file the entry protects, or null when missing or empty. */
  readonly actual: string | null;
  readonly ok: boolean;
}

export interface ChecksumReport {
  /** "/usr/checksum.json" or "/bak/checksum.json". */
  readonly file: string;
  readonly present: boolean;
  /** Why the device could not use it (not JSON, over 16384 bytes, ...). */
  readonly error?: string;
  readonly entries: readonly ChecksumEntryReport[];
}

export interface InspectReport {
  readonly size: number;
  readonly sha256: string;
  readonly header: PackageHeader;
  readonly partitions: readonly PartitionReport[];
  readonly checks: readonly IntegrityCheck[];
  readonly filesystems: readonly FsReport[];
  /** /bak/backup_restore.json enables the boot-time restore. */
  readonly backupEnabled: boolean;
  readonly checksums: readonly ChecksumReport[];
  /** Image of each partition, for --extract (not serialised). */
  readonly images: ReadonlyMap<string, Uint8Array>;
}

function listFiles(fs: FileSystem): FileReport[] {
  return walk(fs)
    .filter((e) => e.type === "file")
    .map((e) => {
      const crc = fileCrc32(readFile(fs, e.path));
      return { path: e.path, size: e.size, crc32: crc === undefined ? null : formatCrc(crc) };
    });
}

/** Compare a checksum.json with the files of `fs`, `prefix` mapping an entry name to a path in fs. */
function checkChecksum(
  file: string,
  fs: FileSystem | undefined,
  bytes: Uint8Array | undefined,
  prefix: (name: string) => string,
  mode: RestoreMode,
): ChecksumReport {
  if (bytes === undefined) return { file, present: false, entries: [] };
  const parsed = parseChecksumJson(bytes, mode === "hardened" ? 0 : CHECKSUM_READ_LIMIT);
  if (!parsed.ok) return { file, present: true, error: parsed.reason, entries: [] };
  const entries = parsed.entries.map((e) => {
    let actual: string | null = null;
    const path = prefix(e.name);
    if (fs !== undefined && tryStat(fs, path)?.type === "file") {
      const data = readFile(fs, path);
      // Hardened boots accept an empty file recorded with the CRC of no bytes; faithful ones never do.
      const crc = mode === "hardened" ? crc32(data, FILE_CRC32_SEED) : fileCrc32(data);
      actual = crc === undefined ? null : formatCrc(crc);
    }
    const ok = actual !== null && e.crc32 !== undefined && Number.parseInt(actual, 16) === e.crc32;
    return { name: e.name, recorded: e.text, actual, ok };
  });
  return { file, present: true, entries };
}

function tryMount(
  name: string,
  mount: string,
  image: Uint8Array,
  size: number,
  header: PackageHeader,
): { fs?: FileSystem; report: FsReport } {
  const board = boards[header.board];
  if (board === undefined)
    return {
      report: {
        partition: name,
        mount,
        error: `unknown board ${header.board}: littlefs configuration unknown`,
        files: [],
      },
    };
  const full = new Uint8Array(size).fill(0xff);
  full.set(image);
  try {
    const fs = mountLittlefsImage(board.littlefs, full);
    const u = fs.usage();
    return {
      fs,
      report: {
        partition: name,
        mount,
        files: listFiles(fs),
        blocksUsed: u.blocksUsed,
        blockCount: u.blockCount,
      },
    };
  } catch (e) {
    if (isPowerLoss(e) || !(e instanceof FlashbakError)) throw e;
    return {
      report: {
        partition: name,
        mount,
        error: `${e.code}: ${e.message} (the device would reformat it at boot)`,
        files: [],
      },
    };
  }
}

/** Parse a package and report everything; throws only when its structure cannot be read. */
export function inspectPackage(bytes: Uint8Array): InspectReport {
  const parsed = parsePackage(bytes);
  const pkg = parsed.package;
  const partitions: PartitionReport[] = pkg.partitions.map((p) => ({
    name: p.name,
    type: p.type,
    offset: p.offset,
    size: p.size,
    readOnly: p.flags.readOnly,
    preserveOnFlash: p.flags.preserveOnFlash,
    ...(p.mount === undefined ? {} : { mount: p.mount }),
    imageLength: p.image.length,
    crc32: crc32(p.image).toString(16).padStart(8, "0"),
    sha256: toHex(sha256(p.image)),
  }));
  const mounted = new Map<string, FileSystem | undefined>();
  const filesystems: FsReport[] = [];
  for (const p of pkg.partitions) {
    if (p.type !== "littlefs") continue;
    const mount = p.mount ?? "";
    const r = tryMount(p.name, mount, p.image, p.size, pkg.header);
    filesystems.push(r.report);
    mounted.set(mount, r.fs);
  }
  const usr = mounted.get("/usr");
  const bak = mounted.get("/bak");
  const read = (fs: FileSystem | undefined, path: string): Uint8Array | undefined =>
    fs !== undefined && tryStat(fs, path)?.type === "file" ? readFile(fs, path) : undefined;
  // The device resolves an entry "/usr/x" as /usr/x and its backup as '/bak/' + name = /bak/usr/x.
  const inUsr = (name: string): string =>
    name.toLowerCase().startsWith("/usr/") ? name.slice(4) : `/${name.replace(/^\/+/, "")}`;
  const inBak = (name: string): string => `/${name.replace(/^\/+/, "")}`;
  const checksums = [
    checkChecksum(
      `/usr/${CHECKSUM_FILE}`,
      usr,
      read(usr, `/${CHECKSUM_FILE}`),
      inUsr,
      pkg.header.restoreMode,
    ),
    checkChecksum(
      `/bak/${CHECKSUM_FILE}`,
      bak,
      read(bak, `/${CHECKSUM_FILE}`),
      inBak,
      pkg.header.restoreMode,
    ),
  ];
  return {
    size: parsed.size,
    sha256: parsed.fileSha256,
    header: pkg.header,
    partitions,
    checks: parsed.checks,
    filesystems,
    backupEnabled: backupEnabled(read(bak, `/${BACKUP_FLAG_FILE}`)),
    checksums,
    images: new Map(pkg.partitions.map((p) => [p.name, p.image])),
  };
}

/** Every failed item of a report, as lines for `flashbak verify`; empty when all holds. */
export function verifyFailures(r: InspectReport): string[] {
  const out: string[] = [];
  for (const c of r.checks) if (!c.ok) out.push(`${c.what}: stored ${c.expected}, computed ${c.actual}`);
  for (const f of r.filesystems)
    if (f.error !== undefined) out.push(`${f.partition} (${f.mount}): ${f.error}`);
  for (const c of r.checksums) {
    if (c.error !== undefined) out.push(`${c.file}: ${c.error}`);
    for (const e of c.entries) {
      if (!e.ok)
        out.push(
          `${c.file}: ${e.name} recorded ${e.recorded}, file ${e.actual === null ? "missing or empty" : e.actual}`,
        );
    }
  }
  if (r.backupEnabled && !r.checksums.every((c) => c.present))
    out.push("backup is enabled but a checksum.json is missing");
  return out;
}
