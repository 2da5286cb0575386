/** `flashbak flash` as a user runs it, against in-process simulated modules (virtual time). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-harness.js";
import { noise } from "../../download/harness.js";

const pkg = "images/example.fbpkg";

describe("flashbak flash", () => {
  it("flashes a package to a simulated module and reports it", async () => {
    const r = await runCli(["flash", "--port", "sim", pkg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ESP32 MAC 24:0a:c4:00:00:01, flash 8 MiB, 921600 baud/);
    expect(r.stdout).toMatch(/Preserved securedata at 0x4a0000/);
    expect(r.stdout).toMatch(/simulated time/);
    expect(r.stdout).toMatch(/Reset into the firmware/);
    // Not a terminal: plain progress lines on stderr.
    expect(r.stderr).toMatch(/sim:0: 100%/);
  });

  it("prints one JSON object with --json and no progress", async () => {
    const r = await runCli(["flash", "--port", "sim", pkg, "--json", "--no-reset", "--baud", "2000000"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({
      baud: 2000000,
      reset: false,
      simulatedTime: true,
      identity: { chip: "ESP32" },
    });
    expect((j.writtenBytes as number) + (j.skippedBytes as number)).toBe(j.totalBytes);
  });

  it.each([
    [["flash", "--port", "sim", pkg, "--board", "ec600s"], 5, /package is for board "ec600u", not "ec600s"/],
    [["flash", "--port", "sim", "images/nope.fbpkg"], 4, /does not exist/],
    [["flash", "--port", "sim"], 2, /give a PACKAGE or --bin/],
    [["flash", "--port", "sim", "--bin", "images/example.fbpkg"], 2, /--bin needs --offset/],
    [["flash", "--port", "sim", pkg, "--check-boot", "--no-reset"], 2, /needs the reset/],
  ])("refuses %j with exit %i", async (args, code, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("refuses a corrupt package", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-flash-"));
    const bad = join(dir, "bad.fbpkg");
    writeFileSync(bad, noise(4096, 1));
    const r = await runCli(["flash", "--port", "sim", bad]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/PKG|package/i);
  });

  it("flashes a flat binary at an offset, sparing the board's SecureData", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-flash-"));
    const bin = join(dir, "fw.bin");
    writeFileSync(bin, noise(100_000, 2));
    const ok = await runCli([
      "flash",
      "--port",
      "sim",
      "--bin",
      bin,
      "--offset",
      "0x10000",
      "--board",
      "ec600u",
      "--json",
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ writtenBytes: 100_000 });
    const clash = await runCli([
      "flash",
      "--port",
      "sim",
      "--bin",
      bin,
      "--offset",
      "0x4a0000",
      "--board",
      "ec600u",
    ]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/would erase preserved region securedata/);
  });

  it("--check-boot waits for the firmware's prompt after the reset and reports the boot", async () => {
    const r = await runCli(["flash", "--port", "sim", pkg, "--check-boot"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Boot: firmware booted \(MicroPython v1\.13/);
  });

  it("explains a port that does not exist", async () => {
    const r = await runCli(["flash", "--port", "/dev/flashbak-no-such-port", pkg]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/flashbak-no-such-port/);
  });
});
