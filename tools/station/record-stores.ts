/**
 * Where unit records are kept, durable after every record.
 *
 * SQLite: a database file (node-sqlite3-wasm: SQLite compiled to WebAssembly,
 * shipped in the npm package, no native build, reading and writing the file directly). Each
 * record is one INSERT in autocommit mode, so it is on disk, journalled, before `append`
 * returns; other tools (sqlite3, DB browsers) can read the table `units` (SPEC.md).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import type SqliteModule from "node-sqlite3-wasm";
import type { UnitRecord, UnitRecordStore } from "./unit-record.js";

const SCHEMA = `CREATE TABLE IF NOT EXISTS units (
  seq INTEGER PRIMARY KEY,
  port TEXT NOT NULL,
  identity TEXT NOT NULL,
  identity_kind TEXT NOT NULL,
  package_sha256 TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  bytes_total INTEGER NOT NULL,
  bytes_written INTEGER NOT NULL,
  bytes_skipped INTEGER NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
  error_code TEXT NOT NULL,
  error TEXT NOT NULL,
  provision_row INTEGER NOT NULL,
  provisioned TEXT NOT NULL
)`;

/**
 * Loaded on first use: instantiating SQLite's WebAssembly costs ~0.3 s, which every other
 * command would otherwise pay at start-up.
 */
function sqlite(): typeof SqliteModule {
  return createRequire(import.meta.url)("node-sqlite3-wasm") as typeof SqliteModule;
}

export class SqliteRecordStore implements UnitRecordStore {
  private readonly db: InstanceType<typeof SqliteModule.Database>;

  constructor(readonly path: string) {
    this.db = new (sqlite().Database)(path);
    this.db.exec(SCHEMA);
  }

  async append(r: UnitRecord): Promise<void> {
    this.db.run(
      `INSERT INTO units VALUES (:seq, :port, :identity, :kind, :sha, :started, :dur, :total, :written, :skipped,
         :result, :code, :error, :row, :prov)`,
      {
        ":seq": r.seq,
        ":port": r.port,
        ":identity": r.identity,
        ":kind": r.identityKind,
        ":sha": r.packageSha256,
        ":started": r.startedAt,
        ":dur": r.durationMs,
        ":total": r.bytesTotal,
        ":written": r.bytesWritten,
        ":skipped": r.bytesSkipped,
        ":result": r.result,
        ":code": r.errorCode,
        ":error": r.error,
        ":row": r.provisionRow,
        ":prov": JSON.stringify(r.provisioned),
      },
    );
  }

  async all(): Promise<UnitRecord[]> {
    return this.db.all("SELECT * FROM units ORDER BY seq").map((row) => {
      const v = row as Record<string, string | number | null>;
      return {
        seq: Number(v.seq),
        port: String(v.port),
        identity: String(v.identity),
        identityKind: String(v.identity_kind) as UnitRecord["identityKind"],
        packageSha256: String(v.package_sha256),
        startedAt: String(v.started_at),
        durationMs: Number(v.duration_ms),
        bytesTotal: Number(v.bytes_total),
        bytesWritten: Number(v.bytes_written),
        bytesSkipped: Number(v.bytes_skipped),
        result: String(v.result) as UnitRecord["result"],
        errorCode: String(v.error_code),
        error: String(v.error),
        provisionRow: Number(v.provision_row),
        provisioned: JSON.parse(String(v.provisioned)) as Record<string, string>,
      };
    });
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

/** Pick the store by file name: `.jsonl` = JSON lines, anything else = SQLite. */
export async function openRecordStore(path: string): Promise<UnitRecordStore> {
  if (path.endsWith(".jsonl")) {
    return new JsonlRecordStore(path);
  }
  return new SqliteRecordStore(path);
}

/**
 * Unit records as JSON lines, appended and fsynced one by one: a crash of the station PC
 * leaves every finished record intact and at most one torn last line, which `all()` skips.
 */
export class JsonlRecordStore implements UnitRecordStore {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  async append(record: UnitRecord): Promise<void> {
    this.fd ??= openSync(this.path, "a");
    writeSync(this.fd, JSON.stringify(record) + "\n");
    fsyncSync(this.fd);
  }

  async all(): Promise<UnitRecord[]> {
    if (!existsSync(this.path)) return [];
    const out: UnitRecord[] = [];
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        out.push(JSON.parse(line) as UnitRecord);
      } catch {
        // A line torn by a crash mid-append: the unit was never reported as recorded.
        continue;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
