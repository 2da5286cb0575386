/**
 * Simulated modules as station ports ("sim:0", "sim:1", ...): each a NorFlash of the board's
 * chip behind the download-mode loader, on one shared virtual timeline, so a station run over
 * 16 modules shows what 16 real ports would take without waiting for it. Modules start out
 * running their firmware (not in download mode): the station's DTR/RTS reset brings each one
 * into the loader, as on a real fixture.
 */
import { VirtualClock } from "../../firmware-sim/clock.js";
import { DownloadMode } from "../../firmware-sim/download/download-mode.js";
import { chipById } from "../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { UsageError } from "../../firmware-sim/errors.js";
import { Timeline, VirtualLink } from "../flasher/virtual-link.js";
import type { OpenPort, PortSource } from "./station.js";

export interface SimModule {
  name: string;
  link: VirtualLink;
  flash: NorFlash;
  loader: DownloadMode;
}

export class SimPortSource implements PortSource {
  readonly timeline = new Timeline();
  private readonly modules = new Map<string, SimModule>();
  private nextUnit = 1;

  /**
   * @param board board profile id: its flash chip sizes every module.
   * @param latencyUs USB-serial adapter latency per transfer, microseconds (see VirtualLink).
   */
  constructor(
    readonly board: string,
    private readonly latencyUs = 500,
  ) {
    boardById(board);
  }

  /** Plug a fresh module (blank flash, its own MAC) in as `name`. */
  plug(name: string): SimModule {
    const chip = chipById(boardById(this.board).flashChip);
    const link = new VirtualLink(this.timeline, { name, latencyUs: this.latencyUs });
    const clock = new VirtualClock(this.timeline.us);
    const flash = new NorFlash({ chip, clock });
    const loader = new DownloadMode({ flash, tx: link.moduleTx, macSeed: this.nextUnit++ });
    link.attach({ peer: loader, clock });
    const m = { name, link, flash, loader };
    this.modules.set(name, m);
    return m;
  }

  unplug(name: string): void {
    this.modules.get(name)?.link.disconnect();
    this.modules.delete(name);
  }

  module(name: string): SimModule | undefined {
    return this.modules.get(name);
  }

  async list(): Promise<string[]> {
    return [...this.modules.keys()];
  }

  async open(name: string): Promise<OpenPort> {
    const m = this.modules.get(name);
    if (m === undefined) throw new UsageError(`no simulated module on ${name}`);
    m.link.reopen();
    return { link: m.link, time: this.timeline };
  }
}

/** Parse "sim:N" (N modules) or "sim:a,sim:b"; undefined when the spec is not simulated. */
export function parseSimPorts(spec: string): string[] | undefined {
  const n = /^sim:(\d+)$/.exec(spec.trim());
  if (n !== null) {
    const count = Number(n[1]);
    if (count < 1 || count > 64) throw new UsageError(`sim:${count}: between 1 and 64 simulated modules`);
    return Array.from({ length: count }, (_, i) => `sim:${i}`);
  }
  const names = spec.split(",").map((s) => s.trim());
  return names.length > 0 && names.every((s) => s.startsWith("sim:")) ? names : undefined;
}
