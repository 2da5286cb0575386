/**
 * One flashed unit as the station records it (schema in SPEC.md "Station unit records"), and
 * the store interface the records go through. Two stores implement it (record-stores.ts):
 * SQLite (`--db FILE.sqlite`) and JSON lines (`--db FILE.jsonl`), both durable after every
 * record so a crash of the station PC loses nothing already reported as done.
 */

export type UnitResult = "pass" | "fail";

export interface UnitRecord {
  /** Station-wide sequence number, 1-based, in the order units finished. */
  seq: number;
  /** Port the unit was on ("/dev/ttyUSB3", "sim:2"). */
  port: string;
  /** Device identity: IMEI (over the REPL) or the chip MAC (download mode); "" when unknown. */
  identity: string;
  /** What `identity` is. */
  identityKind: "imei" | "mac" | "none";
  /** SHA-256 (hex) of the package file flashed. */
  packageSha256: string;
  /** Start of the unit's flash, ISO 8601 UTC. */
  startedAt: string;
  /** Wall time from connect to result, milliseconds. */
  durationMs: number;
  /** Uncompressed bytes the package covers, of which written and skipped (already identical). */
  bytesTotal: number;
  bytesWritten: number;
  bytesSkipped: number;
  result: UnitResult;
  /** Error code (FlashbakError code) on failure, "" on pass. */
  errorCode: string;
  /** Error message on failure, "" on pass. */
  error: string;
  /** Provisioning row or template sequence used (-1 = no provisioning). */
  provisionRow: number;
  /** Provisioned SecureData indexes with the SHA-256 prefix (16 hex) of each value, for audit. */
  provisioned: Record<string, string>;
}

export interface UnitRecordStore {
  /** Append a record and make it durable before returning. */
  append(record: UnitRecord): Promise<void>;
  /** Every record, oldest first. */
  all(): Promise<UnitRecord[]>;
  close(): Promise<void>;
}

/** Columns in schema order (CSV export and the SQLite table use the same names). */
export const UNIT_COLUMNS: readonly (keyof UnitRecord)[] = [
  "seq",
  "port",
  "identity",
  "identityKind",
  "packageSha256",
  "startedAt",
  "durationMs",
  "bytesTotal",
  "bytesWritten",
  "bytesSkipped",
  "result",
  "errorCode",
  "error",
  "provisionRow",
  "provisioned",
];

export interface StationSummary {
  units: number;
  passed: number;
  failed: number;
  /** Total uncompressed bytes flashed (written + skipped) over the summed unit time, bytes/s. */
  bytesPerSecond: number;
  /** Units per hour over the span from the first start to the last finish. */
  unitsPerHour: number;
  /** Failures by error code. */
  failures: Record<string, number>;
}

export function summarize(records: readonly UnitRecord[]): StationSummary {
  const passed = records.filter((r) => r.result === "pass").length;
  const failures: Record<string, number> = {};
  for (const r of records)
    if (r.result === "fail")
      failures[r.errorCode || "UNKNOWN"] = (failures[r.errorCode || "UNKNOWN"] ?? 0) + 1;
  const ms = records.reduce((n, r) => n + r.durationMs, 0);
  const bytes = records.filter((r) => r.result === "pass").reduce((n, r) => n + r.bytesTotal, 0);
  const starts = records.map((r) => Date.parse(r.startedAt));
  const ends = records.map((r) => Date.parse(r.startedAt) + r.durationMs);
  const span = records.length > 0 ? Math.max(...ends) - Math.min(...starts) : 0;
  return {
    units: records.length,
    passed,
    failed: records.length - passed,
    bytesPerSecond: ms > 0 ? Math.round((bytes * 1000) / ms) : 0,
    unitsPerHour: span > 0 ? Math.round((records.length * 3_600_000) / span) : 0,
    failures,
  };
}

function csvField(v: unknown): string {
  const s = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row. */
export function recordsToCsv(records: readonly UnitRecord[]): string {
  const lines = [UNIT_COLUMNS.join(",")];
  for (const r of records) lines.push(UNIT_COLUMNS.map((c) => csvField(r[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}
