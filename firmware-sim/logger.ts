/** Where the simulator's diagnostic lines go. The core never writes to the console itself. */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** Keeps every record in memory: the fake for tests, and the boot-report collector. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.records.push({ level, message, fields });
  }
  lines(level?: LogLevel): string[] {
    return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.message);
  }
}

/** Discards everything. */
export const nullLogger: Logger = { log() {} };
