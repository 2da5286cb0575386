/**
 * What the corrupt-image test files share: the list of inputs the library is known to mishandle
 * today, and running a batch of cases against it.
 *
 * `knownIssues` holds inputs on which the library misbehaves (hang, raw exception, write on a
 * read-only mount). They are excluded so the suite stays green, and reported to the littlefs
 * owner with their outcome. Keys are "<image> <kind> <seed|name>" as built in cases.ts; each
 * entry says what happened.
 */
import type { FuzzCase } from "./cases.js";
import { mountAndReadAll, type Outcome } from "./harness.js";

export const SOAK = process.env.FLASHBAK_SOAK === "1";
/** Per-test time limit: the soak runs hundreds of cases per test. */
export const LIMIT = SOAK ? 1_800_000 : 60_000;

// The three "readdir does not end" inputs once listed here were fixed in the library (8df8b2b).
export const knownIssues: ReadonlyMap<string, string> = new Map<string, string>([]);

/** Build and run one case; undefined when the damage could not be placed (block full). */
export function runCase(c: FuzzCase): Outcome | undefined {
  const img = c.build();
  if (img === undefined) return undefined;
  return mountAndReadAll(img, c.g);
}

/** Keys and outcomes of the cases that ended badly (known issues skipped). */
export function failures(cases: readonly FuzzCase[]): string[] {
  const bad: string[] = [];
  for (const c of cases) {
    if (knownIssues.has(c.key)) continue;
    const o = runCase(c);
    if (o === undefined) continue;
    if (o.kind !== "ok" && o.kind !== "fs-error") bad.push(`${c.key}: ${o.kind} ${o.detail ?? ""}`);
  }
  return bad;
}
