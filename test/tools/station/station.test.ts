import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBlockDevice } from "../../../firmware-sim/flash/block-device.js";
import { boardById, partitionByName } from "../../../firmware-sim/module/boards.js";
import { SecureData } from "../../../firmware-sim/module/securedata.js";
import { planFlash, type FlashRegion } from "../../../tools/flasher/flash-plan.js";
import { DownloadModeProvisioner } from "../../../tools/station/download-mode-provisioner.js";
import { CsvProvisionSource, TemplateProvisionSource } from "../../../tools/station/provisioning.js";
import { ReplProvisioner } from "../../../tools/station/repl-provisioner.js";
import { SimPortSource } from "../../../tools/station/sim-ports.js";
import { JsonlRecordStore, SqliteRecordStore } from "../../../tools/station/record-stores.js";
import { runStation, type StationOptions } from "../../../tools/station/station.js";
import { recordsToCsv, summarize } from "../../../tools/station/unit-record.js";
import { noise } from "../../download/harness.js";

const board = boardById("ec600u");
const sdPart = partitionByName(board, "securedata");
const regions: FlashRegion[] = [
  { name: "boot", offset: 0, data: noise(0x8000, 5) },
  { name: "customer_fs", offset: 0x420000, data: new Uint8Array(0x20000).fill(0xff).fill(0x33, 0, 3000) },
  { name: "securedata", offset: sdPart.offset, data: new Uint8Array(0), preserve: true, size: sdPart.size },
];
const plan = planFlash(regions, { flashSize: 8 << 20 });

function tmp(name: string): string {
  return join(mkdtempSync(join(tmpdir(), "flashbak-station-")), name);
}

function base(source: SimPortSource, store: StationOptions["store"]): StationOptions {
  return {
    plan,
    packageSha256: "ab".repeat(32),
    source,
    store,
    time: source.timeline,
    job: { baud: 921600 },
  };
}

function holds(source: SimPortSource, port: string): boolean {
  const img = source.module(port)!.flash.image();
  return regions
    .filter((r) => !r.preserve)
    .every((r) => Buffer.from(img.subarray(r.offset, r.offset + r.data.length)).equals(Buffer.from(r.data)));
}

