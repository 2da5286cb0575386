/**
 * Test harness: a simulated module in download mode on a virtual serial line, powered from a
 * NorFlash (optionally a snapshot, after a power cut).
 */
import { VirtualClock } from "../../firmware-sim/clock.js";
import { DownloadMode, type DownloadModeConfig } from "../../firmware-sim/download/download-mode.js";
import { chips, withSize } from "../../firmware-sim/flash/chips.js";
import { Rng, type PowerCutPlan } from "../../firmware-sim/flash/faults.js";
import { NorFlash, type FlashSnapshot } from "../../firmware-sim/flash/nor-flash.js";
import { Timeline, VirtualLink, type VirtualLinkOptions } from "../../tools/flasher/virtual-link.js";

export interface SimUnit {
  timeline: Timeline;
  link: VirtualLink;
  flash: NorFlash;
  loader: DownloadMode;
  /** Re-power the module from what its flash holds now (after a power cut). */
  repower(opts?: { powerCut?: PowerCutPlan }): SimUnit;
}

export interface SimUnitOptions extends Partial<VirtualLinkOptions> {
  timeline?: Timeline;
  /** Flash size in bytes (default 1 MiB of a W25Q32 profile, to keep tests light). */
  flashSize?: number;
  snapshot?: FlashSnapshot;
  powerCut?: PowerCutPlan;
  macSeed?: number;
  /** Enter download mode at once (default true); false = the module runs firmware. */
  download?: boolean;
  loader?: Partial<DownloadModeConfig>;
}

export function simUnit(opts: SimUnitOptions = {}, reuse?: { link: VirtualLink }): SimUnit {
  const timeline = opts.timeline ?? reuse?.link.timeline ?? new Timeline();
  const link = reuse?.link ?? new VirtualLink(timeline, { name: opts.name ?? "sim:0", ...opts });
  const chip = withSize(chips.w25q32!, opts.flashSize ?? 1 << 20);
  const clock = new VirtualClock(timeline.us);
  const flash = opts.snapshot
    ? NorFlash.fromSnapshot(opts.snapshot, { chip, clock, powerCut: opts.powerCut })
    : new NorFlash({ chip, clock, powerCut: opts.powerCut });
  const loader = new DownloadMode({
    flash,
    tx: link.moduleTx,
    macSeed: opts.macSeed ?? 1,
    onBaudChange: (b) => link.setModuleBaud(b),
    ...opts.loader,
  });
  link.attach({ peer: loader, clock });
  if (opts.download !== false) loader.enter();
  const unit: SimUnit = {
    timeline,
    link,
    flash,
    loader,
    repower: (r = {}) => simUnit({ ...opts, snapshot: flash.snapshot(), powerCut: r.powerCut }, { link }),
  };
  return unit;
}

/** Deterministic pseudo-random bytes (incompressible). */
export function noise(n: number, seed = 1): Uint8Array {
  return new Rng(seed >>> 0 || 1).bytes(n);
}
