/**
 * The project manifest, `flashbak.json` at the root of a project directory: everything that
 * decides how a project is merged, kept with the project so it merges the same way every time
 * (the per-file "backup" checkboxes of QPYcom, as data).
 *
 * ```json
 * {
 *   "name": "example",                 // project name (build metadata); default: directory name
 *   "version": "1.0.0",                // project version (build metadata); default: none
 *   "board": "ec600u",                 // refuse a base package for another board; default: any
 *   "firmwareVersion": "EC600U_V1.0",  // firmware version of the output; default: the base's
 *   "restoreMode": "faithful",         // "faithful" | "hardened"; default: the base's
 *   "exclude": ["**\/*.md"],           // project files left out of /usr; default: none
 *   "backup": ["main.py", "cfg/*"],    // files also stored in /bak and protected; default: none
 *   "destinations": {"src/app.py": "app.py"}  // install a file under another /usr path
 * }
 * ```
 * The manifest itself is never merged. Unknown keys are refused (a typo such as "bakup" must
 * not silently merge without backup).
 */
import { UsageError } from "../errors.js";
import type { RestoreMode } from "./format.js";
import { RESTORE_MODES } from "./format.js";

export const MANIFEST_FILE = "flashbak.json";

export interface ProjectManifest {
  readonly name?: string;
  readonly version?: string;
  readonly board?: string;
  readonly firmwareVersion?: string;
  readonly restoreMode?: RestoreMode;
  /** Globs (glob.ts) of project paths not merged. */
  readonly exclude: readonly string[];
  /** Globs of project paths backed up to /bak and listed in checksum.json. */
  readonly backup: readonly string[];
  /** Project path -> destination path inside /usr (both relative, '/'-separated). */
  readonly destinations: Readonly<Record<string, string>>;
}

export const EMPTY_MANIFEST: ProjectManifest = { exclude: [], backup: [], destinations: {} };

const KEYS = [
  "name",
  "version",
  "board",
  "firmwareVersion",
  "restoreMode",
  "exclude",
  "backup",
  "destinations",
];

function bad(message: string): UsageError {
  return new UsageError(
    `${MANIFEST_FILE}: ${message}`,
    `see \`flashbak merge --help\` for the manifest format`,
  );
}

function optString(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0) throw bad(`"${key}" must be a non-empty string`);
  return v;
}

function stringList(obj: Record<string, unknown>, key: string): string[] {
  const v = obj[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x.length === 0)) {
    throw bad(`"${key}" must be a list of non-empty strings (glob patterns)`);
  }
  return v as string[];
}

/** Parse and validate manifest text. */
export function parseManifest(text: string): ProjectManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("must be a JSON object");
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!KEYS.includes(k)) throw bad(`unknown key "${k}" (known: ${KEYS.join(", ")})`);
  }
  const mode = optString(obj, "restoreMode");
  if (mode !== undefined && !RESTORE_MODES.includes(mode as RestoreMode)) {
    throw bad(`"restoreMode" must be one of ${RESTORE_MODES.join(", ")}, not "${mode}"`);
  }
  const dest = obj.destinations;
  const destinations: Record<string, string> = {};
  if (dest !== undefined) {
    if (typeof dest !== "object" || dest === null || Array.isArray(dest))
      throw bad(`"destinations" must be an object`);
    for (const [from, to] of Object.entries(dest as Record<string, unknown>)) {
      if (typeof to !== "string" || to.length === 0)
        throw bad(`destination of "${from}" must be a non-empty string`);
      destinations[from] = to;
    }
  }
  const m: ProjectManifest = {
    exclude: stringList(obj, "exclude"),
    backup: stringList(obj, "backup"),
    destinations,
  };
  const opt = (k: "name" | "version" | "board" | "firmwareVersion"): Record<string, string> => {
    const v = optString(obj, k);
    return v === undefined ? {} : { [k]: v };
  };
  return {
    ...m,
    ...opt("name"),
    ...opt("version"),
    ...opt("board"),
    ...opt("firmwareVersion"),
    ...(mode === undefined ? {} : { restoreMode: mode as RestoreMode }),
  };
}
