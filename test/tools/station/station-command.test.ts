/** `flashbak station` as a user runs it, with simulated modules (virtual time). */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-harness.js";

const pkg = "images/example.fbpkg";

describe("flashbak station", () => {
  it("flashes and provisions 3 simulated modules, records them, exports CSV and JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-station-"));
    const db = join(dir, "line.sqlite");
    const csv = join(dir, "serials.csv");
    writeFileSync(csv, "sd1,sd9\nSN-0001,hex:00112233\nSN-0002,hex:44556677\nSN-0003,hex:8899aabb\n");
    const r = await runCli(["station", "--package", pkg, "--ports", "sim:3", "--db", db, "--csv", csv]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/: PASS /g)).toHaveLength(3);
    expect(r.stdout).toMatch(/Units: 3 {2}passed: 3 {2}failed: 0/);
    const out = join(dir, "line.csv");
    const e = await runCli(["station", "--db", db, "--export", out]);
    expect(e.code).toBe(0);
    const rows = readFileSync(out, "utf8").trim().split("\r\n");
    expect(rows).toHaveLength(4);
    expect(
      rows
        .slice(1)
        .map((l) => l.split(",")[13])
        .sort(),
    ).toEqual(["1", "2", "3"]);
    // Rows already used are never handed out again: a 4th unit finds none left.
    const again = await runCli([
      "station",
      "--package",
      pkg,
      "--ports",
      "sim:1",
      "--db",
      db,
      "--csv",
      csv,
      "--json",
    ]);
    expect(again.code).toBe(1);
    const unit = JSON.parse(again.stdout.split("\n")[0]!) as Record<string, unknown>;
    expect(unit).toMatchObject({ result: "fail", errorCode: "USAGE" });
    const j = join(dir, "line.json");
    await runCli(["station", "--db", db, "--export", j]);
    expect((JSON.parse(readFileSync(j, "utf8")) as unknown[]).length).toBe(4);
  });

  it("needs --package or --export", async () => {
    const r = await runCli(["station", "--ports", "sim:1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --package/);
  });
});

describe("flashbak station --provision repl", () => {
  it("identifies units by IMEI and provisions them over the REPL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flashbak-station-"));
    const db = join(dir, "line.jsonl");
    const r = await runCli([
      "station",
      "--package",
      pkg,
      "--ports",
      "sim:2",
      "--db",
      db,
      "--provision",
      "repl",
      "--template",
      "sd1=SN{seq:03}",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const units = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((u) => "seq" in u);
    expect(units.map((u) => u.identityKind)).toEqual(["imei", "imei"]);
    expect(units.every((u) => /^\d{15}$/.test(String(u.identity)))).toBe(true);
  });
});
