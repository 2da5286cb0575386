/**
 * Per-unit provisioning after the flash: which SecureData values a unit gets (from a CSV file
 * or a template, format in SPEC.md "Station provisioning input"), and the `Provisioner` seam
 * that stores them on the unit and reads them back.
 *
 * Two kinds of provisioner fit the seam: one that works in download mode (download-mode-
 * provisioner.ts: the chip MAC as identity, SecureData written through the loader), and one
 * over the MicroPython REPL (IMEI as identity, `SecureData.Store`/`Read` on the running
 * firmware), which the REPL client's owner plugs in. `needsFirmware` tells the station to
 * reset the unit into its firmware first.
 */
import { randomBytes } from "node:crypto";
import { UsageError } from "../../firmware-sim/errors.js";
import { capacityOf } from "../../firmware-sim/module/securedata-layout.js";
import type { SerialLink } from "../serial/link.js";
import type { FlashResult } from "../flasher/flash-job.js";
import type { HostTime } from "../flasher/host-time.js";

export interface UnitHandle {
  port: string;
  link: SerialLink;
  time: HostTime;
  /** The unit's flash result: chip MAC, flash size, the baud rate the line is at. */
  flash: FlashResult;
}

export interface Identity {
  kind: "imei" | "mac" | "none";
  value: string;
}

export interface Provisioner {
  readonly name: string;
  /** True when the unit must run its firmware (REPL) rather than stay in download mode. */
  readonly needsFirmware: boolean;
  identify(unit: UnitHandle): Promise<Identity>;
  /** Store every value and read each back; throw a FlashbakError on any mismatch. */
  provision(unit: UnitHandle, values: ReadonlyMap<number, Uint8Array>): Promise<void>;
}

/** The values one unit gets, and which input row (or template sequence number) they came from. */
export interface ProvisionAssignment {
  row: number;
  values: Map<number, Uint8Array>;
}

export interface ProvisionSource {
  /** Values for the next unit; `identity` selects a CSV row by its `mac`/`imei` column if present. */
  next(identity: Identity): ProvisionAssignment;
}

/** "hex:..." / "base64:..." / anything else = UTF-8 text. */
export function decodeValue(text: string, where: string): Uint8Array {
  if (text.startsWith("hex:")) {
    const h = text.slice(4);
    if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new UsageError(`${where}: "${text}" is not valid hex`);
    return Uint8Array.from(Buffer.from(h, "hex"));
  }
  if (text.startsWith("base64:")) return Uint8Array.from(Buffer.from(text.slice(7), "base64"));
  return new TextEncoder().encode(text);
}

function checkIndex(index: number, value: Uint8Array, where: string): void {
  const cap = capacityOf(index);
  if (cap === 0) throw new UsageError(`${where}: SecureData index ${index} does not exist (1..16)`);
  if (value.length === 0 || value.length > cap) {
    throw new UsageError(`${where}: ${value.length} bytes for index ${index}, which holds 1..${cap}`);
  }
}

/** Split CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/**
 * Rows of a CSV file: a header naming columns `sd1`..`sd16` (and optionally `mac` or `imei` to
 * tie a row to one unit); rows without such a key are handed out in order. `used` rows (from
 * earlier runs, per the record store) are never handed out again.
 */
export class CsvProvisionSource implements ProvisionSource {
  private readonly rows: { row: number; key: string; values: Map<number, Uint8Array> }[] = [];
  private readonly used: Set<number>;

  constructor(text: string, used: Iterable<number> = []) {
    const all = parseCsv(text);
    const header = all[0]?.map((h) => h.trim().toLowerCase());
    if (header === undefined)
      throw new UsageError("provisioning CSV is empty", "the first line names the columns: sd1,sd2,...");
    const keyCol = header.findIndex((h) => h === "mac" || h === "imei");
    const sdCols = header
      .map((h, i) => [i, /^sd(\d+)$/.exec(h)?.[1]] as const)
      .filter(([, n]) => n !== undefined);
    if (sdCols.length === 0)
      throw new UsageError(
        "provisioning CSV has no sd<N> column",
        "name columns sd1..sd16 after the SecureData index",
      );
    all.slice(1).forEach((fields, i) => {
      const row = i + 1;
      const values = new Map<number, Uint8Array>();
      for (const [col, n] of sdCols) {
        const text = fields[col] ?? "";
        if (text === "") continue;
        const v = decodeValue(text, `CSV row ${row}`);
        checkIndex(Number(n), v, `CSV row ${row}`);
        values.set(Number(n), v);
      }
      this.rows.push({ row, key: keyCol >= 0 ? normKey(fields[keyCol] ?? "") : "", values });
    });
    this.used = new Set(used);
  }

  next(identity: Identity): ProvisionAssignment {
    const key = normKey(identity.value);
    const keyed = this.rows.find((r) => r.key !== "" && r.key === key);
    const pick = keyed ?? this.rows.find((r) => r.key === "" && !this.used.has(r.row));
    if (pick === undefined) {
      throw new UsageError(
        `no provisioning row left for ${identity.value || "this unit"}`,
        "add rows to the CSV file",
      );
    }
    this.used.add(pick.row);
    return { row: pick.row, values: new Map(pick.values) };
  }
}

function normKey(s: string): string {
  return s.replace(/[:\-\s]/g, "").toLowerCase();
}

/**
 * Values generated per unit from `sdN=PATTERN` rules. Placeholders: `{seq}` / `{seq:06}` (the
 * unit's sequence number, optionally zero-padded), `{mac}` (12 hex digits), `{imei}`, and
 * `{random:N}` (N random bytes as 2N hex digits, from the OS CSPRNG). A `hex:` or `base64:`
 * prefix applies after expansion.
 */
export class TemplateProvisionSource implements ProvisionSource {
  private readonly rules: { index: number; pattern: string }[];
  private seq: number;

  constructor(rules: readonly string[], firstSeq = 1) {
    this.rules = rules.map((r) => {
      const m = /^sd(\d+)=(.*)$/s.exec(r.trim());
      if (m === null)
        throw new UsageError(`template rule "${r}" is not sdN=PATTERN`, 'e.g. --template "sd1=SN{seq:06}"');
      const index = Number(m[1]);
      if (capacityOf(index) === 0)
        throw new UsageError(`template rule "${r}": SecureData index ${index} does not exist (1..16)`);
      return { index, pattern: m[2]! };
    });
    this.seq = firstSeq;
  }

  next(identity: Identity): ProvisionAssignment {
    const seq = this.seq++;
    const values = new Map<number, Uint8Array>();
    for (const { index, pattern } of this.rules) {
      const text = pattern.replace(
        /\{(seq|mac|imei|random)(?::(\d+))?\}/g,
        (_m, name: string, arg?: string) => {
          if (name === "seq") return arg !== undefined ? String(seq).padStart(Number(arg), "0") : String(seq);
          if (name === "random") return randomBytes(Number(arg ?? "16")).toString("hex");
          if (name === "mac") return identity.kind === "mac" ? normKey(identity.value) : "";
          return identity.kind === "imei" ? identity.value : "";
        },
      );
      const v = decodeValue(text, `template sd${index}`);
      checkIndex(index, v, `template sd${index} for unit ${seq}`);
      values.set(index, v);
    }
    return { row: seq, values };
  }
}
