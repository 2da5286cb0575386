/** A script imports its own modules from /usr (and a package directory), as projects do. */
import { describe, expect, it } from "vitest";
import { writeFile, mkdirs } from "../../firmware-sim/fs/fs-util.js";
import { createReplDevice } from "../../firmware-sim/runtime/repl-device.js";

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("import from /usr", () => {
  it("imports a module and a package that live on the file system", async () => {
    const dev = createReplDevice({ baud: 0 });
    const usr = dev.services.mounts.find((m) => m.path === "/usr")!.fs;
    const enc = new TextEncoder();
    writeFile(usr, "/helper.py", enc.encode("def twice(x):\n    return 2 * x\n"));
    mkdirs(usr, "/lib/pkg");
    writeFile(usr, "/lib/pkg/__init__.py", enc.encode("NAME = 'pkg'\n"));
    writeFile(
      usr,
      "/main.py",
      enc.encode(
        "import sys\nsys.path.append('/usr')\nsys.path.append('/usr/lib')\nimport helper, pkg\nprint('got', helper.twice(21), pkg.NAME)\n",
      ),
    );
    let out = "";
    dev.line.onHostData((d) => (out += Buffer.from(d).toString("latin1")));
    await dev.repl.powerOn();
    await until(() => out.includes(">>> "), "the prompt");
    expect(out).toContain("got 42 pkg");
  });
});
