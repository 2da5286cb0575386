/** Shared fixture for runtime tests: a REPL personality over in-memory services. */
import { VirtualClock } from "../../firmware-sim/clock.js";
import { mkdirs, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { MemoryFileSystem } from "../../firmware-sim/fs/memory-file-system.js";
import { ReplPersonality, type ReplConfig } from "../../firmware-sim/runtime/repl.js";
import { MemorySecureData, exampleIdentity, type QuecServices } from "../../firmware-sim/runtime/services.js";

export interface Rig {
  repl: ReplPersonality;
  services: QuecServices;
  usr: MemoryFileSystem;
  bak: MemoryFileSystem;
  clock: VirtualClock;
  /** Send bytes (a string is latin1) and wait until the REPL processed them. */
  send(data: string | Uint8Array): Promise<void>;
  /** Everything the device sent since the last `take()`, as latin1. */
  take(): string;
  /** The same as UTF-8 text. */
  takeUtf8(): string;
}

export async function makeRig(
  opts: { mainPy?: string; files?: Record<string, string>; config?: Partial<ReplConfig> } = {},
): Promise<Rig> {
  const usr = new MemoryFileSystem();
  const bak = new MemoryFileSystem();
  const clock = new VirtualClock();
  if (opts.mainPy !== undefined) writeFile(usr, "/main.py", new TextEncoder().encode(opts.mainPy));
  for (const [p, text] of Object.entries(opts.files ?? {})) {
    const [mount, ...rest] = p.split("/").filter(Boolean);
    const fs = mount === "bak" ? bak : usr;
    if (rest.length > 1) mkdirs(fs, "/" + rest.slice(0, -1).join("/"));
    writeFile(fs, "/" + rest.join("/"), new TextEncoder().encode(text));
  }
  const services: QuecServices = {
    mounts: [
      { path: "/usr", fs: usr },
      { path: "/bak", fs: bak, readOnly: true },
    ],
    secureData: new MemorySecureData(),
    identity: exampleIdentity(),
    clock,
  };
  let out: number[] = [];
  const repl = new ReplPersonality({ services, tx: { send: (d) => out.push(...d) }, ...opts.config });
  await repl.powerOn();
  return {
    repl,
    services,
    usr,
    bak,
    clock,
    async send(data) {
      repl.receive(typeof data === "string" ? new Uint8Array(Buffer.from(data, "latin1")) : data);
      await repl.idle();
    },
    take() {
      const s = Buffer.from(out).toString("latin1");
      out = [];
      return s;
    },
    takeUtf8() {
      const s = Buffer.from(out).toString("utf8");
      out = [];
      return s;
    },
  };
}
