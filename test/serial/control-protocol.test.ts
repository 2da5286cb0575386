import { describe, expect, it } from "vitest";
import {
  handleControl,
  parseControl,
  type ControlTarget,
} from "../../firmware-sim/serial/control-protocol.js";
import { LineFaults } from "../../firmware-sim/serial/line-faults.js";

describe("control channel parser", () => {
  it.each([
    ["status", { op: "status" }],
    ["  POWER-CYCLE ", { op: "power-cycle" }],
    ["reset", { op: "reset" }],
    ["cut-power next", { op: "cut-power", at: 1 }],
    ["cut-power at 42", { op: "cut-power", at: 42 }],
    ["flip-bits rx 3", { op: "flip-bits", dir: "rx", count: 3 }],
    ["drop-bytes tx 10", { op: "drop-bytes", dir: "tx", count: 10 }],
    ["disconnect", { op: "disconnect" }],
    ["reconnect", { op: "reconnect" }],
  ])("parses %j", (line, cmd) => {
    expect(parseControl(line)).toEqual(cmd);
  });

  it.each([
    ["", "empty command"],
    ["fly", 'unknown command "fly"'],
    ["cut-power at 0", "the operation number must be an integer 1..1e9"],
    ["cut-power soon", "usage: cut-power next | cut-power at <n>"],
    ["flip-bits up 3", "direction must be rx (host to module) or tx (module to host)"],
    ["drop-bytes rx", "usage: drop-bytes rx|tx <n>"],
    ["status now", "status takes no arguments"],
  ])("rejects %j: %s", (line, reason) => {
    expect(() => parseControl(line)).toThrow(reason);
  });
});

describe("control channel dispatch", () => {
  function target(): ControlTarget & { log: string[] } {
    const log: string[] = [];
    return {
      log,
      faults: new LineFaults(),
      powerCycle: () => log.push("cycle"),
      reset: () => log.push("reset"),
      cutPowerAt: (n) => {
        if (n > 100) throw new Error("too far");
        log.push(`cut ${n}`);
      },
      status: () => ({ repl: "raw", baud: 115200 }),
    };
  }

  it.each([
    ["status", "OK repl=raw baud=115200", []],
    ["power-cycle", "OK power cycled", ["cycle"]],
    ["reset", "OK reset", ["reset"]],
    ["cut-power at 7", "OK power will be cut at flash operation +7", ["cut 7"]],
    ["cut-power at 1000", "ERR too far", []],
    ["nonsense", 'ERR unknown command "nonsense"', []],
  ])("%s -> %s", (line, reply, log) => {
    const t = target();
    expect(handleControl(line, t)).toBe(reply);
    expect(t.log).toEqual(log);
  });

  it("line faults: flip, drop, disconnect act on the next bytes only", () => {
    const t = target();
    handleControl("drop-bytes rx 2", t);
    expect([...t.faults.apply("rx", new Uint8Array([1, 2, 3]))]).toEqual([3]);
    handleControl("flip-bits tx 1", t);
    const flipped = t.faults.apply("tx", new Uint8Array([0, 0]));
    expect(flipped[1]).toBe(0);
    expect(flipped[0]!.toString(2).split("1").length - 1).toBe(1);
    handleControl("disconnect", t);
    expect(t.faults.apply("rx", new Uint8Array([9])).length).toBe(0);
    handleControl("reconnect", t);
    expect([...t.faults.apply("rx", new Uint8Array([9]))]).toEqual([9]);
  });
});
