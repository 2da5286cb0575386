/**
 * The host side of `flashbak merge`: read the base package and the project directory, run the
 * pure merger (firmware-sim/package/merge.ts), and write the package atomically. Failing
 * merges leave no output file behind: nothing is written before the whole package exists in
 * memory, and the write itself goes through a temporary file and a rename.
 */
import { resolve } from "node:path";
import type { RestoreMode } from "../../firmware-sim/package/format.js";
import type { MergeResult, MergeStep } from "../../firmware-sim/package/merge.js";
import { mergeProject } from "../../firmware-sim/package/merge.js";
import type { ProjectDir } from "./project-dir.js";
import { readProjectDir } from "./project-dir.js";
import { readInput, writeFileAtomic } from "./files.js";
import { UsageError } from "../../firmware-sim/errors.js";

export interface RunMergeOptions {
  /** Base firmware package path (.fbpkg). */
  base: string;
  /** Project directory. */
  project: string;
  /** Extra backup globs on top of the manifest's. */
  backup?: readonly string[];
  /** Output path; default `<project name>.fbpkg` in `cwd`. */
  out?: string;
  board?: string;
  firmwareVersion?: string;
  restoreMode?: RestoreMode;
  /** Record the build time: SOURCE_DATE_EPOCH (seconds) when set, else the wall clock. */
  timestamp?: boolean;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Environment (SOURCE_DATE_EPOCH). */
  env: Record<string, string | undefined>;
  /** Called as each step starts, with the wall-clock milliseconds spent so far. */
  onStep?: (step: MergeStep | "read-project" | "write-file") => void;
}

export interface RunMergeResult {
  readonly out: string;
  readonly project: ProjectDir;
  readonly result: MergeResult;
  /** Wall-clock milliseconds per step. */
  readonly timings: Readonly<Record<string, number>>;
}

function buildTime(env: Record<string, string | undefined>): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== "") {
    if (!/^\d+$/.test(epoch)) throw new UsageError(`SOURCE_DATE_EPOCH="${epoch}" is not a number of seconds`);
    return new Date(Number(epoch) * 1000).toISOString();
  }
  return new Date().toISOString();
}

export function runMerge(o: RunMergeOptions): RunMergeResult {
  const timings: Record<string, number> = {};
  let current: string | undefined;
  let started = performance.now();
  const step = (s: MergeStep | "read-project" | "write-file"): void => {
    const now = performance.now();
    if (current !== undefined) timings[current] = (timings[current] ?? 0) + (now - started);
    current = s;
    started = now;
    o.onStep?.(s);
  };
  step("read-project");
  const base = readInput(resolve(o.cwd, o.base), "base package");
  const project = readProjectDir(resolve(o.cwd, o.project));
  const result = mergeProject(base, project.files, {
    manifest: project.manifest,
    projectName: project.name,
    extraBackup: o.backup ?? [],
    ...(o.board === undefined ? {} : { board: o.board }),
    ...(o.firmwareVersion === undefined ? {} : { firmwareVersion: o.firmwareVersion }),
    ...(o.restoreMode === undefined ? {} : { restoreMode: o.restoreMode }),
    ...(o.timestamp ? { timestamp: buildTime(o.env) } : {}),
    onStep: step,
  });
  step("write-file");
  const out = resolve(o.cwd, o.out ?? `${project.name}.fbpkg`);
  writeFileAtomic(out, result.bytes);
  if (current !== undefined) timings[current] = (timings[current] ?? 0) + (performance.now() - started);
  return { out, project, result, timings };
}
