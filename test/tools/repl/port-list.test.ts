import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classify, scanSysfs } from "../../../tools/serial/port-list.js";

describe("port classification", () => {
  it.each([
    [{ path: "/dev/ttyUSB2", vendorId: "2c7c", productId: "6001", interface: "05" }, "quectel-repl"],
    [{ path: "/dev/ttyUSB0", vendorId: "2C7C", productId: "6001", interface: "00" }, "quectel"],
    [{ path: "/dev/ttyUSB1", vendorId: "2c7c", productId: "0901", interface: "02" }, "quectel"],
    [{ path: "/dev/ttyACM0", vendorId: "0403", productId: "6001" }, "other"],
    [{ path: "sim:dev1", vendorId: "2c7c" }, "sim"],
  ])("%j is %s", (entry, kind) => {
    expect(classify(entry).kind).toBe(kind);
  });
});

describe("sysfs scan (no udevadm)", () => {
  it("finds USB serial ports with their USB ids and interface numbers", () => {
    const root = mkdtempSync(join(tmpdir(), "fb-sysfs-"));
    const usb = join(root, "devices", "usb1", "1-1");
    mkdirSync(usb, { recursive: true });
    writeFileSync(join(usb, "idVendor"), "2c7c\n");
    writeFileSync(join(usb, "idProduct"), "6001\n");
    writeFileSync(join(usb, "manufacturer"), "Quectel\n");
    const tty = join(root, "class", "tty");
    for (const [n, ifnum] of [
      ["ttyUSB0", "00"],
      ["ttyUSB3", "05"],
    ] as const) {
      const iface = join(usb, `1-1:1.${ifnum}`);
      mkdirSync(join(iface, n), { recursive: true });
      writeFileSync(join(iface, "bInterfaceNumber"), `${ifnum}\n`);
      mkdirSync(join(tty, n), { recursive: true });
      symlinkSync(join(iface, n), join(tty, n, "device"));
    }
    mkdirSync(join(tty, "tty0"), { recursive: true });
    const ports = scanSysfs(tty, "/dev");
    expect(ports.map((p) => [p.path, p.vendorId, p.productId, p.interface, p.kind])).toEqual([
      ["/dev/ttyUSB0", "2c7c", "6001", "00", "quectel"],
      ["/dev/ttyUSB3", "2c7c", "6001", "05", "quectel-repl"],
    ]);
  });

  it("returns nothing when /sys/class/tty does not exist", () => {
    expect(scanSysfs("/nonexistent/sys/class/tty")).toEqual([]);
  });
});
