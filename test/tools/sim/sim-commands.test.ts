/** `flashbak sim ...` as a user runs it: flash files in a temporary directory, the example package. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPackage } from "../../../firmware-sim/package/reader.js";
import { writePackage } from "../../../firmware-sim/package/writer.js";
import { runCli } from "../cli-harness.js";

const PKG = join(process.cwd(), "images/example.fbpkg");
let dir: string;
const path = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "flashbak-sim-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fresh(name: string): Promise<string> {
  const f = path(name);
  const r = await runCli(["sim", "create", "--package", PKG, "--flash", f]);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

describe("flashbak sim", () => {
  it("boards lists both profiles with their partitions, and --json is parseable", async () => {
    const text = await runCli(["sim", "boards"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /ec600u:.*\n[\s\S]*customer_backup_fs\s+littlefs\s+0x480000\s+128 KiB\s+\/bak\s+read-only/,
    );
    const json = await runCli(["sim", "boards", "--json"]);
    const list = JSON.parse(json.stdout) as Array<{ id: string; partitions: unknown[] }>;
    expect(list.map((b) => b.id)).toEqual(["ec600u", "ec600s"]);
  });

  it("create from a package then boot: the device's log, nothing restored", async () => {
    const f = await fresh("a.bin");
    expect(readFileSync(f).length).toBe(8 << 20);
    const r = await runCli(["sim", "boot", "--flash", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("mount.\n");
    expect(r.stderr).toMatch(/[1-9]\d* protected file\(s\) checked, 0 restored/);
  });

  it("the package's restore mode reaches the module: a hardened package boots hardened", async () => {
    const pkg = readPackage(new Uint8Array(readFileSync(PKG)));
    const hardened = path("hardened.fbpkg");
    writeFileSync(hardened, writePackage({ ...pkg, header: { ...pkg.header, restoreMode: "hardened" } }));
    const f = path("hardened.bin");
    expect((await runCli(["sim", "create", "--package", hardened, "--flash", f])).code).toBe(0);
    const r = JSON.parse((await runCli(["sim", "boot", "--flash", f, "--json"])).stdout) as Record<
      string,
      unknown
    >;
    expect(r).toMatchObject({ restoreMode: "hardened", restoreModeSource: "firmware" });
    const forced = await runCli(["sim", "boot", "--flash", f, "--json", "--restore", "faithful"]);
    expect(JSON.parse(forced.stdout)).toMatchObject({
      restoreMode: "faithful",
      restoreModeSource: "override",
    });
  });

  it("create refuses an existing flash file unless --reflash or --erase", async () => {
    const f = await fresh("exists.bin");
    const r = await runCli(["sim", "create", "--package", PKG, "--flash", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--reflash/);
  });

  it("--expect-intact exits 1 when the boot had to repair something, 0 when it did not", async () => {
    const f = await fresh("intact.bin");
    expect((await runCli(["sim", "boot", "--flash", f, "--expect-intact"])).code).toBe(0);
    await runCli(["sim", "fs", "--flash", f, "rm", "/usr/main.py"]);
    const r = await runCli(["sim", "boot", "--flash", f, "--expect-intact"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/boot was not intact: restored \/usr\/main.py/);
    expect((await runCli(["sim", "boot", "--flash", f, "--expect-intact", "--json"])).code).toBe(0);
  });

  it("a file damaged on flash is restored at the next boot", async () => {
    const f = await fresh("b.bin");
    const c = await runCli(["sim", "fs", "--flash", f, "corrupt", "/usr/main.py"]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/damaged \/usr\/main.py: customer_fs block \d+/);
    const r = await runCli(["sim", "boot", "--flash", f, "--json"]);
    const report = JSON.parse(r.stdout) as { restore: { restored: string[] }; log: string[] };
    expect(report.restore.restored).toContain("/usr/main.py");
    expect(report.log).toContain("- restoring /usr/main.py");
  });

  it("an edit over stdin is reverted; the same edit followed by crc32 is kept", async () => {
    const f = await fresh("c.bin");
    await runCli(["sim", "fs", "--flash", f, "write", "/usr/main.py"], { stdin: "print('mine')\n" });
    expect((await runCli(["sim", "boot", "--flash", f])).stdout).toBe("mount.\n- restoring /usr/main.py\n");
    await runCli(["sim", "fs", "--flash", f, "write", "/usr/main.py"], { stdin: "print('mine')\n" });
    const crc = await runCli(["sim", "crc32", "--flash", f, "/usr/main.py"]);
    expect(crc.stdout).toMatch(/^'0x[0-9a-f]+'\n$/);
    expect((await runCli(["sim", "boot", "--flash", f])).stdout).toBe("mount.\n");
    expect((await runCli(["sim", "fs", "--flash", f, "cat", "/usr/main.py"])).stdout).toBe("print('mine')\n");
  });

  it("a damaged backup copy: hardened refuses it, faithful copies the damage into /usr", async () => {
    const f = await fresh("bakdmg.bin");
    expect((await runCli(["sim", "fs", "--flash", f, "corrupt", "/bak/usr/main.py"])).code).toBe(0);
    await runCli(["sim", "fs", "--flash", f, "rm", "/usr/main.py"]);
    const h = await runCli(["sim", "boot", "--flash", f, "--restore", "hardened"]);
    expect(h.stdout).toBe(
      "mount.\n- restoring /usr/main.py\n~ backup file does not match /bak/checksum.json\n",
    );
    const fa = await runCli(["sim", "boot", "--flash", f, "--restore", "faithful"]);
    expect(fa.stdout).toBe("mount.\n- restoring /usr/main.py\n");
    const bak = await runCli(["sim", "fs", "--flash", f, "cat", "/bak/usr/main.py"]);
    expect((await runCli(["sim", "fs", "--flash", f, "cat", "/usr/main.py"])).stdout).toBe(bak.stdout);
  });

  it("/bak is read-only from the module: writing it fails with EROFS (exit 2)", async () => {
    const f = await fresh("d.bin");
    const r = await runCli(["sim", "fs", "--flash", f, "write", "/bak/usr/main.py"], { stdin: "x" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/read-only/);
  });

  it("SecureData: -2 exits 4, store/read round-trip, a bad index exits 2", async () => {
    const f = await fresh("e.bin");
    const none = await runCli(["sim", "securedata", "--flash", f, "read", "3"]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/-2/);
    expect((await runCli(["sim", "securedata", "--flash", f, "store", "3", "--hex", "00ff0010"])).code).toBe(
      0,
    );
    expect((await runCli(["sim", "securedata", "--flash", f, "read", "3"])).stdout).toBe("00ff0010\n");
    expect((await runCli(["sim", "securedata", "--flash", f, "store", "17", "--hex", "00"])).code).toBe(2);
  });

  it("SecureData survives a reflash of the package; --erase does not keep it", async () => {
    const f = await fresh("f.bin");
    await runCli(["sim", "securedata", "--flash", f, "store", "16", "--hex", "cafe"]);
    const re = await runCli(["sim", "create", "--package", PKG, "--flash", f, "--reflash"]);
    expect(re.code, re.stderr).toBe(0);
    expect(re.stdout).toMatch(/kept\s+securedata/);
    expect((await runCli(["sim", "securedata", "--flash", f, "read", "16"])).stdout).toBe("cafe\n");
    await runCli(["sim", "create", "--package", PKG, "--flash", f, "--erase"]);
    expect((await runCli(["sim", "securedata", "--flash", f, "read", "16"])).code).toBe(4);
  });

  it("FOTA staged from the shell is applied by the next boot and keeps its new CRC", async () => {
    const f = await fresh("g.bin");
    writeFileSync(path("v2.py"), "print('v2')\n");
    const st = await runCli(["sim", "fota", "--flash", f, "stage", "/usr/main.py", "--file", path("v2.py")]);
    expect(st.code, st.stderr).toBe(0);
    const b = await runCli(["sim", "boot", "--flash", f, "--json"]);
    expect((JSON.parse(b.stdout) as { fota: { applied: string[] } }).fota.applied).toEqual(["/usr/main.py"]);
    expect((await runCli(["sim", "boot", "--flash", f])).stdout).toBe("mount.\n");
    expect((await runCli(["sim", "fs", "--flash", f, "cat", "/usr/main.py"])).stdout).toBe("print('v2')\n");
  });

  it("--cut-after N saves the torn flash and exits 3; a large N lets the work finish (0)", async () => {
    const f = await fresh("h.bin");
    await runCli(["sim", "fs", "--flash", f, "rm", "/usr/main.py"]);
    const before = readFileSync(f);
    const cut = await runCli(["sim", "boot", "--flash", f, "--cut-after", "1"]);
    expect(cut.code).toBe(3);
    expect(cut.stderr).toMatch(/power lost after flash write operation 1; .* saved to/);
    expect(readFileSync(f).equals(before)).toBe(false);
    const done = await runCli(["sim", "boot", "--flash", f, "--cut-after", "100000"]);
    expect(done.code).toBe(0);
    expect((await runCli(["sim", "boot", "--flash", f])).stdout).toBe("mount.\n");
  });

  it("--cut-after also cuts a create, and --json reports the power loss", async () => {
    const f = path("i.bin");
    const r = await runCli(["sim", "create", "--package", PKG, "--flash", f, "--cut-after", "4", "--json"]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: "POWER_LOSS", operation: 4 });
    expect(readFileSync(f).length).toBe(8 << 20);
  });

  it("ls / status commands answer in JSON, and a missing path exits 4", async () => {
    const f = await fresh("j.bin");
    const ls = JSON.parse(
      (await runCli(["sim", "fs", "--flash", f, "ls", "/bak", "-r", "--json"])).stdout,
    ) as Array<{
      path: string;
    }>;
    expect(ls.map((e) => e.path)).toContain("/bak/usr/main.py");
    const sd = JSON.parse((await runCli(["sim", "securedata", "--flash", f, "status", "--json"])).stdout) as {
      state: string;
    };
    expect(sd.state).toBe("blank");
    const fota = JSON.parse((await runCli(["sim", "fota", "--flash", f, "status", "--json"])).stdout) as {
      flag: boolean;
      staged: unknown[];
    };
    expect(fota).toEqual({ flag: false, staged: [] });
    expect((await runCli(["sim", "fs", "--flash", f, "cat", "/usr/nope.py"])).code).toBe(4);
    expect((await runCli(["sim", "fs", "--flash", f, "ls", "/"])).code).toBe(4);
  });

  it.each([
    [["sim", "boot"], /--flash/],
    [["sim", "boot", "--flash", "/nonexistent/x.bin"], /does not exist/],
    [["sim", "securedata", "--flash", "x.bin", "store", "1"], /--hex/],
    [["sim", "create", "--flash", "x.bin"], /--package PKG or --board B/],
  ])("bad usage %j explains itself", async (args, msg) => {
    const r = await runCli(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(msg);
  });

  it("fs on a module whose /usr does not mount says to boot it (which formats /usr)", async () => {
    const f = await fresh("k.bin");
    const image = readFileSync(f);
    image.fill(0, 0x420000, 0x420000 + 8192);
    writeFileSync(f, image);
    const ls = await runCli(["sim", "fs", "--flash", f, "ls"]);
    expect(ls.code).toBe(5);
    expect(ls.stderr).toMatch(/does not mount[\s\S]*flashbak sim boot/);
    const boot = await runCli(["sim", "boot", "--flash", f]);
    expect(boot.stderr).toMatch(/WARNING: \/usr \(customer_fs\) could not be mounted .* REFORMATTED/);
    expect(boot.stdout).toMatch(/^mount\.\n(- restoring \/usr\/[^\n]+\n)+$/);
  });

  it("create --board makes a bare module whose boot reports restore as not configured", async () => {
    const f = path("bare.bin");
    expect((await runCli(["sim", "create", "--board", "ec600u", "--flash", f])).code).toBe(0);
    const r = await runCli(["sim", "boot", "--flash", f]);
    expect(r.stdout).toBe("mount.\nx backup restore procedure error: [Errno 2] ENOENT\n");
  });
});
