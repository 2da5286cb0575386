/** Where the faithful (2021 device) and hardened restore modes differ, one test per flaw. */
import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { deviceCrc32, pyHex } from "../../firmware-sim/module/file-crc32.js";
import { dec, enc, memoryRig, writableBak } from "./helpers.js";

describe("faithful vs hardened restore", () => {
  it("a corrupt /usr/checksum.json: faithful aborts with the device's message, hardened falls back to /bak", () => {
    for (const mode of ["faithful", "hardened"] as const) {
      const m = memoryRig().module(mode);
      m.boot();
      writeFile(m.usr, "/checksum.json", enc('[{"name": "/usr/main.py", "crc'));
      m.usr.remove("/main.py");
      const r = m.softReboot();
      if (mode === "faithful") {
        expect(r.log).toEqual(["mount.", "x backup restore procedure error: syntax error in JSON"]);
        expect(r.restore.error).toBe("syntax error in JSON");
        expect(m.vfs.exists("/usr/main.py")).toBe(false);
      } else {
        expect(r.restore.checksumSource).toBe("bak-fallback");
        expect(r.restore.restored).toEqual(["/usr/main.py"]);
        expect(m.softReboot().restore.checksumSource).toBe("usr");
      }
    }
  });

  it("a checksum.json over 16 KiB: faithful silently does nothing, hardened reads it all", () => {
    const files = Array.from({ length: 330 }, (_, i) => ({
      path: `/usr/app/module_${String(i).padStart(3, "0")}.py`,
      data: enc(`x = ${i}\n`),
      backup: true,
    }));
    for (const mode of ["faithful", "hardened"] as const) {
      const rig = memoryRig(files);
      const m = rig.module(mode);
      m.boot();
      expect(m.vfs.stat("/usr/checksum.json").size).toBeGreaterThan(16384);
      m.usr.remove("/app/module_000.py");
      const r = m.softReboot();
      if (mode === "faithful") {
        expect(r.restore.error).toBe("syntax error in JSON");
        expect(m.vfs.exists("/usr/app/module_000.py")).toBe(false);
      } else {
        expect(r.restore.restored).toEqual(["/usr/app/module_000.py"]);
      }
    }
  });

  it("usr_update lower-cases a new mixed-case name on the device, so that file can never verify", () => {
    for (const mode of ["faithful", "hardened"] as const) {
      const m = memoryRig().module(mode);
      m.boot();
      writeFile(m.usr, "/Config.JSON", enc("{}"));
      const list = m.checksum.usr_update("/usr/Config.JSON");
      const names = (list ?? []).map((i) => i.name);
      if (mode === "faithful") {
        expect(names).toContain("/usr/config.json");
        const r = m.softReboot();
        // Lower-cased path does not exist: the device tries to restore it, finds no backup.
        expect(r.log).toEqual(["mount.", "- restoring /usr/config.json", "~ backup file does not exist"]);
      } else {
        expect(names).toContain("/usr/Config.JSON");
        expect(m.softReboot().log).toEqual(["mount."]);
      }
    }
  });

  it("an empty protected file: faithful restores it on every boot, hardened leaves it alone", () => {
    const files = [{ path: "/usr/empty.cfg", data: new Uint8Array(0), backup: true }];
    for (const mode of ["faithful", "hardened"] as const) {
      const m = memoryRig(files).module(mode);
      for (let i = 0; i < 3; i++) {
        const r = m.boot();
        if (mode === "faithful") expect(r.restore.restored).toEqual(["/usr/empty.cfg"]);
        else expect(r.restore.restored).toEqual([]);
      }
      if (mode === "faithful") expect(m.checksum.retrieve("/usr/empty.cfg")?.crc32).toBeNull();
    }
  });

  it("a damaged backup copy: faithful copies it over the file, hardened refuses it", () => {
    for (const mode of ["faithful", "hardened"] as const) {
      const rig = memoryRig();
      writeFile(writableBak(rig), "/usr/main.py", enc("garbage in the backup"));
      const m = rig.module(mode);
      m.boot();
      m.usr.remove("/main.py");
      const r = m.softReboot();
      if (mode === "faithful") {
        expect(r.restore.restored).toEqual(["/usr/main.py"]);
        expect(dec(readFile(m.usr, "/main.py"))).toBe("garbage in the backup");
        // bulk_update recorded the CRC of the bad copy: the damage is now "verified".
        expect(m.checksum.retrieve("/usr/main.py")?.crc32).toBe(
          pyHex(deviceCrc32(enc("garbage in the backup"))),
        );
      } else {
        expect(r.restore.backupCorrupt).toEqual(["/usr/main.py"]);
        expect(r.log).toContain("~ backup file does not match /bak/checksum.json");
        expect(m.vfs.exists("/usr/main.py")).toBe(false);
      }
    }
  });

  it("a missing backup_restore.json aborts with the device's OSError text", () => {
    const rig = memoryRig();
    writableBak(rig).remove("/backup_restore.json");
    const r = rig.module("faithful").boot();
    expect(r.log).toEqual(["mount.", "x backup restore procedure error: [Errno 2] ENOENT"]);
  });

  it("the restore mode comes from the firmware descriptor unless overridden", async () => {
    const { writeFirmwareInfo } = await import("../../firmware-sim/module/firmware-info.js");
    const rig = memoryRig();
    expect(rig.module().restoreModeSource).toBe("board-default");
    expect(rig.module().restoreMode).toBe("faithful");
    writeFirmwareInfo(rig.flash, rig.module().board, {
      board: "ec600u",
      restoreMode: "hardened",
      name: "app",
    });
    expect(rig.module().restoreMode).toBe("hardened");
    expect(rig.module().restoreModeSource).toBe("firmware");
    expect(rig.module("faithful").restoreModeSource).toBe("override");
  });
});

describe("hardened clean-up of interrupted atomic writes", () => {
  it("removes checksum.json.fbtmp; a stale temporary beside a damaged file is consumed by its restore", () => {
    const m = memoryRig().module("hardened");
    m.boot();
    writeFile(m.usr, "/checksum.json.fbtmp", enc("half"));
    writeFile(m.usr, "/cfg/app.json.fbtmp", enc("half"));
    writeFile(m.usr, "/cfg/app.json", enc("damaged"));
    writeFile(m.usr, "/cfg/other.fbtmp", enc("not ours"));
    const r = m.softReboot();
    expect(r.restore.temporariesRemoved).toEqual(["/usr/checksum.json.fbtmp"]);
    expect(r.restore.restored).toEqual(["/usr/cfg/app.json"]);
    expect(m.vfs.exists("/usr/cfg/app.json.fbtmp")).toBe(false);
    expect(dec(readFile(m.usr, "/cfg/app.json"))).toBe('{"level": 1}');
    expect(m.vfs.exists("/usr/cfg/other.fbtmp")).toBe(true);
  });

  it("faithful leaves them (the device never writes any)", () => {
    const m = memoryRig().module("faithful");
    m.boot();
    writeFile(m.usr, "/checksum.json.fbtmp", enc("half"));
    expect(m.softReboot().restore.temporariesRemoved).toEqual([]);
    expect(m.vfs.exists("/usr/checksum.json.fbtmp")).toBe(true);
  });
});
