/**
 * flashbak's flasher against unmodified esptool-js, same package, same kind of line: two blank
 * simulated modules served on pseudo-terminals in download mode (`flashbak sim serve`, the UART
 * paced in real time at the same baud rate), one flashed by each tool in the same run, on wall
 * time. A pseudo-terminal carries no baud rate, so both run at the served rate; esptool-js
 * reaches it through a small Web Serial adapter over node-serialport (esp-serial-protocol.md
 * section 7.3). Goal: flashbak at least 1.2x faster.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { flashModule } from "../tools/flasher/flash-job.js";
import { packageInput } from "../tools/flasher/flash-input.js";
import type { FlashRegion } from "../tools/flasher/flash-plan.js";
import { planFlash } from "../tools/flasher/flash-plan.js";
import { openLink } from "../tools/serial/open-link.js";
import { serveModule } from "../tools/sim/serve-module.js";
import type { Bench, BenchResult } from "./report.js";

const PACKAGE = "images/example.fbpkg";

/** The Web Serial `SerialPort` shape esptool-js's Transport drives, over node-serialport. */
class NodeWebSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  private port: SerialPort | undefined;

  constructor(private readonly path: string) {}

  async open(opts: { baudRate: number }): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: opts.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.port = port;
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        port.on("data", (d: Buffer) => {
          try {
            c.enqueue(new Uint8Array(d));
          } catch {
            // The reader was cancelled (esptool-js disconnecting): the bytes are lost, as on a wire.
          }
        });
        port.on("close", () => {
          try {
            c.close();
          } catch {
            // Already closed by a cancelled reader.
          }
        });
      },
    });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve, reject) =>
          port.write(Buffer.from(chunk), (e) => (e ? reject(e) : port.drain(() => resolve()))),
        ),
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async setSignals(s: { dataTerminalReady?: boolean; requestToSend?: boolean }): Promise<void> {
    // A pseudo-terminal has no modem lines: the ioctl fails, which esptool's no_reset ignores too.
    await new Promise<void>((resolve) =>
      this.port?.set({ dtr: s.dataTerminalReady, rts: s.requestToSend }, () => resolve()),
    );
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: 0x10c4, usbProductId: 0xea60 };
  }
}

interface EsptoolJs {
  Transport: new (port: unknown, tracing: boolean) => { disconnect(): Promise<void> };
  ESPLoader: new (o: Record<string, unknown>) => {
    main(mode?: string): Promise<string>;
    writeFlash(o: Record<string, unknown>): Promise<void>;
    after(mode?: string): Promise<void>;
  };
}

async function withServedModule<T>(baud: number, work: (pty: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "fb-bench-ejs-"));
  const served = await serveModule({
    board: "ec600u",
    flash: join(dir, "dev.bin"),
    control: join(dir, "ctl.sock"),
    baud,
    download: true,
  });
  try {
    return await work(served.handle.path);
  } finally {
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function flashbakRun(
  pty: string,
  baud: number,
  regions: FlashRegion[],
  flashSize: number,
): Promise<number> {
  const plan = planFlash(regions, { flashSize });
  const link = await openLink(pty, baud);
  const t = performance.now();
  try {
    await flashModule(link, plan, {
      baud,
      resetBefore: false,
      resetAfter: false,
      requiredFlashSize: flashSize,
    });
  } finally {
    await link.close();
  }
  return performance.now() - t;
}

/** esptool-js 0.7.0 logs "TRACE ..." lines with console.log even with tracing off. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

async function esptoolJsRun(pty: string, baud: number, regions: FlashRegion[]): Promise<number> {
  const ejs = (await import("esptool-js")) as unknown as EsptoolJs;
  const transport = new ejs.Transport(new NodeWebSerialPort(pty), false);
  const quiet = { clean: () => undefined, writeLine: () => undefined, write: () => undefined };
  const esp = new ejs.ESPLoader({ transport, baudrate: baud, romBaudrate: baud, terminal: quiet });
  const t = performance.now();
  await esp.main("no_reset");
  await esp.writeFlash({
    fileArray: regions.filter((r) => !r.preserve).map((r) => ({ data: r.data, address: r.offset })),
    flashMode: "keep",
    flashFreq: "keep",
    flashSize: "keep",
    eraseAll: false,
    compress: true,
    calculateMD5Hash: (image: Uint8Array) => createHash("md5").update(image).digest("hex"),
  });
  await esp.after("no_reset_stub");
  const ms = performance.now() - t;
  await transport.disconnect();
  return ms;
}

async function compare(): Promise<BenchResult[]> {
  const input = packageInput(PACKAGE);
  const out: BenchResult[] = [];
  for (const baud of [921600, 115200]) {
    const ours = await withServedModule(baud, (pty) =>
      flashbakRun(pty, baud, input.regions, input.flashSize),
    );
    const theirs = await withServedModule(baud, (pty) =>
      quietly(() => esptoolJsRun(pty, baud, input.regions)),
    );
    out.push(
      {
        bench: "esptool-js",
        metric: `flashbak flash ${PACKAGE} @ ${baud} (pty)`,
        value: ours / 1000,
        unit: "s",
      },
      {
        bench: "esptool-js",
        metric: `esptool-js writeFlash ${PACKAGE} @ ${baud} (pty)`,
        value: theirs / 1000,
        unit: "s",
      },
      {
        bench: "esptool-js",
        metric: `esptool-js time / flashbak time @ ${baud}`,
        value: theirs / ours,
        unit: "x",
        goal: ">= 1.2",
      },
    );
  }
  return out;
}

export const esptoolJsBenches: Bench[] = [{ name: "esptool-js-vs-flashbak", run: compare }];