describe("station", () => {
  it("flashes several modules in parallel and records one unit each", async () => {
    const source = new SimPortSource("ec600u");
    for (let i = 0; i < 4; i++) source.plug(`sim:${i}`);
    const store = new JsonlRecordStore(tmp("units.jsonl"));
    const progress = new Set<string>();
    const records = await runStation({
      ...base(source, store),
      onEvent: (e) => e.type === "progress" && progress.add(e.port),
    });
    expect(records.map((r) => r.result)).toEqual(["pass", "pass", "pass", "pass"]);
    expect(new Set(records.map((r) => r.identity)).size).toBe(4);
    expect(progress.size).toBe(4);
    for (let i = 0; i < 4; i++) expect(holds(source, `sim:${i}`)).toBe(true);
    const stored = await store.all();
    expect(stored).toEqual(records);
    expect(summarize(stored)).toMatchObject({ units: 4, passed: 4, failed: 0 });
    // The modules ran in parallel: the whole run took about as long as one unit.
    const longest = Math.max(...records.map((r) => r.durationMs));
    expect(source.timeline.now()).toBeLessThan(longest * 1.5);
  });

  it("provisions SecureData from a template in download mode and reads it back", async () => {
    const source = new SimPortSource("ec600u");
    source.plug("sim:0");
    source.plug("sim:1");
    const store = new JsonlRecordStore(tmp("units.jsonl"));
    const records = await runStation({
      ...base(source, store),
      provisioner: new DownloadModeProvisioner(sdPart),
      provisionSource: new TemplateProvisionSource(["sd1=SN{seq:06}", "sd13=hex:{random:32}"]),
    });
    expect(records.every((r) => r.result === "pass")).toBe(true);
    const serials = new Set<string>();
    for (const r of records) {
      expect(r.identityKind).toBe("mac");
      const img = source
        .module(r.port)!
        .flash.image()
        .slice(sdPart.offset, sdPart.offset + sdPart.size);
      const sd = new SecureData(
        new MemoryBlockDevice(
          { readSize: 1, progSize: 1, blockSize: 4096, blockCount: sdPart.size / 4096, eraseValue: 0xff },
          { data: img },
        ),
      );
      serials.add(new TextDecoder().decode(sd.value(1)));
      expect(sd.value(13)?.length).toBe(32);
      expect(Object.keys(r.provisioned)).toEqual(["sd1", "sd13"]);
      // Provisioning kept the module in download mode, then reset it into its firmware.
      expect(source.module(r.port)!.loader.active).toBe(false);
    }
    expect(serials).toEqual(new Set(["SN000001", "SN000002"]));
  });

  it("hands CSV rows out by MAC or in order and never reuses a row", () => {
    const csv = 'mac,sd1,sd9\n24:0a:c4:00:00:07,"SN,7",hex:0102\n,SN-A,\n,SN-B,base64:AQID\n';
    const src = new CsvProvisionSource(csv, [2]);
    expect(src.next({ kind: "mac", value: "24:0A:C4:00:00:07" })).toMatchObject({ row: 1 });
    const b = src.next({ kind: "mac", value: "24:0a:c4:00:00:08" });
    expect(b.row).toBe(3);
    expect([...b.values.get(9)!]).toEqual([1, 2, 3]);
    expect(() => src.next({ kind: "none", value: "" })).toThrow(/no provisioning row/);
    expect(() => new CsvProvisionSource("sd1\n" + "x".repeat(53) + "\n")).toThrow(/holds 1..52/);
  });

  it("continuous mode flashes modules as they are plugged in, once each", async () => {
    const source = new SimPortSource("ec600u");
    source.plug("sim:a");
    const store = new JsonlRecordStore(tmp("units.jsonl"));
    let plugged = 0;
    const records = await runStation({
      ...base(source, store),
      continuous: true,
      pollMs: 200,
      maxUnits: 3,
      onEvent: (e) => {
        if (e.type !== "unit") return;
        // The operator swaps the finished unit for a fresh one on another fixture slot.
        source.unplug(e.record.port);
        if (plugged < 2) source.plug(`sim:new${plugged++}`);
      },
    });
    expect(records.map((r) => r.port)).toEqual(["sim:a", "sim:new0", "sim:new1"]);
    expect(records.every((r) => r.result === "pass")).toBe(true);
  });

  it("records a failing unit with its error and keeps the others going", async () => {
    const source = new SimPortSource("ec600u");
    source.plug("sim:ok");
    const bad = source.plug("sim:bad");
    bad.loader.signalsChanged = () => undefined; // a fixture with no auto-reset wiring
    const store = new SqliteRecordStore(tmp("units.sqlite"));
    const records = await runStation({ ...base(source, store), job: { baud: 921600, connectAttempts: 1 } });
    const byPort = Object.fromEntries(records.map((r) => [r.port, r]));
    expect(byPort["sim:ok"]!.result).toBe("pass");
    expect(byPort["sim:bad"]).toMatchObject({ result: "fail", errorCode: "ESP_NO_SYNC" });
    const stored = await store.all();
    expect(stored.map((r) => r.seq).sort()).toEqual([1, 2]);
    expect(stored.find((r) => r.port === "sim:bad")?.error).toMatch(/did not answer/);
    await store.close();
    const reopened = new SqliteRecordStore(store.path);
    expect((await reopened.all()).length).toBe(2);
    const csv = recordsToCsv(await reopened.all());
    expect(csv.split("\r\n")[0]).toMatch(/^seq,port,identity/);
    await reopened.close();
    expect(readFileSync(store.path).subarray(0, 15).toString()).toBe("SQLite format 3");
  });
});

describe("station with REPL provisioning", () => {
  it("flashes, boots the firmware, reads the IMEI and stores SecureData over the REPL", async () => {
    const source = new SimPortSource("ec600u", { repl: true });
    await Promise.all([source.plug("sim:0").ready, source.plug("sim:1").ready]);
    const store = new JsonlRecordStore(tmp("units.jsonl"));
    const records = await runStation({
      ...base(source, store),
      provisioner: new ReplProvisioner({ chunkDelayMs: 0 }),
      provisionSource: new TemplateProvisionSource(["sd2=SN{seq:04}-{imei}"]),
    });
    expect(records.map((r) => [r.result, r.error])).toEqual([
      ["pass", ""],
      ["pass", ""],
    ]);
    for (const r of records) {
      expect(r.identityKind).toBe("imei");
      const m = source.module(r.port)!;
      expect(holds(source, r.port)).toBe(true);
      const v = m.services!.secureData.read(2);
      expect(v).toBeInstanceOf(Uint8Array);
      expect(new TextDecoder().decode(v as Uint8Array)).toBe(
        `SN${String(r.provisionRow).padStart(4, "0")}-${r.identity}`,
      );
    }
    expect(new Set(records.map((r) => r.identity)).size).toBe(2);
  });
});
