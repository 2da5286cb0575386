/**
 * `sync`: make a device directory hold the files of a local directory, sending only the files
 * whose device CRC differs (or that are missing). Nothing on the device is deleted.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { deviceCrc32, type DeviceFs, type PutOptions, type PutResult } from "./device-fs.js";

export interface SyncReport {
  sent: PutResult[];
  /** Remote paths already identical. */
  unchanged: string[];
}

function localFiles(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel === "" ? name : `${rel}/${name}`;
    if (statSync(join(root, r)).isDirectory()) out.push(...localFiles(root, r));
    else out.push(r);
  }
  return out;
}

export async function syncDir(
  dev: DeviceFs,
  localDir: string,
  remoteDir: string,
  opts: PutOptions & { dryRun?: boolean } = {},
): Promise<SyncReport> {
  const base = remoteDir.replace(/\/+$/, "");
  const remote = await dev.hashes(base);
  const report: SyncReport = { sent: [], unchanged: [] };
  const madeDirs = new Set<string>();
  for (const rel of localFiles(localDir)) {
    const data = new Uint8Array(readFileSync(join(localDir, rel)));
    const target = `${base}/${rel}`;
    // An empty file has no device CRC (None), so only its presence can be compared.
    if (remote.has(target) && remote.get(target) === deviceCrc32(data)) {
      report.unchanged.push(target);
      continue;
    }
    if (opts.dryRun) {
      report.sent.push({
        path: target,
        bytes: data.length,
        crc32: deviceCrc32(data),
        wireBytes: 0,
        checksumUpdated: false,
      });
      continue;
    }
    const dir = target.slice(0, target.lastIndexOf("/"));
    if (dir !== base && !madeDirs.has(dir)) {
      await dev.mkdir(dir);
      madeDirs.add(dir);
    }
    report.sent.push(await dev.put(target, data, opts));
  }
  return report;
}
