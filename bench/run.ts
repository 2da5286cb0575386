/** `npm run bench [-- --json] [-- name-filter]`: runs every registered benchmark. */
import { benches } from "./index.js";
import type { BenchResult } from "./report.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const filters = args.filter((a) => !a.startsWith("--"));

for (const b of benches) {
  if (filters.length > 0 && !filters.some((f) => b.name.includes(f))) continue;
  if (!json) process.stdout.write(`\n== ${b.name}\n`);
  const results: BenchResult[] = await b.run();
  for (const r of results) {
    if (json) {
      process.stdout.write(
        JSON.stringify({ bench: r.bench, metric: r.metric, value: r.value, unit: r.unit }) + "\n",
      );
    } else {
      const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3);
      process.stdout.write(
        `  ${r.metric.padEnd(44)} ${v.padStart(14)} ${r.unit.padEnd(8)} ${r.goal ?? ""}\n`,
      );
    }
  }
}
