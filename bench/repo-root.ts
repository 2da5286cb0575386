/** The checkout root, for benchmarks that run the built CLI (`bin/flashbak.js`) as a user does. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest directory above this module holding bin/flashbak.js (source or dist). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "bin", "flashbak.js"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("bench: bin/flashbak.js not found above " + dirname(fileURLToPath(import.meta.url)));
}
