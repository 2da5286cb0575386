import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "../../../firmware-sim/fs/fs-util.js";
import {
  memoryServices,
  startReplDevice,
  type ReplDevice,
} from "../../../firmware-sim/runtime/repl-device.js";
import { DeviceFs, deviceCrc32 } from "../../../tools/repl/device-fs.js";
import { RawRepl } from "../../../tools/repl/raw-repl.js";
import { syncDir } from "../../../tools/repl/sync.js";
import { SimLineLink } from "../../../tools/serial/memory-link.js";

const enc = (s: string) => new TextEncoder().encode(s);

async function rig(
  files: Record<string, string> = {},
): Promise<{ dev: ReplDevice; fs: DeviceFs; repl: RawRepl }> {
  const services = memoryServices();
  const usr = services.mounts[0]!.fs;
  for (const [p, t] of Object.entries(files)) writeFile(usr, p, enc(t));
  const dev = await startReplDevice({ services });
  const repl = new RawRepl(new SimLineLink("sim:fs", dev.line), { rawChunkDelayMs: 0 });
  return { dev, fs: new DeviceFs(repl), repl };
}

function random(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const usrOf = (d: ReplDevice) => d.services.mounts[0]!.fs;

describe("DeviceFs over the raw REPL", () => {
  it("detects the simulator's capabilities", async () => {
    const { fs } = await rig();
    expect(await fs.capabilities()).toEqual({ inflate: "zlib", fileCrc32: true });
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["one byte", new Uint8Array([0])],
    ["random 10 KiB (plain base64)", random(10 * 1024)],
    ["compressible source 40 KiB (deflate)", enc("def f(x):\n    return x * 2  # comment\n".repeat(1000))],
    ["all byte values", new Uint8Array(Array.from({ length: 512 }, (_, i) => i & 255))],
  ])("put then get round-trips %s, verified and renamed into place", async (_n, data) => {
    const { dev, fs } = await rig();
    const r = await fs.put("/usr/f.bin", data);
    expect(r.bytes).toBe(data.length);
    expect(r.crc32).toBe(deviceCrc32(data));
    expect(readFile(usrOf(dev), "/f.bin")).toEqual(data);
    expect(
      usrOf(dev)
        .readdir("/")
        .map((e) => e.name),
    ).toEqual(["f.bin"]);
    expect(await fs.get("/usr/f.bin")).toEqual(data);
  });

  it("compresses source: fewer wire bytes than file bytes", async () => {
    const { fs } = await rig();
    const data = enc("import utime\nwhile True:\n    utime.sleep(1)\n".repeat(500));
    const r = await fs.put("/usr/main.py", data);
    expect(r.wireBytes).toBeLessThan(data.length / 2);
  });

  it("updates the CRC of a file that /usr/checksum.json protects (and only then)", async () => {
    const { dev, fs } = await rig({
      "/checksum.json": JSON.stringify([{ name: "/usr/Main.py", crc32: "0x1" }]),
    });
    const data = enc("print('v2')\n");
    expect((await fs.put("/usr/main.py", data)).checksumUpdated).toBe(true);
    const list = JSON.parse(new TextDecoder().decode(readFile(usrOf(dev), "/checksum.json"))) as {
      crc32: string;
    }[];
    expect(list[0]!.crc32).toBe(deviceCrc32(data));
    expect((await fs.put("/usr/other.py", data)).checksumUpdated).toBe(false);
    expect((await fs.put("/usr/main.py", enc("x"), { updateChecksum: false })).checksumUpdated).toBe(false);
  });

  it("lists, makes directories, removes", async () => {
    const { fs } = await rig({ "/a.py": "1" });
    await fs.mkdir("/usr/lib/sub");
    await fs.put("/usr/lib/sub/b.py", enc("22"));
    expect(await fs.ls("/usr")).toEqual([
      { name: "a.py", type: "file", size: 1 },
      { name: "lib", type: "dir", size: 0 },
    ]);
    await fs.rm("/usr/a.py");
    expect((await fs.ls("/usr")).map((e) => e.name)).toEqual(["lib"]);
  });

  it.each([
    ["get of a missing file", "LFS_NOENT", (f: DeviceFs) => f.get("/usr/none")],
    ["rm of a missing file", "LFS_NOENT", (f: DeviceFs) => f.rm("/usr/none")],
    ["put into read-only /bak", "LFS_EROFS", (f: DeviceFs) => f.put("/bak/x", enc("1"))],
  ])("%s fails with %s", async (_n, code, op) => {
    const { fs } = await rig();
    await expect(op(fs)).rejects.toMatchObject({ code });
  });

  it("a damaged line never replaces the old file", async () => {
    const { dev, fs } = await rig({ "/keep.bin": "old" });
    await fs.capabilities();
    dev.line.faults.flipBits("rx", 40);
    await expect(fs.put("/usr/keep.bin", random(4000))).rejects.toBeDefined();
    expect(new TextDecoder().decode(readFile(usrOf(dev), "/keep.bin"))).toBe("old");
  });

  it("sync sends only files whose device CRC differs", async () => {
    const { dev, fs } = await rig({ "/same.py": "same\n", "/changed.py": "old\n" });
    const dir = mkdtempSync(join(tmpdir(), "fb-sync-"));
    writeFileSync(join(dir, "same.py"), "same\n");
    writeFileSync(join(dir, "changed.py"), "new\n");
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib", "new.py"), "n\n");
    const r = await syncDir(fs, dir, "/usr");
    expect(r.sent.map((s) => s.path).sort()).toEqual(["/usr/changed.py", "/usr/lib/new.py"]);
    expect(r.unchanged).toEqual(["/usr/same.py"]);
    expect(new TextDecoder().decode(readFile(usrOf(dev), "/lib/new.py"))).toBe("n\n");
    const again = await syncDir(fs, dir, "/usr");
    expect(again.sent).toEqual([]);
  });
});
