import { createRequire } from "node:module";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { liteStringWidth, type StringWidth } from "../../../tools/build/string-width-lite.js";

const here = createRequire(import.meta.url);
/** The string-width each yargs importer resolves: yargs' own (8.x) and cliui's (7.x). */
const versions: [string, () => { default: StringWidth }][] = [
  ["yargs'", () => here("string-width") as { default: StringWidth }],
  [
    "cliui's",
    () =>
      createRequire(dirname(here.resolve("cliui")) + "/")("string-width") as {
        default: StringWidth;
      },
  ],
];

const samples = [
  "",
  "flashbak fs mkfs <image> <dir>",
  "  --block-size  Erase block in bytes  [number]",
  "中文名字.txt",
  "emoji😀",
  "e\u0301",
  "\u001b[31mred\u001b[39m",
  "tab\there",
  "line\nbreak",
  "\u0007bell",
  "ｆｕｌｌ",
  "कि दिखाएँ",
  "ｶﾞ",
];

describe.each(versions)("string-width-lite over %s string-width", (_name, load) => {
  const real = load().default;
  it.each(samples)("measures %j as the package does", (s) => {
    let loads = 0;
    const lite = liteStringWidth(() => {
      loads += 1;
      return load();
    });
    expect(lite(s)).toBe(real(s));
    // printable ASCII never loads the package
    expect(loads).toBe(/^[\x20-\x7e]*$/.test(s) ? 0 : 1);
  });

  it("is 0 for what is not a string, as the package is", () => {
    expect(liteStringWidth(load)(undefined as unknown as string)).toBe(0);
  });
});
