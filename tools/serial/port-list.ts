/**
 * Serial port discovery for `flashbak ports`. node-serialport's `list()` shells out to
 * `udevadm` on Linux, which containers and minimal systems lack; then the ports are found by
 * walking /sys/class/tty (USB ids from the parent USB device, the interface number from the
 * USB interface). Quectel modules (USB vendor 2C7C) are recognised and the interface that
 * carries the MicroPython REPL is pointed out.
 */
import { importExternal } from "../../firmware-sim/external-import.js";
import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";

export interface PortEntry {
  path: string;
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** USB interface number (two hex digits), when known. */
  interface?: string;
  /** "quectel-repl", "quectel" (another Quectel interface: AT, NMEA, modem), "sim" or "other". */
  kind: "quectel-repl" | "quectel" | "sim" | "other";
  /** Human-readable note on what the port is. */
  note: string;
}

/** Quectel product ids whose REPL is on a known USB interface (reference 3.4: "MI05" on ASR). */
const QUECTEL_REPL_INTERFACE: Record<string, string> = { "6001": "05", "6002": "05" };
/** Product ids of QuecPython modules whose REPL interface number is not documented. */
const QUECTEL_QPY_PIDS: Record<string, string> = {
  "6001": "ASR (EC600N/EC800N/EG912N)",
  "6002": "ASR (EC600S/EC600M)",
  "0901": "Unisoc 8910 (EC600U/EC200U/EG915U)",
  "0904": "Unisoc 8850 (EC800G/EC600G)",
  "0700": "Qualcomm (BG95)",
};

export function classify(e: Omit<PortEntry, "kind" | "note">): PortEntry {
  if (e.path.startsWith("sim:")) return { ...e, kind: "sim", note: "simulated module (in-process)" };
  const vid = e.vendorId?.toLowerCase();
  const pid = e.productId?.toLowerCase() ?? "";
  if (vid !== "2c7c") return { ...e, kind: "other", note: e.manufacturer ?? "serial port" };
  const family = QUECTEL_QPY_PIDS[pid] ?? `Quectel PID ${pid}`;
  const replIf = QUECTEL_REPL_INTERFACE[pid];
  if (replIf !== undefined && e.interface === replIf)
    return { ...e, kind: "quectel-repl", note: `${family}: MicroPython REPL port` };
  if (replIf === undefined && QUECTEL_QPY_PIDS[pid] !== undefined) {
    return {
      ...e,
      kind: "quectel",
      note: `${family}: the REPL is one of this module's ports (try each with \`flashbak exec\`)`,
    };
  }
  return { ...e, kind: "quectel", note: `${family}: AT/NMEA/modem interface` };
}

function readTrim(p: string): string | undefined {
  try {
    return readFileSync(p, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Ports found in sysfs (`root` is /sys/class/tty; a parameter so tests can use a fake tree). */
export function scanSysfs(root = "/sys/class/tty", devDir = "/dev"): PortEntry[] {
  if (!existsSync(root)) return [];
  const out: PortEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    if (!/^tty(USB|ACM|S|AMA)\d+$/.test(name)) continue;
    const devLink = join(root, name, "device");
    if (!existsSync(devLink)) continue;
    let dir: string;
    try {
      dir = realpathSync(devLink);
    } catch {
      continue;
    }
    // Platform serial ports without a driver-backed UART show up as ttyS0..31; keep only USB ones
    // and real UARTs that have a driver bound.
    if (name.startsWith("ttyS") && !existsSync(join(dir, "driver"))) continue;
    let iface: string | undefined;
    let usb: string | undefined;
    for (let d = dir, i = 0; i < 6 && d !== "/"; i++, d = join(d, "..")) {
      if (iface === undefined) iface = readTrim(join(d, "bInterfaceNumber"));
      if (existsSync(join(d, "idVendor"))) {
        usb = d;
        break;
      }
    }
    out.push(
      classify({
        path: join(devDir, name),
        vendorId: usb ? readTrim(join(usb, "idVendor")) : undefined,
        productId: usb ? readTrim(join(usb, "idProduct")) : undefined,
        manufacturer: usb ? readTrim(join(usb, "manufacturer")) : undefined,
        serialNumber: usb ? readTrim(join(usb, "serial")) : undefined,
        interface: iface,
      }),
    );
  }
  return out;
}

/** List ports: node-serialport first, sysfs when it fails or finds nothing; plus sim ports. */
export async function listPorts(
  opts: { sim?: { path: string; vendorId?: string; productId?: string }[] } = {},
): Promise<PortEntry[]> {
  let ports: PortEntry[] = [];
  try {
    const { SerialPort } = await importExternal<typeof import("serialport")>("serialport");
    const found = await SerialPort.list();
    ports = found.map((p) =>
      classify({
        path: p.path,
        vendorId: p.vendorId,
        productId: p.productId,
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        interface: /(?:MI_|-if)(\d\d)/i.exec(p.pnpId ?? "")?.[1],
      }),
    );
  } catch {
    ports = [];
  }
  if (ports.length === 0) ports = scanSysfs();
  for (const s of opts.sim ?? []) ports.push(classify(s));
  return ports;
}
