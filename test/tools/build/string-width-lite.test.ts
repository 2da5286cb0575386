import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import stringWidth from "../../../tools/build/string-width-lite.js";

const real = (createRequire(import.meta.url)("string-width") as { default: (s: string) => number }).default;

describe("string-width-lite measures as string-width does", () => {
  it.each([
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
  ])("%j", (s) => {
    expect(stringWidth(s)).toBe(real(s));
  });

  it("is 0 for what is not a string, as the package is", () => {
    expect(stringWidth(undefined as unknown as string)).toBe(0);
  });
});
