import { describe, expect, it } from "vitest";
import { readFile, writeFile } from "../../firmware-sim/fs/fs-util.js";
import { secureDataCapacity } from "../../firmware-sim/runtime/services.js";
import { makeRig } from "./harness.js";

async function rig(files: Record<string, string> = {}) {
  const r = await makeRig({ files });
  await r.send("\r\x01");
  r.take();
  return {
    ...r,
    async run(code: string): Promise<string> {
      await r.send(code + "\x04");
      // eslint-disable-next-line no-control-regex -- \x04 is the raw REPL's framing byte
      const m = /^OK([\s\S]*?)\x04([\s\S]*?)\x04>$/.exec(r.take());
      if (m === null || m[2] !== "") throw new Error(`raw exec failed: ${m?.[2] ?? "bad reply"}`);
      return (m[1] as string).replace(/\r\n$/, "");
    },
  };
}

describe("file_crc32", () => {
  it.each([
    ["123456789", "0xd202d277"],
    ["a", "0xc54aae31"],
  ])("calc of %j is the device's seeded CRC %s", async (content, crc) => {
    const r = await rig({ "usr/f.txt": content });
    expect(await r.run("import file_crc32\nprint(repr(file_crc32.calc('/usr/f.txt')))")).toBe(`'${crc}'`);
  });

  it.each([
    ["a missing file", "/usr/none"],
    ["an empty file", "/usr/empty"],
  ])("returns None for %s", async (_n, path) => {
    const r = await rig({ "usr/empty": "" });
    expect(await r.run(`import file_crc32\nprint(file_crc32.calc('${path}'))`)).toBe("None");
  });

  it("matches zlib.crc32(data, 0xFFFFFFFF) across several 4096-byte blocks", async () => {
    const r = await rig();
    const out = await r.run(
      "import file_crc32, binascii\nd = bytes((i * 7) & 255 for i in range(10000))\n" +
        "open('/usr/big','wb').write(d)\nprint(file_crc32.calc('/usr/big') == hex(binascii.crc32(d, 0xffffffff)))",
    );
    expect(out).toBe("True");
  });
});

describe("SecureData", () => {
  it("round-trips binary data with 0x00 bytes (bytearray in, count back)", async () => {
    const r = await rig();
    const out = await r.run(
      "import SecureData\nb = bytearray(b'\\x00k\\x00e\\xff')\nprint(SecureData.Store(3, b, 5))\n" +
        "o = bytearray(8)\nprint(SecureData.Read(3, o, 8), bytes(o))",
    );
    expect(out).toBe("0\r\n5 b'\\x00k\\x00e\\xff\\x00\\x00\\x00'");
  });

  it.each([
    ["never stored", "SecureData.Read(2, bytearray(4), 4)", "-2"],
    ["index 0", "SecureData.Read(0, bytearray(4), 4)", "-1"],
    ["index 17", "SecureData.Store(17, b'x', 1)", "-1"],
    ["over capacity of slot 1 (52 B)", "SecureData.Store(1, bytearray(53), 53)", "-1"],
    ["exactly the capacity of slot 16", "SecureData.Store(16, bytearray(1000), 1000)", "0"],
    [
      "len shorter than the buffer stores len bytes",
      "SecureData.Store(4, b'abcdef', 2) or SecureData.Read(4, bytearray(9), 9)",
      "2",
    ],
  ])("%s returns the device code", async (_n, expr, expected) => {
    const r = await rig();
    expect(await r.run(`import SecureData\nprint(${expr})`)).toBe(expected);
  });

  it("stores into the SecureDataStore the module provides", async () => {
    const r = await rig();
    await r.run("import SecureData\nSecureData.Store(9, b'key', 3)");
    expect(r.services.secureData.read(9)).toEqual(new Uint8Array([0x6b, 0x65, 0x79]));
    expect(secureDataCapacity(9)).toBe(100);
  });
});

