/**
 * REPL-port benchmarks: file upload throughput through the raw REPL as a fraction of the wire
 * limit (baud / 10 bytes per second, 8N1), measured on the simulator's virtual clock so the
 * figure is what a module at that baud rate would give; and the time to get into the raw REPL
 * while main.py is busy. Goals: random data >= 70 % (base64 costs 25 %), compressible source
 * > 100 % (deflate).
 */
import { writeFile } from "../firmware-sim/fs/fs-util.js";
import { memoryServices, startReplDevice } from "../firmware-sim/runtime/repl-device.js";
import { DeviceFs } from "../tools/repl/device-fs.js";
import { RawRepl } from "../tools/repl/raw-repl.js";
import { SimLineLink } from "../tools/serial/memory-link.js";
import type { Bench, BenchResult } from "./report.js";

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x2c7c;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS = [
  "sensor",
  "mqtt",
  "config",
  "retry",
  "timeout",
  "buffer",
  "socket",
  "payload",
  "status",
  "uart",
  "gpio",
  "cell",
];

/** Python source that looks like an application: varied names and constants, comments, nesting. */
function source(n: number): Uint8Array {
  let x = 7;
  const rnd = (m: number): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return (x >>> 8) % m;
  };
  const w = (): string => WORDS[rnd(WORDS.length)] as string;
  let text = "import utime, ujson\n\n";
  for (let i = 0; text.length < n; i++) {
    const a = `${w()}_${w()}`;
    text +=
      `def ${a}_${i}(${w()}, ${w()}=${rnd(1000)}):\n` +
      `    # ${w()} the ${w()} when the ${w()} reports ${rnd(100000)}\n` +
      `    ${w()}_${rnd(50)} = ujson.loads('{"${w()}": ${rnd(65536)}, "${w()}": "${w()}${rnd(999)}"}')\n` +
      `    if ${w()} > ${rnd(4096)} and not ${w()}_${rnd(20)}:\n` +
      `        utime.sleep_ms(${rnd(5000)})\n` +
      `        return ${w()}.get('${w()}', ${rnd(256)})\n` +
      `    return None\n\n`;
  }
  return new TextEncoder().encode(text.slice(0, n));
}

async function upload(baud: number, kind: "random" | "source", size: number): Promise<BenchResult> {
  const dev = await startReplDevice({ baud });
  const fs = new DeviceFs(new RawRepl(new SimLineLink("sim:bench", dev.line), { rawChunkDelayMs: 0 }));
  await fs.capabilities();
  const data = kind === "random" ? random(size) : source(size);
  const t0 = dev.services.clock.now();
  await fs.put("/usr/bench.bin", data, { updateChecksum: false });
  const seconds = (dev.services.clock.now() - t0) / 1e6;
  const wireLimit = baud / 10;
  return {
    bench: "serial",
    metric: `upload ${kind} ${size >> 10} KiB @ ${baud} baud`,
    value: Math.round((1000 * data.length) / seconds / wireLimit) / 10,
    unit: "% wire",
    goal: kind === "random" ? ">= 70 %" : "> 100 %",
  };
}

async function enterBusy(): Promise<BenchResult[]> {
  const services = memoryServices();
  writeFile(
    services.mounts[0]!.fs,
    "/main.py",
    new TextEncoder().encode("import utime\nwhile True:\n    utime.sleep_ms(10)\n"),
  );
  const dev = await startReplDevice({ services, baud: 115200 });
  const repl = new RawRepl(new SimLineLink("sim:bench", dev.line), { rawChunkDelayMs: 0 });
  const v0 = services.clock.now();
  const w0 = performance.now();
  await repl.enter();
  return [
    {
      bench: "serial",
      metric: "enter raw REPL, busy main.py (wall)",
      value: Math.round(performance.now() - w0),
      unit: "ms",
    },
    {
      bench: "serial",
      metric: "enter raw REPL, busy main.py (line time)",
      value: Math.round((services.clock.now() - v0) / 100) / 10,
      unit: "ms",
    },
  ];
}

export const serialBenches: Bench[] = [
  {
    name: "serial: raw-REPL upload throughput and REPL entry",
    async run() {
      const out: BenchResult[] = [];
      for (const baud of [115200, 921600]) {
        out.push(await upload(baud, "random", 64 * 1024));
        out.push(await upload(baud, "source", 64 * 1024));
      }
      out.push(...(await enterBusy()));
      return out;
    },
  },
];
