/**
 * The benchmark result contract: `npm run bench -- --json` prints one JSON object per line,
 * `{"bench": ..., "metric": ..., "value": ..., "unit": ...}`; without --json a table is printed.
 * Benchmarks measure; they never fail a build on speed (goals are printed beside figures).
 */
export interface BenchResult {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** Optional goal text shown beside the figure, e.g. ">= 200 MB/s". */
  goal?: string;
}

export interface Bench {
  name: string;
  /** Run and return the figures. May take seconds; must stop by itself. */
  run(): Promise<BenchResult[]> | BenchResult[];
}

export function mbps(bytes: number, ms: number): number {
  return bytes / (1 << 20) / (ms / 1000);
}
