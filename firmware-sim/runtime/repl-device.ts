/**
 * A module reduced to what the REPL port needs: services (file systems, SecureData, identity,
 * clock), a `SimLine` at a baud rate and the REPL personality on it. The full module
 * (firmware-sim/module/, flash-backed littlefs, boot-time restore) supplies its own services
 * and `onBoot`; without them this builds an in-memory device, which tests, benchmarks and
 * `--port sim` use.
 */
import { VirtualClock } from "../clock.js";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { SimLine } from "../serial/sim-line.js";
import { ReplPersonality, type ReplConfig } from "./repl.js";
import { MemorySecureData, exampleIdentity, type QuecServices } from "./services.js";

export interface ReplDeviceOptions {
  /** Services to use; default: empty in-memory `/usr` and read-only `/bak`, memory SecureData. */
  services?: QuecServices;
  /** Line speed in bits/s; 0 = unpaced. Default 115200 (the QuecPython REPL port's rate). */
  baud?: number;
  /** REPL settings other than `services` and `tx`. */
  repl?: Omit<ReplConfig, "services" | "tx">;
  /** See `SimLineConfig.onDeviceFault`. */
  onDeviceFault?: (e: unknown) => void;
}

export interface ReplDevice {
  services: QuecServices;
  line: SimLine;
  repl: ReplPersonality;
}

export function memoryServices(): QuecServices {
  return {
    mounts: [
      { path: "/usr", fs: new MemoryFileSystem() },
      { path: "/bak", fs: new MemoryFileSystem(), readOnly: true },
    ],
    secureData: new MemorySecureData(),
    identity: exampleIdentity(),
    clock: new VirtualClock(),
  };
}

/** Build a device, powered off (call `repl.powerOn()`). */
export function createReplDevice(opts: ReplDeviceOptions = {}): ReplDevice {
  const services = opts.services ?? memoryServices();
  const line = new SimLine({
    clock: services.clock,
    baud: opts.baud ?? 115200,
    onDeviceFault: opts.onDeviceFault,
  });
  const repl = new ReplPersonality({ ...opts.repl, services, tx: line.deviceTx });
  line.attach(repl);
  return { services, line, repl };
}

/** Build and power on a device; resolves once the banner (or a parked main.py) is reached. */
export async function startReplDevice(opts: ReplDeviceOptions = {}): Promise<ReplDevice> {
  const dev = createReplDevice(opts);
  await dev.repl.powerOn();
  return dev;
}
