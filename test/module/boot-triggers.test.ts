import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { provision } from "../../firmware-sim/module/factory.js";
import { boardFlash, partitionDevice } from "../../firmware-sim/module/flash-map.js";
import { LittleFsDriver, MemoryFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { Module } from "../../firmware-sim/module/module.js";
import type { RestoreMode } from "../../firmware-sim/module/restore-policy.js";
import { board, dec, enc, littlefsRig, memoryRig, sampleFiles, writableBak } from "./helpers.js";

const modes: RestoreMode[] = ["faithful", "hardened"];

const rigs = { memory: memoryRig, littlefs: littlefsRig } as const;
const matrix = modes.flatMap((mode) => (["memory", "littlefs"] as const).map((fs) => [mode, fs] as const));

describe.each(matrix)("boot-time restore, documented triggers (%s on %s)", (mode, fs) => {
  const makeRig = rigs[fs];
  it("an intact /usr boots with only 'mount.' and restores nothing", () => {
    const m = makeRig().module(mode);
    const r = m.boot();
    expect(r.log).toEqual(["mount."]);
    expect(r.restore.enabled).toBe(true);
    expect(r.restore.checked).toBe(3);
    expect(r.restore.restored).toEqual([]);
  });

  it("a deleted checksum.json is copied back from /bak and nothing is reverted", () => {
    const m = makeRig().module(mode);
    m.boot();
    m.usr.remove("/checksum.json");
    const r = m.softReboot();
    expect(r.restore.checksumSource).toBe("copied-from-bak");
    expect(dec(readFile(m.usr, "/checksum.json"))).toBe(dec(m.vfs.readFile("/bak/checksum.json")));
    expect(r.restore.restored).toEqual([]);
  });

  it("a deleted protected file is restored from /bak", () => {
    const m = makeRig().module(mode);
    m.boot();
    m.usr.remove("/cfg/app.json");
    const r = m.softReboot();
    expect(r.log).toEqual(["mount.", "- restoring /usr/cfg/app.json"]);
    expect(r.restore.missing).toEqual(["/usr/cfg/app.json"]);
    expect(dec(readFile(m.usr, "/cfg/app.json"))).toBe('{"level": 1}');
  });

  it("a protected file edited without updating checksum.json is reverted at the next boot", () => {
    const m = makeRig().module(mode);
    m.boot();
    writeFile(m.usr, "/main.py", enc("print('edited over the REPL')\n"));
    const r = m.softReboot();
    expect(r.restore.mismatched).toEqual(["/usr/main.py"]);
    expect(dec(readFile(m.usr, "/main.py"))).toBe("print('factory main')\n");
    expect(m.softReboot().restore.restored).toEqual([]);
  });

  it("an edit followed by file_crc32.calc is kept", () => {
    const m = makeRig().module(mode);
    m.boot();
    writeFile(m.usr, "/main.py", enc("print('v2')\n"));
    const crc = m.fileCrc32.calc("/usr/main.py");
    expect(crc).toMatch(/^0x[0-9a-f]{1,8}$/);
    expect(m.checksum.retrieve("/usr/main.py")?.crc32).toBe(crc);
    const r = m.softReboot();
    expect(r.restore.restored).toEqual([]);
    expect(dec(readFile(m.usr, "/main.py"))).toBe("print('v2')\n");
  });

  it("an edit followed by checksum.update is kept", () => {
    const m = makeRig().module(mode);
    m.boot();
    writeFile(m.usr, "/cfg/app.json", enc('{"level": 2}'));
    expect(m.checksum.update("/usr/cfg/app.json")).not.toBeNull();
    expect(m.softReboot().restore.restored).toEqual([]);
    expect(dec(readFile(m.usr, "/cfg/app.json"))).toBe('{"level": 2}');
  });

  it("a FOTA update of a protected file is applied at boot, gets its CRC and is not reverted", () => {
    const m = makeRig().module(mode);
    m.boot();
    m.appFota.stage("/usr/main.py", enc("print('fota v2')\n"));
    m.appFota.stage("/usr/new.py", enc("x = 1\n"));
    m.appFota.set_update_flag();
    const r = m.softReboot();
    expect(r.fota.pending).toBe(true);
    expect(r.fota.applied).toEqual(["/usr/main.py", "/usr/new.py"]);
    expect(r.fota.crcUpdated).toEqual(["/usr/main.py"]);
    expect(m.vfs.exists("/usr/.updater")).toBe(false);
    expect(m.checksum.retrieve("/usr/new.py")).toBeNull();
    const again = m.softReboot();
    expect(again.restore.restored).toEqual([]);
    expect(again.fota.pending).toBe(false);
    expect(dec(readFile(m.usr, "/main.py"))).toBe("print('fota v2')\n");
  });

  it("a FOTA-updated file that is later damaged comes back as the FACTORY version", () => {
    const m = makeRig().module(mode);
    m.boot();
    m.appFota.stage("/usr/main.py", enc("print('fota v2')\n"));
    m.appFota.set_update_flag();
    m.softReboot();
    m.usr.remove("/main.py");
    m.softReboot();
    expect(dec(readFile(m.usr, "/main.py"))).toBe("print('factory main')\n");
  });

  it("restore disabled by backup_restore.json does nothing", () => {
    const rig = makeRig();
    writeFile(writableBak(rig), "/backup_restore.json", enc('{"enable": 0}'));
    const m = rig.module(mode);
    m.boot();
    m.usr.remove("/main.py");
    const r = m.softReboot();
    expect(r.restore.enabled).toBe(false);
    expect(r.log).toEqual(["mount."]);
    expect(m.vfs.exists("/usr/main.py")).toBe(false);
  });

  it("a /usr that does not mount is reformatted loudly, then protected files come back", () => {
    const rig = makeRig();
    partitionDevice(rig.flash, board, "customer_fs").erase(0);
    partitionDevice(rig.flash, board, "customer_fs").erase(1);
    if (rig.driver instanceof MemoryFsDriver) rig.driver.wipe("customer_fs");
    const m = rig.module(mode);
    const r = m.boot();
    expect(r.formatted).toEqual(["customer_fs"]);
    expect(r.warnings.join("\n")).toMatch(/REFORMATTED/);
    expect(r.restore.checksumSource).toBe("copied-from-bak");
    expect(r.restore.restored.sort()).toEqual(["/usr/cfg/app.json", "/usr/lib/util.py", "/usr/main.py"]);
    expect(m.vfs.exists("/usr/notes.txt")).toBe(false);
  });

  it("/bak is read-only to the module (EROFS), and bak_file/bak_update report failure codes", () => {
    const m = makeRig().module(mode);
    m.boot();
    expect(() => m.vfs.writeFile("/bak/usr/main.py", enc("x"))).toThrow(/read-only/);
    expect(m.backupRestore.bak_file("/usr/main.py")).toBe(-6);
    expect(m.backupRestore.bak_file("/usr/absent.py")).toBe(-1);
    expect(m.backupRestore.bak_update("/usr/new.json", { a: 1 })).toBe(-5);
    expect(m.backupRestore.bak_update("/usr/main.py", { a: 1 })).toBe(-1);
    expect(() => m.checksum.bak_update("/usr/main.py")).toThrow(/read-only/);
  });
});

describe("file_crc32.calc writes only when the CRC changed", () => {
  it("a second calc of an unchanged file programs nothing", () => {
    const m = littlefsRig().module("faithful");
    m.boot();
    writeFile(m.usr, "/main.py", enc("print('v2')\n"));
    m.fileCrc32.calc("/usr/main.py");
    const before = m.flash.writeOperations;
    expect(m.fileCrc32.calc("/usr/main.py")).toMatch(/^0x/);
    expect(m.flash.writeOperations).toBe(before);
  });
});

describe.each(["ec600u", "ec600s"])("every board profile boots and restores on littlefs (%s)", (id) => {
  it("provision, damage, boot: the damaged file comes back and SecureData works", () => {
    const b = boardById(id);
    const flash = boardFlash(b);
    const driver = new LittleFsDriver();
    provision(flash, b, driver, { files: sampleFiles(), firmware: { board: id, restoreMode: "hardened" } });
    const m = new Module({ board: b, flash, fsDriver: driver });
    expect(m.restoreMode).toBe("hardened");
    m.boot();
    m.usr.remove("/lib/util.py");
    expect(m.softReboot().restore.restored).toEqual(["/usr/lib/util.py"]);
    expect(m.secureData.Store(15, enc("k".repeat(1000)), 1000)).toBe(0);
    expect(m.softReboot().secureData).toEqual({ state: "ok", records: 1 });
  });
});
