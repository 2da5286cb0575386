/**
 * `flashbak merge` as a pure function: base package + project files + manifest in, merged
 * package bytes out. No file I/O and no clock (the tools layer reads the project, passes a
 * timestamp only when the user asks for one, and writes the output atomically), so the same
 * inputs always give the same bytes.
 *
 * Steps: read and check the base (PKG_* errors), plan (merge-plan.ts: every bad-input class),
 * build the `/usr` and `/bak` littlefs images with the board's littlefs configuration
 * (lfs-image.ts), swap them into the base's partitions, write the package.
 */
import { FlashbakError } from "../errors.js";
import type { BoardProfile } from "../module/boards.js";
import type { FirmwarePackage, PackagePartition, RestoreMode } from "./format.js";
import { partitionByMount } from "./format.js";
import { checkBoard } from "./layout.js";
import type { LfsImage } from "./lfs-image.js";
import { buildLittlefsImage, isNoSpace } from "./lfs-image.js";
import type { ProjectManifest } from "./manifest.js";
import type { MergePlan, ProjectFile } from "./merge-plan.js";
import { planMerge } from "./merge-plan.js";
import { parsePackage, trusted } from "./reader.js";
import { writePackage } from "./writer.js";

export interface MergeOptions {
  readonly manifest: ProjectManifest;
  /** Project name for the build metadata when the manifest has none (the directory name). */
  readonly projectName: string;
  /** More backup globs (`--backup`), added to the manifest's. */
  readonly extraBackup?: readonly string[];
  /** Override the manifest's board check (`--board`). */
  readonly board?: string;
  /** Override the firmware version written to the package. */
  readonly firmwareVersion?: string;
  /** Override the restore mode written to the package. */
  readonly restoreMode?: RestoreMode;
  /** ISO-8601 build time for the metadata; absent = no timestamp (reproducible output). */
  readonly timestamp?: string;
  /** Called as each step starts (progress display, benchmark timing). */
  readonly onStep?: (step: MergeStep) => void;
}

export type MergeStep = "read-base" | "plan" | "build-usr" | "build-bak" | "write";

export interface MergeResult {
  readonly bytes: Uint8Array;
  readonly package: FirmwarePackage;
  readonly plan: MergePlan;
  readonly board: BoardProfile;
  /** Per file system: partition name, mount, blocks used and available. */
  readonly filesystems: readonly { partition: string; mount: string; image: LfsImage }[];
}

function lfsPartition(pkg: FirmwarePackage, mount: string): PackagePartition {
  const p = partitionByMount(pkg, mount);
  if (p === undefined) {
    throw new FlashbakError("PKG_BOARD", `the base package has no littlefs partition mounted at ${mount}`, {
      hint: "use a base package of a QuecPython-style board (images/<board>.fbpkg)",
    });
  }
  return p;
}

export function mergeProject(
  base: Uint8Array,
  files: readonly ProjectFile[],
  opts: MergeOptions,
): MergeResult {
  const step = opts.onStep ?? ((): void => {});
  step("read-base");
  const parsed = parsePackage(base);
  const basePkg = trusted(parsed);
  const baseSha = parsed.fileSha256;
  const board = checkBoard(basePkg, opts.board ?? opts.manifest.board);
  const usrPart = lfsPartition(basePkg, "/usr");
  const bakPart = lfsPartition(basePkg, "/bak");

  step("plan");
  const restoreMode = opts.restoreMode ?? opts.manifest.restoreMode ?? basePkg.header.restoreMode;
  const plan = planMerge(board, files, {
    manifest: opts.manifest,
    extraBackup: opts.extraBackup ?? [],
    restoreMode,
  });

  // Build both images before reporting, so a project too big for both says so for both.
  const built: { part: PackagePartition; image?: LfsImage; error?: FlashbakError }[] = [];
  for (const [part, list, s] of [
    [usrPart, plan.usrFiles, "build-usr"],
    [bakPart, plan.bakFiles, "build-bak"],
  ] as const) {
    step(s);
    try {
      built.push({ part, image: buildLittlefsImage(board.littlefs, part.size, list, part.name) });
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      built.push({ part, error: e });
    }
  }
  const short = built.filter((b) => b.error !== undefined);
  if (short.length > 0) {
    throw new FlashbakError(
      "MERGE_NO_SPACE",
      `the project does not fit: ${short.map((b) => b.error!.message).join("; ")}`,
      {
        hint: 'leave files out (manifest "exclude"), back up fewer files, or use a board with larger partitions',
        details: { partitions: short.map((b) => b.error!.details) },
      },
    );
  }

  step("write");
  const images = new Map(built.map((b) => [b.part.name, b.image!]));
  const h = basePkg.header;
  const m = opts.manifest;
  const build: Record<string, string> = {
    tool: "flashbak merge",
    base: `${h.firmwareName} ${h.firmwareVersion}`.trim(),
    baseSha256: baseSha,
    project: m.name ?? opts.projectName,
    files: String(plan.usrFiles.length),
    backedUp: String(plan.checksum.length),
  };
  if (m.version !== undefined) build.projectVersion = m.version;
  if (opts.timestamp !== undefined) build.timestamp = opts.timestamp;
  const pkg: FirmwarePackage = {
    header: {
      ...h,
      firmwareVersion: opts.firmwareVersion ?? m.firmwareVersion ?? h.firmwareVersion,
      restoreMode,
      build,
    },
    partitions: basePkg.partitions.map((p) => {
      const img = images.get(p.name);
      return img === undefined ? p : { ...p, image: img.image };
    }),
  };
  return {
    bytes: writePackage(pkg),
    package: pkg,
    plan,
    board,
    filesystems: built.map((b) => ({ partition: b.part.name, mount: b.part.mount ?? "", image: b.image! })),
  };
}