describe("checksum", () => {
  const files = {
    "usr/main.py": "print(1)\n",
    "usr/checksum.json": JSON.stringify([{ name: "/usr/main.py", crc32: "0x0" }]),
    "bak/checksum.json": JSON.stringify([{ name: "/usr/main.py", crc32: "0x1" }]),
  };

  it("update() rewrites the CRC of a listed file with file_crc32's value", async () => {
    const r = await rig(files);
    const out = await r.run(
      "import checksum, file_crc32\nchecksum.update('/usr/main.py')\nprint(checksum.retrieve('/usr/main.py')['crc32'] == file_crc32.calc('/usr/main.py'))",
    );
    expect(out).toBe("True");
  });

  it("update() of an unlisted file adds nothing; usr_update() adds it lower-cased", async () => {
    const r = await rig({ ...files, "usr/Cfg.json": "{}" });
    await r.run("import checksum\nchecksum.update('/usr/Cfg.json')");
    let list = JSON.parse(new TextDecoder().decode(readFile(r.usr, "/checksum.json"))) as { name: string }[];
    expect(list.map((e) => e.name)).toEqual(["/usr/main.py"]);
    await r.run("checksum.usr_update('/usr/Cfg.json')");
    list = JSON.parse(new TextDecoder().decode(readFile(r.usr, "/checksum.json"))) as { name: string }[];
    expect(list.map((e) => e.name)).toEqual(["/usr/main.py", "/usr/cfg.json"]);
  });

  it("check() copies /bak/checksum.json when /usr has none", async () => {
    const r = await rig({ "bak/checksum.json": files["bak/checksum.json"] });
    await r.run("import checksum\nchecksum.check()");
    expect(new TextDecoder().decode(readFile(r.usr, "/checksum.json"))).toBe(files["bak/checksum.json"]);
  });
});

describe("utime, modem, module aliases", () => {
  it("utime runs on virtual time: sleep advances the clock without waiting", async () => {
    const r = await rig();
    const before = r.clock.now();
    const t0 = Date.now();
    const out = await r.run(
      "import utime\nt = utime.ticks_ms()\nutime.sleep(3600)\nprint(utime.ticks_diff(utime.ticks_ms(), t) >= 3600000)",
    );
    expect(out).toBe("True");
    expect(r.clock.now() - before).toBeGreaterThanOrEqual(3600e6);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("modem reports the configured identity", async () => {
    const r = await rig();
    expect(await r.run("import modem\nprint(modem.getDevImei(), modem.getDevModel())")).toBe(
      `${r.services.identity.imei} ${r.services.identity.model}`,
    );
  });

  it.each(["uos", "ujson", "ubinascii", "uhashlib", "ustruct", "uio", "ql_fs", "machine", "time"])(
    "import %s works",
    async (m) => {
      const r = await rig();
      expect(await r.run(`import ${m}\nprint('ok')`)).toBe("ok");
    },
  );

  it("ql_fs.file_copy takes the destination first", async () => {
    const r = await rig({ "usr/src.txt": "data" });
    await r.run(
      "import ql_fs\nql_fs.mkdirs('/usr/a/b')\nql_fs.file_copy('/usr/a/b/dst.txt', '/usr/src.txt')",
    );
    expect(new TextDecoder().decode(readFile(r.usr, "/a/b/dst.txt"))).toBe("data");
    writeFile(r.usr, "/x", new Uint8Array(0));
  });
});

describe("what a typical main.py imports", () => {
  it("runs a checknet/log/sim/net/dataCall/machine start-up sequence", async () => {
    const r = await rig();
    const out = await r.run(
      [
        "import checknet, log, sim, net, dataCall, utime",
        "from machine import Pin, WDT",
        "PROJECT_NAME = 'demo'",
        "PROJECT_VERSION = '1.0.0'",
        "cn = checknet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)",
        "cn.poweron_print_once()",
        "log.basicConfig(level=log.INFO)",
        "lg = log.getLogger('app')",
        "lg.debug('hidden')",
        "print(cn.wait_network_connected(30), sim.getStatus(), len(sim.getIccid()), net.csqQueryPoll())",
        "print(dataCall.getInfo(1, 0)[2][0])",
        "p = Pin(Pin.GPIO5, Pin.OUT, Pin.PULL_DISABLE, 0)",
        "p.write(1)",
        "WDT(20).feed()",
        "lg.info('pin %d', p.read())",
      ].join("\n"),
    );
    expect(out).toBe(
      "PROJECT_NAME     : demo\r\nPROJECT_VERSION  : 1.0.0\r\nFIRMWARE_VERSION : QPY_OCPU_FLASHBAK_EC600N_SIM\r\n" +
        "POWERON_REASON   : 1\r\nSIM_CARD_STATUS  : 1\r\n(3, 1) 1 20 25\r\n1\r\nINFO:app:pin 1",
    );
  });

  it("machine.reset() restarts the module: main.py runs again, without the soft-reboot banner", async () => {
    const r = await makeRig({ mainPy: "print('main')\n" });
    r.take();
    await r.send("import machine\rmachine.reset()\r");
    expect(r.take()).toBe(
      "import machine\r\n>>> machine.reset()\r\nmain\r\n" +
        'MicroPython v1.13 on 2021-12-01; EC600N with QUECTEL\r\nType "help()" for more information.\r\n>>> ',
    );
  });
});
