/**
 * A node-serialport binding (`BindingInterface` of @serialport/bindings-interface, the same
 * contract node-serialport's MockBinding implements) whose ports are simulated modules. Host
 * code opens `new SerialPortStream({ binding, path: "sim:dev1", baudRate: 115200 })` and
 * talks to the module in-process exactly as it would to hardware: baud changes, DTR/RTS, a
 * pulled cable (the read fails as a disconnect), a close that cancels a pending read.
 */
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "@serialport/bindings-interface" with { "resolution-mode": "require" };
import { FlashbakError } from "../errors.js";
import type { SimLine } from "./sim-line.js";

export interface SimPortEntry {
  line: SimLine;
  /** What `list()` reports besides the path (e.g. Quectel's USB vendor id "2c7c"). */
  info?: Partial<Omit<PortInfo, "path">>;
}

interface Waiter {
  buffer: Buffer;
  offset: number;
  length: number;
  resolve: (r: { buffer: Buffer; bytesRead: number }) => void;
  reject: (e: Error) => void;
}

function canceled(message: string): Error {
  return Object.assign(new Error(message), { canceled: true });
}

export class SimPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private pending: number[] = [];
  private waiter: Waiter | undefined;
  private readonly unlisten: () => void;
  private signals = { dtr: true, rts: true };

  constructor(
    private readonly line: SimLine,
    options: OpenOptions,
  ) {
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: "none",
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    line.setBaud(options.baudRate);
    this.unlisten = line.onHostData((d) => this.deliver(d));
  }

  private deliver(data: Uint8Array): void {
    for (const b of data) this.pending.push(b);
    this.serve();
  }

  private serve(): void {
    const w = this.waiter;
    if (w === undefined) return;
    if (this.line.faults.disconnected) {
      this.waiter = undefined;
      w.reject(new Error(`${this.openOptions.path}: device disconnected`));
      return;
    }
    if (this.pending.length === 0) return;
    this.waiter = undefined;
    const n = Math.min(w.length, this.pending.length);
    const chunk = this.pending.splice(0, n);
    w.buffer.set(chunk, w.offset);
    w.resolve({ buffer: w.buffer, bytesRead: n });
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new FlashbakError("PORT_CLOSED", "port is not open");
    this.isOpen = false;
    this.unlisten();
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(canceled("port closed"));
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) return Promise.reject(canceled("port is not open"));
    if (this.waiter !== undefined) return Promise.reject(new Error("a read is already pending"));
    return new Promise((resolve, reject) => {
      this.waiter = { buffer, offset, length, resolve, reject };
      this.serve();
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw canceled("port is not open");
    if (this.line.faults.disconnected) {
      this.serve();
      throw new Error(`${this.openOptions.path}: device disconnected`);
    }
    this.line.hostWrite(new Uint8Array(buffer));
  }

  async update(options: UpdateOptions): Promise<void> {
    this.line.setBaud(options.baudRate);
  }

  async set(options: SetOptions): Promise<void> {
    this.signals = { dtr: options.dtr ?? this.signals.dtr, rts: options.rts ?? this.signals.rts };
    this.line.setSignals(this.signals);
  }

  async get(): Promise<PortStatus> {
    return { cts: true, dsr: true, dcd: !this.line.faults.disconnected };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.line.baudRate };
  }

  async flush(): Promise<void> {
    this.pending = [];
  }

  async drain(): Promise<void> {}

  /** Wake a pending read after a fault changed (a disconnect must fail it). */
  poke(): void {
    this.serve();
  }
}

export class SimBinding implements BindingInterface<SimPort> {
  private readonly ports = new Map<string, SimPortEntry>();
  private readonly open_ = new Map<string, SimPort>();

  /** Make a simulated module reachable at `path` (by convention "sim:<name>"). */
  add(path: string, entry: SimPortEntry): void {
    this.ports.set(path, entry);
  }

  remove(path: string): void {
    this.ports.delete(path);
  }

  /** The open port at `path`, to poke after injecting a disconnect. */
  openPort(path: string): SimPort | undefined {
    const p = this.open_.get(path);
    return p?.isOpen ? p : undefined;
  }

  async list(): Promise<PortInfo[]> {
    return [...this.ports].map(([path, e]) => ({
      path,
      manufacturer: e.info?.manufacturer ?? "flashbak simulator",
      serialNumber: e.info?.serialNumber,
      pnpId: e.info?.pnpId,
      locationId: e.info?.locationId,
      productId: e.info?.productId,
      vendorId: e.info?.vendorId,
    }));
  }

  async open(options: OpenOptions): Promise<SimPort> {
    const e = this.ports.get(options.path);
    if (e === undefined) {
      throw new FlashbakError("PORT_NOT_FOUND", `no simulated module at ${options.path}`, {
        hint: "start one with `flashbak sim serve`, or check the name with `flashbak ports`",
      });
    }
    if (this.openPort(options.path) !== undefined) {
      throw new FlashbakError("PORT_BUSY", `${options.path} is already open`);
    }
    const port = new SimPort(e.line, options);
    this.open_.set(options.path, port);
    return port;
  }
}
