/**
 * The host-side suite that runs unchanged against the in-process simulator (through
 * node-serialport and the sim binding) and, when TEST_PORT names a serial port, against a real
 * module. On a real module it only touches /usr/fbtest-* and removes what it made.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceFs, deviceCrc32 } from "../../../tools/repl/device-fs.js";
import { RawRepl } from "../../../tools/repl/raw-repl.js";
import type { SerialLink } from "../../../tools/serial/link.js";
import { isSimPort, openLink, resetSimDevices } from "../../../tools/serial/open-link.js";
import { Rng } from "../../../firmware-sim/flash/faults.js";

const realPort = process.env.TEST_PORT;
const targets = [
  { title: "simulator via node-serialport (sim:suite)", port: "sim:suite", available: true },
  {
    title:
      realPort === undefined
        ? "real module (no TEST_PORT: real device absent)"
        : `real module on ${realPort}`,
    port: realPort ?? "",
    available: realPort !== undefined,
  },
];

function pattern(n: number, seed: number): Uint8Array {
  return new Rng(seed >>> 0 || 1).bytes(n);
}

for (const t of targets) {
  describe.skipIf(!t.available)(t.title, () => {
    let link: SerialLink;
    let repl: RawRepl;
    let fs: DeviceFs;
    const dir = `/usr/fbtest-${process.pid}`;

    beforeAll(async () => {
      link = await openLink(t.port);
      repl = new RawRepl(link, { rawChunkDelayMs: isSimPort(t.port) ? 0 : 10 });
      fs = new DeviceFs(repl);
      await fs.mkdir(dir);
    });

    afterAll(async () => {
      try {
        for (const e of await fs.ls(dir)) await fs.rm(`${dir}/${e.name}`);
        await fs.rmdir(dir);
        await repl.exit();
      } finally {
        await link.close();
        resetSimDevices();
      }
    });

    it("executes code and returns stdout", async () => {
      expect(await repl.eval("print(sum(range(101)))")).toBe("5050\r\n");
    });

    it("leaves and re-enters the raw REPL", async () => {
      await repl.exit();
      expect(await repl.eval("print('back')")).toBe("back\r\n");
    });

    it.each([
      ["random 2 KiB", pattern(2048, 1)],
      ["random 7000 B", pattern(7000, 2)],
      ["source 12 KiB", new TextEncoder().encode("x = [i * i for i in range(10)]  # squares\n".repeat(300))],
    ])("put/get round-trips %s with the device's CRC", async (_n, data) => {
      const path = `${dir}/f.bin`;
      const r = await fs.put(path, data, { updateChecksum: false });
      expect(r.crc32).toBe(deviceCrc32(data));
      expect(await fs.get(path)).toEqual(data);
    });

    it("lists and removes", async () => {
      await fs.put(`${dir}/a.txt`, new TextEncoder().encode("a"), { updateChecksum: false });
      expect((await fs.ls(dir)).find((e) => e.name === "a.txt")).toEqual({
        name: "a.txt",
        type: "file",
        size: 1,
      });
      await fs.rm(`${dir}/a.txt`);
      expect((await fs.ls(dir)).some((e) => e.name === "a.txt")).toBe(false);
    });
  });
}
