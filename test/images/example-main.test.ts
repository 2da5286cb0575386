/**
 * The example project's main.py runs on the simulator's MicroPython VM against the /usr and
 * /bak images of images/example.fbpkg: it reads its configs, provisions a SecureData key on
 * the first run and keeps it on the second, and finds every protected file intact.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { readFile } from "../../firmware-sim/fs/fs-util.js";
import { boards } from "../../firmware-sim/module/boards.js";
import { partitionByMount } from "../../firmware-sim/package/format.js";
import { mountLittlefsImage } from "../../firmware-sim/package/lfs-image.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { MemorySecureData, exampleIdentity, type QuecServices } from "../../firmware-sim/runtime/services.js";
import { MicroPythonVm } from "../../firmware-sim/runtime/vm.js";

const pkg = readPackage(readFileSync(join(import.meta.dirname, "../../images/example.fbpkg")));
const lfs = boards.ec600u!.littlefs;

describe("images/example-project/main.py on the simulator", () => {
  it("runs against the merged images, provisions SecureData once and finds protected files intact", async () => {
    const usr = mountLittlefsImage(lfs, partitionByMount(pkg, "/usr")!.image);
    const bak = mountLittlefsImage(lfs, partitionByMount(pkg, "/bak")!.image);
    const services: QuecServices = {
      mounts: [
        { path: "/usr", fs: usr },
        { path: "/bak", fs: bak, readOnly: true },
      ],
      secureData: new MemorySecureData(),
      identity: exampleIdentity(),
      clock: new VirtualClock(),
    };
    const source = new TextDecoder().decode(readFile(usr, "/main.py"));
    const run = async (): Promise<string> => {
      let out = "";
      const vm = await MicroPythonVm.boot({ services, output: (d) => (out += new TextDecoder().decode(d)) });
      const r = vm.exec(source, { mode: "exec", filename: "/usr/main.py" });
      expect(r).toEqual({ status: "ok" });
      return out;
    };
    const first = await run();
    expect(first).toMatch(/flashbak-example 1\.0\.0 on flashbak-demo-01/);
    expect(first).toMatch(/provisioned a new device key in SecureData slot 1/);
    expect(first).toMatch(/protected files all intact/);
    expect(first).toMatch(/calibration points 5 reading 21\.0/);
    const second = await run();
    expect(second).not.toMatch(/provisioned/);
    expect(second).toMatch(/device key \d+ bytes/);
  });
});
