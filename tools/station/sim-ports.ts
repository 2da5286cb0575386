/**
 * Simulated modules as station ports ("sim:0", "sim:1", ...): each a NorFlash of the board's
 * chip behind the download-mode loader, on one shared virtual timeline, so a station run over
 * 16 modules shows what 16 real ports would take without waiting for it. Modules start out
 * running their firmware (not in download mode): the station's DTR/RTS reset brings each one
 * into the loader, as on a real fixture.
 */
import { BootSelector } from "../../firmware-sim/download/boot-selector.js";
import { DownloadMode } from "../../firmware-sim/download/download-mode.js";
import { chipById } from "../../firmware-sim/flash/chips.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { boardById } from "../../firmware-sim/module/boards.js";
import { UsageError } from "../../firmware-sim/errors.js";
import { ReplPersonality } from "../../firmware-sim/runtime/repl.js";
import { memoryServices } from "../../firmware-sim/runtime/repl-device.js";
import { exampleIdentity, type QuecServices } from "../../firmware-sim/runtime/services.js";
import { Timeline, VirtualLink } from "../flasher/virtual-link.js";
import type { OpenPort, PortSource } from "./station.js";

export interface SimModule {
  name: string;
  link: VirtualLink;
  flash: NorFlash;
  loader: DownloadMode;
  /** The firmware side (MicroPython REPL) when the source was built with `repl: true`. */
  repl?: ReplPersonality;
  services?: QuecServices;
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
    private readonly opts: { latencyUs?: number; repl?: boolean } = {},
  ) {
    boardById(board);
  }

  /**
   * Plug a fresh module (blank flash, its own MAC) in as `name`. With `repl`, the module runs a
   * MicroPython REPL (in-memory SecureData, its own IMEI) until a reset selects download mode,
   * and boots it again when the loader exits; `ready` resolves once it has booted.
   */
  plug(name: string): SimModule & { ready: Promise<void> } {
    const chip = chipById(boardById(this.board).flashChip);
    const link = new VirtualLink(this.timeline, { name, latencyUs: this.opts.latencyUs ?? 500 });
    const unit = this.nextUnit++;
    const services = memoryServices();
    services.identity = exampleIdentity(`8611900500${String(unit).padStart(5, "0")}`);
    const clock = services.clock;
    clock.advance(this.timeline.us);
    const flash = new NorFlash({ chip, clock });
    let repl: ReplPersonality | undefined;
    const loader = new DownloadMode({
      flash,
      tx: link.moduleTx,
      macSeed: unit,
      onBaudChange: (b) => link.setModuleBaud(b),
      onLeave: () => {
        if (repl !== undefined) void this.timeline.hold(repl.powerOn());
      },
    });
    let ready = Promise.resolve();
    if (this.opts.repl) {
      repl = new ReplPersonality({ services, tx: link.moduleTx });
      link.attach({ peer: new BootSelector({ loader, firmware: () => repl }), clock });
      ready = this.timeline.hold(repl.powerOn());
    } else {
      link.attach({ peer: loader, clock });
    }
    const m = { name, link, flash, loader, repl, services: this.opts.repl ? services : undefined, ready };
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
