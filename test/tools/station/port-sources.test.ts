import { describe, expect, it } from "vitest";
import { resolvePorts } from "../../../tools/station/port-sources.js";
import { parseSimPorts } from "../../../tools/station/sim-ports.js";

describe("port sources", () => {
  it.each([
    ["sim:3", ["sim:0", "sim:1", "sim:2"]],
    ["sim:a,sim:b", ["sim:a", "sim:b"]],
    ["/dev/ttyUSB0", undefined],
    ["sim:a,/dev/ttyUSB0", undefined],
  ])("parses %s", (spec, want) => {
    expect(parseSimPorts(spec)).toEqual(want);
  });

  it("refuses silly simulated counts and simulated ports without a board", async () => {
    expect(() => parseSimPorts("sim:0")).toThrow(/between 1 and 64/);
    await expect(resolvePorts("sim:2", undefined)).rejects.toMatchObject({ code: "USAGE" });
  });

  it("lists real ports for auto without udevadm (sysfs fallback), never simulated ones", async () => {
    const r = await resolvePorts("auto", "ec600u");
    expect(r.ports).toBeUndefined();
    const listed = await r.source.list();
    expect(Array.isArray(listed)).toBe(true);
    expect(listed.some((p) => p.startsWith("sim:"))).toBe(false);
  });

  it("keeps named real ports in order", async () => {
    const r = await resolvePorts("/dev/ttyUSB1, /dev/ttyUSB0", "ec600u");
    expect(r.ports).toEqual(["/dev/ttyUSB1", "/dev/ttyUSB0"]);
    expect(r.sim).toBeUndefined();
  });
});
