/** Shared access to the reference vectors in ../shared/vectors/littlefs (beside the checkout). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import type { LfsConfig } from "../../firmware-sim/littlefs/config.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";

const here = dirname(fileURLToPath(import.meta.url));
export const VECTOR_DIR = resolve(here, "../../../shared/vectors/littlefs");

export interface VectorEntry {
  type: "file" | "dir";
  path: string;
  size?: number;
  crc32?: string;
}

export interface VectorImage {
  file: string;
  params: { blockSize: number; blockCount: number; opts: string[] };
  ops: string[];
  superblock: {
    diskVersion: string;
    blockSize: number;
    blockCount: number;
    nameMax: number;
    rootPair: string;
    gstate: string;
  };
  entries: VectorEntry[];
  attrs?: Array<{ path: string; type: number; hex: string }>;
  byteExact?: string;
  torn?: { opIndex: number; totalOps: number };
}

/** The manifest; throws (failing the test) with the path when the vectors are missing. */
export function loadManifest(): VectorImage[] {
  const p = resolve(VECTOR_DIR, "manifest.json");
  if (!existsSync(p)) {
    throw new Error(
      `littlefs reference vectors not found at ${p}: CI must provide shared/ beside the checkout`,
    );
  }
  return (JSON.parse(readFileSync(p, "utf8")) as { images: VectorImage[] }).images;
}

export function readImage(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(VECTOR_DIR, name)));
}

function opt(opts: string[], flag: string): string | undefined {
  const i = opts.indexOf(flag);
  return i >= 0 ? opts[i + 1] : undefined;
}

/** The littlefs config the reference tool used for an image, and its erase value. */
export function configFor(img: VectorImage): { cfg: LfsConfig; eraseValue: number } {
  const o = img.params.opts;
  const num = (flag: string, dflt: number): number => {
    const v = opt(o, flag);
    return v === undefined ? dflt : Number(v);
  };
  return {
    cfg: {
      blockSize: img.params.blockSize,
      blockCount: img.params.blockCount,
      readSize: num("-r", 16),
      progSize: num("-p", 16),
      cacheSize: num("-C", 64),
      lookaheadSize: num("-L", 32),
      blockCycles: num("-y", 500),
      diskVersion: num("-V", 0x00020001),
    },
    eraseValue: num("-e", 0xff),
  };
}

export function deviceFor(img: VectorImage, data?: Uint8Array, readOnly = false): MemoryBlockDevice {
  const { eraseValue } = configFor(img);
  return new MemoryBlockDevice(
    {
      readSize: 1,
      progSize: 1,
      blockSize: img.params.blockSize,
      blockCount: img.params.blockCount,
      eraseValue,
    },
    { data, readOnly },
  );
}

/** A reference image mounted read-only, as a device would mount it. */
export function mountVector(img: VectorImage): LittleFs {
  return LittleFs.mount(deviceFor(img, readImage(img.file), true), configFor(img).cfg, { readOnly: true });
}
