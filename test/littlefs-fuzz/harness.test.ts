/** The fuzz harness itself must be able to fail: a hang and a write are seen. */
import { describe, expect, it } from "vitest";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { LittleFs } from "../../firmware-sim/littlefs/little-fs.js";
import { writeFile } from "../../firmware-sim/fs/fs-util.js";
import { Deadline, GuardedDevice, mountAndReadAll } from "./harness.js";

function smallImage(): Uint8Array {
  const bd = new MemoryBlockDevice({
    readSize: 1,
    progSize: 1,
    blockSize: 512,
    blockCount: 64,
    eraseValue: 0xff,
  });
  LittleFs.format(bd, {});
  const fs = LittleFs.mount(bd, {});
  fs.mkdir("/d");
  writeFile(fs, "/d/f.bin", new Uint8Array(3000).fill(7));
  fs.unmount();
  return bd.data;
}

describe("fuzz harness", () => {
  it("reads a good image to the end", () => {
    const o = mountAndReadAll(smallImage(), { blockSize: 512, eraseValue: 0xff });
    expect(o).toMatchObject({ kind: "ok", entries: 2, bytesRead: 3000 });
  });

  it("reports a hang when the read budget runs out", () => {
    const o = mountAndReadAll(smallImage(), { blockSize: 512, eraseValue: 0xff }, { maxReads: 5 });
    expect(o.kind).toBe("hang");
  });

  it("the guarded device counts writes and enforces its deadline", () => {
    const mem = new MemoryBlockDevice(
      { readSize: 1, progSize: 1, blockSize: 512, blockCount: 64, eraseValue: 0xff },
      { data: smallImage() },
    );
    const dev = new GuardedDevice(mem, Date.now() + 10_000, 1_000_000);
    const fs = LittleFs.mount(dev, {});
    expect(() => fs.mkdir("/x")).toThrow();
    expect(dev.writes).toBeGreaterThan(0);
    const late = new GuardedDevice(mem, Date.now() - 1, 1_000_000);
    expect(() => {
      for (let i = 0; i < 300; i++) late.read(0, 0, new Uint8Array(4));
    }).toThrow(Deadline);
  });
});
