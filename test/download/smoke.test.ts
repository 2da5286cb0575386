import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { EspClient } from "../../tools/flasher/esp-client.js";
import { noise, simUnit } from "./harness.js";
import { createHash } from "node:crypto";

describe("smoke", () => {
  it("syncs, uploads stub, writes compressed, md5", async () => {
    const u = simUnit();
    const c = new EspClient(u.link, u.timeline);
    await c.connect({ reset: false });
    expect(c.personality).toBe("rom");
    expect(await c.detectChip()).toBe("ESP32");
    expect(await c.isSimulator()).toBe(true);
    await c.runStub();
    expect(c.personality).toBe("stub");
    await c.changeBaud(921600, 115200);
    const data = noise(40000);
    const z = deflateSync(data, { level: 9 });
    const blocks = await c.flashBegin({
      offset: 0x10000,
      size: data.length,
      wireSize: z.length,
      compressed: true,
    });
    for (let i = 0; i < blocks; i++) await c.flashBlock(i, z.subarray(i * 0x4000, (i + 1) * 0x4000), true);
    await c.flashEnd(true, true);
    const md5 = await c.md5(0x10000, data.length);
    expect(md5).toBe(createHash("md5").update(data).digest("hex"));
    const back = await c.readFlash(0x10000, data.length);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
    expect(await c.readMac()).toBe("24:0a:c4:00:00:01");
    expect(await c.flashId()).toBe(0xef4016);
  });
});
