/**
 * `flashbak station` as a library: flash every module on a set of ports in parallel, each with
 * its own progress and result, provision it, and record one `UnitRecord` per unit.
 *
 * Ports come from a `PortSource` (real serial ports, or in-process simulated modules). In
 * continuous mode the station keeps polling the source: a port that appears is flashed; once
 * its unit is done the port must disappear (the unit is unplugged) before it is used again,
 * so a finished unit left on the fixture is never flashed twice.
 *
 * The plan (segments and their compressed bytes) is built once and shared by every unit, so
 * compression costs once per package, not once per module.
 */
import { createHash } from "node:crypto";
import { FlashbakError, isPowerLoss } from "../../firmware-sim/errors.js";
import type { SerialLink } from "../serial/link.js";
import {
  flashModule,
  type FlashJobOptions,
  type FlashProgress,
  type FlashResult,
} from "../flasher/flash-job.js";
import type { FlashPlan } from "../flasher/flash-plan.js";
import type { HostTime } from "../flasher/host-time.js";
import { EspClient } from "../flasher/esp-client.js";
import type { Identity, ProvisionSource, Provisioner } from "./provisioning.js";
import type { UnitRecord, UnitRecordStore } from "./unit-record.js";

export interface OpenPort {
  link: SerialLink;
  time: HostTime;
}

export interface PortSource {
  /** Ports present now. */
  list(): Promise<string[]>;
  open(name: string): Promise<OpenPort>;
}

export type StationEvent =
  | { type: "start"; port: string }
  | { type: "progress"; port: string; progress: FlashProgress }
  | { type: "phase"; port: string; phase: "provision" | "reset" }
  | { type: "unit"; record: UnitRecord };

export interface StationOptions {
  plan: FlashPlan;
  /** SHA-256 of the package file (recorded per unit). */
  packageSha256: string;
  source: PortSource;
  /** Ports to use; undefined = every port the source lists. */
  ports?: readonly string[];
  /** Keep watching for modules being plugged in until `signal` aborts or `maxUnits` is reached. */
  continuous?: boolean;
  /** Poll interval of continuous mode, milliseconds (host time of the source). Default 500. */
  pollMs?: number;
  /** Stop after this many units (continuous mode); 0 = no limit. */
  maxUnits?: number;
  job: FlashJobOptions;
  provisioner?: Provisioner;
  provisionSource?: ProvisionSource;
  store: UnitRecordStore;
  /** Host time used for polling in continuous mode. */
  time: HostTime;
  signal?: AbortSignal;
  onEvent?: (e: StationEvent) => void;
}

export async function runStation(opts: StationOptions): Promise<UnitRecord[]> {
  const done: UnitRecord[] = [];
  let seq = (await opts.store.all()).reduce((n, r) => Math.max(n, r.seq), 0);
  const busy = new Map<string, Promise<void>>();
  /** Ports whose unit is finished and still plugged in (continuous mode). */
  const finished = new Set<string>();
  const emit = opts.onEvent ?? (() => undefined);
  let launched = 0;
  const limitReached = (): boolean => (opts.maxUnits ?? 0) > 0 && launched >= (opts.maxUnits ?? 0);

  const runUnit = async (port: string): Promise<void> => {
    emit({ type: "start", port });
    const startedAt = new Date().toISOString();
    let opened: OpenPort | undefined;
    let flash: FlashResult | undefined;
    let identity: Identity = { kind: "none", value: "" };
    let provisionRow = -1;
    const provisioned: Record<string, string> = {};
    let t0 = 0;
    let failure: unknown;
    try {
      opened = await opts.source.open(port);
      t0 = opened.time.now();
      const provisioning = opts.provisioner !== undefined && opts.provisionSource !== undefined;
      const resetAfter = opts.job.resetAfter ?? true;
      flash = await flashModule(opened.link, opts.plan, {
        ...opts.job,
        time: opened.time,
        signal: opts.signal,
        // Download-mode provisioning needs the loader after the flash; reset afterwards.
        resetAfter: provisioning && !opts.provisioner!.needsFirmware ? false : resetAfter,
        onProgress: (progress) => emit({ type: "progress", port, progress }),
      });
      identity = flash.identity.mac ? { kind: "mac", value: flash.identity.mac } : identity;
      if (provisioning) {
        emit({ type: "phase", port, phase: "provision" });
        const unit = { port, link: opened.link, time: opened.time, flash };
        identity = await opts.provisioner!.identify(unit);
        const a = opts.provisionSource!.next(identity);
        provisionRow = a.row;
        await opts.provisioner!.provision(unit, a.values);
        for (const [i, v] of a.values)
          provisioned[`sd${i}`] = createHash("sha256").update(v).digest("hex").slice(0, 16);
        if (!opts.provisioner!.needsFirmware && resetAfter) {
          emit({ type: "phase", port, phase: "reset" });
          await new EspClient(opened.link, opened.time).hardReset();
        }
      }
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      failure = e;
    } finally {
      await opened?.link.close().catch(() => undefined);
    }
    const err = failure instanceof FlashbakError ? failure : failure instanceof Error ? failure : undefined;
    const record: UnitRecord = {
      seq: ++seq,
      port,
      identity: identity.value,
      identityKind: identity.kind,
      packageSha256: opts.packageSha256,
      startedAt,
      durationMs: opened ? Math.round((opened.time.now() - t0) * 1000) / 1000 : 0,
      bytesTotal: opts.plan.totalBytes,
      bytesWritten: flash?.writtenBytes ?? 0,
      bytesSkipped: flash?.skippedBytes ?? 0,
      result: failure === undefined ? "pass" : "fail",
      errorCode: err instanceof FlashbakError ? err.code : err ? "INTERNAL" : "",
      error: err ? err.message : "",
      provisionRow,
      provisioned,
    };
    await opts.store.append(record);
    done.push(record);
    emit({ type: "unit", record });
  };

  const launch = (port: string): void => {
    launched++;
    const p = runUnit(port).finally(() => {
      busy.delete(port);
      finished.add(port);
    });
    busy.set(port, p);
  };

  if (!opts.continuous) {
    const ports = opts.ports ?? (await opts.source.list());
    for (const port of ports) launch(port);
    await Promise.all([...busy.values()]);
    return done;
  }

  while (!opts.signal?.aborted && !limitReached()) {
    const present = new Set(await opts.source.list());
    for (const port of [...finished]) if (!present.has(port)) finished.delete(port);
    for (const port of present) {
      if (opts.ports !== undefined && !opts.ports.includes(port)) continue;
      if (busy.has(port) || finished.has(port) || limitReached()) continue;
      launch(port);
    }
    await opts.time.sleep(opts.pollMs ?? 500);
  }
  await Promise.all([...busy.values()]);
  return done;
}
