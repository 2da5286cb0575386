import { describe, expect, it } from "vitest";
import { commandGroup } from "../../../tools/launch/compile-cache.js";
import { SHORT_RUN_V8_FLAGS, v8FlagsFor } from "../../../tools/launch/launcher.js";

describe("the V8 flags of a command", () => {
  it.each([
    ["fs mkfs usr.img tree", SHORT_RUN_V8_FLAGS],
    ["fs check usr.img", SHORT_RUN_V8_FLAGS],
    ["merge --help", SHORT_RUN_V8_FLAGS],
    ["--version", SHORT_RUN_V8_FLAGS],
    ["sim serve pkg.zip", []],
    ["station --ports /dev/ttyUSB0", []],
  ])("flashbak %s", (line, want) => {
    expect(v8FlagsFor(commandGroup(line.split(" ")), [])).toEqual(want);
  });

  it("leaves inlining alone when the user sets it for Node", () => {
    expect(v8FlagsFor("fs-mkfs", ["--max-inlined-bytecode-size=300"])).toEqual([]);
    expect(v8FlagsFor("fs-mkfs", ["--enable-source-maps --max-inlined-bytecode-size-cumulative=5"])).toEqual(
      [],
    );
    expect(v8FlagsFor("fs-mkfs", ["--enable-source-maps"])).toEqual(SHORT_RUN_V8_FLAGS);
  });

  it("leaves TurboFan's phases alone when the user sets one of them", () => {
    expect(v8FlagsFor("fs-mkfs", ["--turbo-loop-peeling"])).toEqual([]);
    expect(v8FlagsFor("fs-mkfs", ["--no-turbo-escape"])).toEqual([]);
    expect(v8FlagsFor("fs-mkfs", ["--turbo-filter=foo"])).toEqual(SHORT_RUN_V8_FLAGS);
  });

  it("names flags this Node's V8 knows (V8 complains on stderr about any other, at every run)", async () => {
    const { execFileSync } = await import("node:child_process");
    const known = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" });
    for (const f of SHORT_RUN_V8_FLAGS) {
      const name = f.replace(/^--(no-)?/, "").replace(/=.*$/, "");
      expect(known, f).toContain(`--${name} `);
    }
  });
});
