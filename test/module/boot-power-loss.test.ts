/**
 * Power lost after every flash write operation, in turn, during a protected-file edit plus its
 * CRC update, during the boot-time restore itself, during the copy of a deleted checksum.json,
 * and during a FOTA apply. After the cut the module powers on and boots again; the oracle then
 * checks every protected file.
 *
 * Each sweep runs with a clean cut after the operation and with the operation torn (a random
 * prefix of a program lands; an erase leaves random bytes).
 *
 * hardened: no cut may leave a protected file lost or corrupt after the next boot, and that
 * boot must leave a consistent state (the boot after it restores nothing).
 * faithful: the same sweep documents which cut points lose data on a real device. Result: on
 * littlefs none of the edit or restore cut points loses a file, because littlefs commits a file
 * only when it is closed, so even the device's truncate-then-copy is all-or-nothing (a newly
 * created file can be left empty, which counts as damaged and is restored again). The device's
 * losses, asserted below: a cut while it copies a missing checksum.json leaves an EMPTY working
 * copy that disables restore for good, and its FOTA clean-up order strands /usr/.updater.
 */
import { describe, expect, it } from "vitest";
import type { FlashSnapshot } from "../../firmware-sim/flash/nor-flash.js";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import type { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { dec, enc, littlefsRig, sampleFiles } from "./helpers.js";
import { powerOn, sweep } from "./power-cut-harness.js";

const FACTORY = new Map(
  sampleFiles()
    .filter((f) => f.backup)
    .map((f) => [f.path, dec(f.data)]),
);
const NEW_MAIN = "print('version 2')\n" + "# padding\n".repeat(500);

/** A provisioned flash that has booted once. */
function base(mode: RestoreMode): FlashSnapshot {
  const rig = littlefsRig();
  rig.module(mode).boot();
  return rig.flash.snapshot();
}

/** Every protected file holds one of its allowed contents, and the next boot changes nothing. */
function judgeFiles(allowed: (path: string) => string[]) {
  return (m: Module): string | undefined => {
    for (const path of FACTORY.keys()) {
      if (!m.vfs.exists(path)) return `${path} lost`;
      const got = dec(m.vfs.readFile(path));
      if (!allowed(path).includes(got)) return `${path} corrupt (${got.length} bytes)`;
    }
    const again = m.softReboot();
    if (again.restore.restored.length > 0) return `second boot restored ${again.restore.restored.join(", ")}`;
    if (again.restore.error !== undefined) return `second boot: ${again.restore.error}`;
    return undefined;
  };
}

const factoryOr = (extra: Record<string, string>) => (p: string) => [
  FACTORY.get(p)!,
  ...(extra[p] === undefined ? [] : [extra[p]!]),
];

const matrix = (["hardened", "faithful"] as const).flatMap((mode) =>
  (["after", "during"] as const).map((when) => [mode, when] as const),
);

describe.each(matrix)("power loss at every write operation (%s, cut %s it)", (mode, when) => {
  const snap = base(mode);

  it("during a protected-file edit plus file_crc32.calc: old or new, never lost or torn", () => {
    const r = sweep(
      snap,
      mode,
      (m) => {
        m.boot();
        writeFile(m.usr, "/main.py", enc(NEW_MAIN));
        m.fileCrc32.calc("/usr/main.py");
      },
      judgeFiles(factoryOr({ "/usr/main.py": NEW_MAIN })),
      when,
    );
    expect(r.total).toBeGreaterThan(3);
    expect(r.failures).toEqual([]);
  });

  it("during the restore itself (one file deleted, one damaged): every file comes back", () => {
    const damaged = powerOn(snap, mode);
    damaged.boot();
    damaged.usr.remove("/main.py");
    writeFile(damaged.usr, "/lib/util.py", enc("damaged"));
    const start = damaged.flash.snapshot();
    const r = sweep(start, mode, (m) => void m.boot(), judgeFiles(factoryOr({})), when);
    expect(r.total).toBeGreaterThan(3);
    expect(r.failures).toEqual([]);
  });

  it("during the copy of a deleted checksum.json: hardened recovers, faithful loses restore for good", () => {
    const start = powerOn(snap, mode);
    start.boot();
    start.usr.remove("/checksum.json");
    writeFile(start.usr, "/main.py", enc("damaged"));
    const r = sweep(
      start.flash.snapshot(),
      mode,
      (m) => void m.boot(),
      (m) => {
        const again = m.softReboot();
        if (again.restore.error !== undefined) return `restore fails: ${again.restore.error}`;
        return judgeFiles(factoryOr({}))(m);
      },
      when,
    );
    expect(r.total).toBeGreaterThan(3);
    if (mode === "hardened") expect(r.failures).toEqual([]);
    else {
      // The device creates /usr/checksum.json before copying into it: a cut in between leaves
      // it empty, every later boot stops at "syntax error in JSON", and nothing is ever
      // restored again (the damaged main.py stays damaged).
      expect(r.failures.length).toBeGreaterThan(0);
      expect(new Set(r.failures.map((f) => f.why))).toEqual(new Set(["restore fails: syntax error in JSON"]));
    }
  });

  it("during a FOTA apply: the next boot finishes it, with the new CRC recorded", () => {
    const staged = powerOn(snap, mode);
    staged.boot();
    staged.appFota.stage("/usr/main.py", enc(NEW_MAIN));
    staged.appFota.stage("/usr/cfg/app.json", enc('{"level": 3}'));
    staged.appFota.set_update_flag();
    const start = staged.flash.snapshot();
    const r = sweep(
      start,
      mode,
      (m) => void m.boot(),
      (m) => {
        const bad = judgeFiles(factoryOr({ "/usr/main.py": NEW_MAIN, "/usr/cfg/app.json": '{"level": 3}' }))(
          m,
        );
        if (bad !== undefined) return bad;
        if (dec(readFile(m.usr, "/main.py")) !== NEW_MAIN) return "FOTA not finished";
        if (m.vfs.exists("/usr/.updater")) return "updater directory left behind";
        return undefined;
      },
      when,
    );
    expect(r.total).toBeGreaterThan(3);
    if (mode === "hardened") expect(r.failures).toEqual([]);
    else {
      // The device removes update.flag before download.stat and the directory: a cut in
      // that window strands /usr/.updater (staged copies included) forever. No file is lost.
      expect(r.failures.length).toBeGreaterThan(0);
      expect(new Set(r.failures.map((f) => f.why))).toEqual(new Set(["updater directory left behind"]));
    }
  });
});
