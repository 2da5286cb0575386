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
});
