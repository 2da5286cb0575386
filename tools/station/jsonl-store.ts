/**
 * Unit records as JSON lines, appended and fsynced one by one: a crash of the station PC
 * leaves every finished record intact and at most one torn last line, which `all()` skips.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import type { UnitRecord, UnitRecordStore } from "./unit-record.js";

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
