import { describe, expect, it } from "vitest";
import { readFile } from "../../firmware-sim/fs/fs-util.js";
import { makeRig } from "./harness.js";

/** Run code in the raw REPL and return [stdout, error text]. */
async function run(r: Awaited<ReturnType<typeof makeRig>>, code: string): Promise<[string, string]> {
  r.take();
  await r.send(new Uint8Array(Buffer.from(code + "\x04", "utf8")));
  // eslint-disable-next-line no-control-regex -- \x04 is the raw REPL's framing byte
  const m = /^OK([\s\S]*?)\x04([\s\S]*?)\x04>$/.exec(r.takeUtf8());
  if (m === null) throw new Error("bad raw reply");
  return [m[1] as string, m[2] as string];
}

async function rig(files: Record<string, string> = {}) {
  const r = await makeRig({ files });
  await r.send("\r\x01");
  return r;
}

describe("VFS bridge", () => {
  it("lists the mount points at the root and files in /usr", async () => {
    const r = await rig({ "usr/a.py": "x", "usr/lib/b.py": "yy" });
    expect(await run(r, "import os\nprint(os.listdir('/'), sorted(os.listdir('/usr')))")).toEqual([
      "['usr', 'bak'] ['a.py', 'lib']\r\n",
      "",
    ]);
    expect(await run(r, "print(list(os.ilistdir('/usr/lib')))")).toEqual(["[('b.py', 32768, 0, 2)]\r\n", ""]);
  });

  it.each([
    [
      "w then r (text)",
      "open('/usr/t','w').write('héllo')\nprint(open('/usr/t').read() == 'héllo', open('/usr/t','rb').read())",
      "True b'h\\xc3\\xa9llo'",
    ],
    [
      "wb then rb (binary, 0x00 survives)",
      "open('/usr/b','wb').write(b'\\x00\\xff\\x00')\nprint(open('/usr/b','rb').read())",
      "b'\\x00\\xff\\x00'",
    ],
    [
      "append",
      "open('/usr/a','w').write('1')\nopen('/usr/a','a').write('2')\nprint(open('/usr/a').read())",
      "12",
    ],
    [
      "read(n) and seek/tell",
      "open('/usr/s','w').write('abcdef')\nf=open('/usr/s')\nf.seek(2)\nprint(f.read(2), f.tell())",
      "cd 4",
    ],
    [
      "readline / iteration",
      "open('/usr/l','w').write('a\\nb\\n')\nprint([l for l in open('/usr/l')])",
      "['a\\n', 'b\\n']",
    ],
    ["with statement", "with open('/usr/w','w') as f:\n  f.write('z')\nprint(open('/usr/w').read())", "z"],
    ["stat size", "open('/usr/s2','wb').write(b'12345')\nimport os\nprint(os.stat('/usr/s2')[6])", "5"],
    [
      "rename",
      "import os\nopen('/usr/r1','w').write('q')\nos.rename('/usr/r1','/usr/r2')\nprint(open('/usr/r2').read())",
      "q",
    ],
    [
      "mkdir/rmdir",
      "import os\nos.mkdir('/usr/d')\nprint(os.stat('/usr/d')[0])\nos.rmdir('/usr/d')\nprint('d' in os.listdir('/usr'))",
      "16384\r\nFalse",
    ],
    [
      "chdir/getcwd and relative paths",
      "import os\nos.mkdir('/usr/c')\nos.chdir('/usr/c')\nopen('f','w').write('r')\nprint(os.getcwd(), open('/usr/c/f').read())",
      "/usr/c r",
    ],
  ])("%s", async (_name, code, expected) => {
    const r = await rig();
    const [out, err] = await run(r, code);
    expect(err).toBe("");
    expect(out).toBe(expected + "\r\n");
  });

  it.each([
    ["open missing file", "open('/usr/nope')", 2],
    ["stat missing file", "import os\nos.stat('/usr/nope')", 2],
    ["mkdir existing", "import os\nos.mkdir('/usr/x')\nos.mkdir('/usr/x')", 17],
    [
      "rmdir non-empty",
      "import os\nos.mkdir('/usr/x')\nopen('/usr/x/f','w').close()\nos.rmdir('/usr/x')",
      39,
    ],
    ["remove a directory", "import os\nos.mkdir('/usr/x')\nos.remove('/usr/x')", 21],
    ["write to /bak", "open('/bak/f','w')", 30],
    ["remove in /bak", "import os\nos.remove('/bak/k')", 30],
    ["mkdir in /bak", "import os\nos.mkdir('/bak/d')", 30],
  ])("%s raises OSError with the device's errno", async (_name, code, errno) => {
    const r = await rig({ "bak/k": "1" });
    const [out, err] = await run(
      r,
      `try:\n${code.replace(/^/gm, "  ")}\nexcept OSError as e:\n  print(e.errno)`,
    );
    expect(err).toBe("");
    expect(out).toBe(`${errno}\r\n`);
  });

  it("reports the exact errno to Python", async () => {
    const r = await rig();
    const [out] = await run(r, "try:\n  open('/usr/none')\nexcept OSError as e:\n  print(e.errno)");
    expect(out).toBe("2\r\n");
  });

  it("reads /bak but refuses to write it, and writes land in the FileSystem", async () => {
    const r = await rig({ "bak/checksum.json": "[]" });
    expect(await run(r, "print(open('/bak/checksum.json').read())")).toEqual(["[]\r\n", ""]);
    await run(r, "open('/usr/x.bin','wb').write(bytes(range(256)))");
    expect(readFile(r.usr, "/x.bin")).toEqual(new Uint8Array(Array.from({ length: 256 }, (_, i) => i)));
  });

  it("statvfs reports the file system's geometry", async () => {
    const r = await rig();
    const u = r.usr.usage();
    const [out] = await run(r, "import os\nprint(os.statvfs('/usr'))");
    expect(out).toBe(
      `(${u.blockSize}, ${u.blockSize}, ${u.blockCount}, ${u.blockCount - u.blocksUsed}, ${u.blockCount - u.blocksUsed}, 0, 0, 0, 0, 255)\r\n`,
    );
  });
});
