import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../../tools/cli.js";
import { withIo } from "../../../tools/io.js";
import { resetSimDevices } from "../../../tools/serial/open-link.js";

async function cli(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await withIo(
    {
      stdout: {
        write: (s: string | Uint8Array) => (
          (out += typeof s === "string" ? s : Buffer.from(s).toString()),
          true
        ),
      },
      stderr: {
        write: (s: string | Uint8Array) => (
          (err += typeof s === "string" ? s : Buffer.from(s).toString()),
          true
        ),
      },
      stdin: Readable.from([Buffer.from(stdin)]),
      env: {},
      cwd: process.cwd(),
    },
    () => main(args),
  );
  return { code, out, err };
}

afterEach(() => resetSimDevices());

describe("flashbak exec / device / repl against --port sim", () => {
  it("exec prints the program's output", async () => {
    expect(await cli(["exec", "--port", "sim", "print(6 * 7)"])).toMatchObject({ code: 0, out: "42\n" });
  });

  it("exec --json reports a traceback and exits 1", async () => {
    const r = await cli(["exec", "--port", "sim", "--json", "print('a')\n1/0"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { stdout: string; error: string };
    expect(j.stdout).toBe("a\n");
    expect(j.error).toContain("ZeroDivisionError");
  });

  it("exec without code or --file is a usage error (exit 2)", async () => {
    expect((await cli(["exec", "--port", "sim"])).code).toBe(2);
  });

  it("device fs put / ls / cat / get / rm", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fb-cli-"));
    writeFileSync(join(dir, "main.py"), "print('hi')\n");
    expect(
      (await cli(["device", "fs", "--port", "sim", "put", join(dir, "main.py"), "/usr/main.py"])).code,
    ).toBe(0);
    expect((await cli(["device", "fs", "--port", "sim", "ls", "/usr"])).out).toBe("-        12 main.py\n");
    expect((await cli(["device", "fs", "--port", "sim", "cat", "/usr/main.py"])).out).toBe("print('hi')\n");
    const local = join(dir, "copy.py");
    expect((await cli(["device", "fs", "--port", "sim", "get", "/usr/main.py", local])).code).toBe(0);
    expect(readFileSync(local, "utf8")).toBe("print('hi')\n");
    expect((await cli(["device", "fs", "--port", "sim", "rm", "/usr/main.py"])).code).toBe(0);
    expect((await cli(["device", "fs", "--port", "sim", "cat", "/usr/main.py"])).code).toBe(4);
  });

  it("device securedata store then read, binary safe; never-stored slot exits 4", async () => {
    expect(
      (await cli(["device", "securedata", "--port", "sim", "store", "5", "--hex", "00ff0001"])).code,
    ).toBe(0);
    expect(await cli(["device", "securedata", "--port", "sim", "read", "5"])).toMatchObject({
      code: 0,
      out: "00ff0001\n",
    });
    expect((await cli(["device", "securedata", "--port", "sim", "read", "6"])).code).toBe(4);
    expect(
      (await cli(["device", "securedata", "--port", "sim", "store", "1", "--hex", "00".repeat(53)])).code,
    ).toBe(2);
  });

  it("repl relays keystrokes until the input ends", async () => {
    const r = await cli(["repl", "--port", "sim"], "print(40 + 2)\r");
    expect(r.code).toBe(0);
    expect(r.out).toContain("print(40 + 2)\r\n42\r\n>>> ");
  });

  it("ports lists nothing Quectel-like here without failing", async () => {
    const r = await cli(["ports", "--json"]);
    expect(r.code).toBe(0);
    expect(Array.isArray(JSON.parse(r.out))).toBe(true);
  });

  it.each(["exec", "repl", "ports", "device fs", "device securedata"])(
    "`%s --help` has examples",
    async (c) => {
      const r = await cli([...c.split(" "), "--help"]);
      expect(r.out).toContain("Examples:");
    },
  );
});
