/** Temporary host trees and images for the `flashbak fs` tests. */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliRun } from "../cli-harness.js";
import { Rng } from "../../../firmware-sim/flash/faults.js";

/** A fresh temporary directory; `cleanup()` removes every one made so far. */
const made: string[] = [];
export function tempDir(prefix = "fb-fs-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A tree as relative path -> contents (directories end with "/"). */
export type Tree = Record<string, Uint8Array | "dir">;

export function writeTree(root: string, tree: Tree): void {
  for (const [rel, v] of Object.entries(tree)) {
    const p = join(root, rel);
    if (v === "dir") mkdirSync(p, { recursive: true });
    else {
      mkdirSync(join(p, ".."), { recursive: true });
      writeFileSync(p, v);
    }
  }
}

/** A tree's shape and contents as path -> "dir" or "<size>:<sha256>" (cheap to compare). */
export function digestTree(t: Tree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) {
    out[k] = v === "dir" ? "dir" : `${v.length}:${createHash("sha256").update(v).digest("hex")}`;
  }
  return out;
}

export function readTree(root: string): Tree {
  const out: Tree = {};
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const r = rel === "" ? name : `${rel}/${name}`;
      if (statSync(p).isDirectory()) {
        out[r] = "dir";
        visit(p, r);
      } else out[r] = new Uint8Array(readFileSync(p));
    }
  };
  visit(root, "");
  return out;
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function bytes(n: number, seed: number): Uint8Array {
  return new Rng(seed >>> 0 || 1).bytes(n);
}

/** Run `flashbak fs ...` in-process. */
export function fs(...args: string[]): Promise<CliRun> {
  return runCli(["fs", ...args]);
}

/** Run with --json and parse stdout. */
export async function fsJson<T>(...args: string[]): Promise<{ code: number; out: T; stderr: string }> {
  const r = await runCli(["fs", ...args, "--json"]);
  return { code: r.code, out: JSON.parse(r.stdout) as T, stderr: r.stderr };
}
