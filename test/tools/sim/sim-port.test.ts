/**
 * `--port sim:<flash file>`: the REPL host tools reach the full flash-backed module in-process,
 * and what they write lands in the flash file, where `sim fs` (below the REPL) finds it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resetSimDevices } from "../../../tools/serial/open-link.js";
import { namesFlashFile } from "../../../tools/sim/sim-port.js";
import { runCli } from "../cli-harness.js";

afterEach(() => resetSimDevices());

describe("--port sim:<flash file>", () => {
  it("tells flash files from in-memory module names", () => {
    expect(namesFlashFile("dev.bin")).toBe(true);
    expect(namesFlashFile("/no/such/dir/x")).toBe(false);
    expect(namesFlashFile("unit1")).toBe(false);
  });

  it("puts a file through the REPL of the module booted from the flash file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fb-simport-"));
    const flash = join(dir, "dev.bin");
    const created = await runCli(["sim", "create", "--package", "images/example.fbpkg", "--flash", flash]);
    expect(created.code).toBe(0);
    const local = join(dir, "hello.txt");
    writeFileSync(local, "hello from the host\n");
    const put = await runCli(["device", "fs", "--port", `sim:${flash}`, "put", local, "/usr/hello.txt"]);
    expect(put.stderr).toBe("");
    expect(put.code).toBe(0);
    const ls = await runCli(["device", "fs", "--port", `sim:${flash}`, "ls", "/usr"]);
    expect(ls.stdout).toMatch(/hello\.txt/);
    resetSimDevices();
    // The in-process module saved its flash when it changed: read it below the REPL.
    const cat = await runCli(["sim", "fs", "--flash", flash, "cat", "/usr/hello.txt"]);
    expect(cat.stdout).toBe("hello from the host\n");
  });
});
