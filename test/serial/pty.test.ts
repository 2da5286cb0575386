import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { RawRepl } from "../../tools/repl/raw-repl.js";
import { Rng } from "../../firmware-sim/flash/faults.js";
import { PtyBridge } from "../../tools/serial/pty.js";
import { StreamLink } from "../../tools/serial/stream-link.js";
import { memoryServeTarget, servePty, type ServeHandle } from "../../tools/serial/serve.js";

const run = promisify(execFile);
/** The interpreter itself, not a version-manager shim that takes a second to start. */
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"]).toString().trim();

/**
 * A terminal-style client in its own process (python3, termios raw mode, as picocom does):
 * writes each step's bytes, then reads until the expected text or its deadline.
 */
const CLIENT = String.raw`
import os, sys, termios, tty, time, json
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
steps = json.loads(sys.argv[2])
out = b''
for send, expect, secs in steps:
    os.write(fd, send.encode('latin1'))
    end = time.time() + secs
    got = b''
    while time.time() < end and expect.encode('latin1') not in got:
        import select
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            got += os.read(fd, 4096)
    out += got
    if expect.encode('latin1') not in got:
        # Leave the module interruptible whatever happened: a busy VM holds the test's event loop.
        os.write(fd, b'\x03')
        sys.stdout.write('MISSING ' + repr(expect) + ' IN ' + repr(got))
        sys.exit(1)
sys.stdout.write(out.decode('latin1'))
`;

/** A control-channel client in its own process: waits, sends one line, prints the reply. */
const CONTROL_CLIENT = String.raw`
import socket, sys, time
time.sleep(float(sys.argv[3]))
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(sys.argv[1])
c.sendall(sys.argv[2].encode() + b'\n')
c.settimeout(10)
got = b''
while b'\n' not in got:
    got += c.recv(256)
sys.stdout.write(got.decode())
`;

/**
 * mpremote's raw-REPL exchange, written independently of our TypeScript client (termios only,
 * no pyserial): enter with \r\x03 then \r\x01, raw-paste with the window and \x01 credits,
 * the \x04 end handshake, then stdout \x04 stderr \x04.
 */
const RAW_PASTE_CLIENT = String.raw`
import os, sys, tty, time, select, struct
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
buf = b''
def read_until(pat, secs=10):
    global buf
    end = time.time() + secs
    while pat not in buf:
        if time.time() > end:
            os.write(fd, b'\x03')
            sys.exit('timeout waiting for %r, have %r' % (pat, buf[-80:]))
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            buf += os.read(fd, 4096)
    i = buf.index(pat) + len(pat)
    out, buf = buf[:i], buf[i:]
    return out
def read_n(n):
    global buf
    while len(buf) < n:
        select.select([fd], [], [], 5)
        buf += os.read(fd, 4096)
    out, buf = buf[:n], buf[n:]
    return out
os.write(fd, b'\r\x03')
time.sleep(0.3)
os.write(fd, b'\r\x01')
read_until(b'raw REPL; CTRL-B to exit\r\n>')
code = sys.argv[2].encode()
os.write(fd, b'\x05A\x01')
assert read_n(2) == b'R\x01', 'no raw-paste'
window = struct.unpack('<H', read_n(2))[0]
remain = window
i = 0
while i < len(code):
    while remain == 0 or select.select([fd], [], [], 0)[0]:
        c = read_n(1)
        if c == b'\x01':
            remain += window
        elif c == b'\x04':
            os.write(fd, b'\x04')
            sys.exit('device aborted')
    n = min(remain, len(code) - i)
    os.write(fd, code[i:i + n])
    remain -= n
    i += n
os.write(fd, b'\x04')
read_until(b'\x04')
out = read_until(b'\x04')[:-1]
err = read_until(b'\x04')[:-1]
read_until(b'>')
os.write(fd, b'\r\x02')
sys.stdout.write('window=%d out=%r err=%r' % (window, out, err))
`;

async function client(path: string, steps: [string, string, number][]): Promise<string> {
  const r = await run(PYTHON, ["-c", CLIENT, path, JSON.stringify(steps)], { timeout: 30000 });
  return r.stdout;
}

async function control(sock: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let got = "";
    const t = setTimeout(() => (c.destroy(), reject(new Error("control reply timeout"))), 5000);
    c.on("data", (d) => {
      got += d.toString();
      if (got.includes("\n")) {
        clearTimeout(t);
        c.end();
        resolve(got.trim());
      }
    });
    c.on("error", reject);
    c.write(line + "\n");
  });
}

let handle: ServeHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

describe("serve on a pseudo-terminal", () => {
  it("a terminal client interrupts a looping main.py with Ctrl-C and uses the REPL", async () => {
    const main = "import utime\nwhile True:\n    print('tick')\n    utime.sleep_ms(200)\n";
    handle = await servePty((io) => Promise.resolve(memoryServeTarget(io, 115200, main)), {});
    const out = await client(handle.path, [
      ["", "tick\r\n", 5],
      ["\x03", ">>> ", 5],
      ["print(6*7)\r", "42\r\n>>> ", 5],
    ]);
    expect(out).toContain("KeyboardInterrupt");
    expect(out).toContain('File "/usr/main.py", line 4');
  });

  it("an independent mpremote-style raw-paste client (python, termios) executes 3 KiB of code", async () => {
    handle = await servePty((io) => Promise.resolve(memoryServeTarget(io, 921600)), {});
    const code = `s = '${"q".repeat(3000)}'\nprint(len(s), 'ok')`;
    const r = await run(PYTHON, ["-c", RAW_PASTE_CLIENT, handle.path, code], { timeout: 30000 });
    expect(r.stdout).toBe("window=128 out=b'3000 ok\\r\\n' err=b''");
  });

  it("node-serialport opens the pseudo-terminal and the raw-REPL client works through it", async () => {
    handle = await servePty((io) => Promise.resolve(memoryServeTarget(io, 921600)), {});
    const link = await StreamLink.open(
      handle.path,
      new SerialPort({ path: handle.path, baudRate: 115200, autoOpen: false }),
    );
    try {
      const repl = new RawRepl(link, { rawChunkDelayMs: 0 });
      expect(await repl.eval("print(sum(range(10)))")).toBe("45\r\n");
      expect(repl.window).toBe(128);
      await repl.exit();
    } finally {
      await link.close();
    }
  });

  it("the control channel reports status, injects faults and power-cycles", async () => {
    const sock = join(mkdtempSync(join(tmpdir(), "fb-ctl-")), "ctl.sock");
    handle = await servePty((io) => Promise.resolve(memoryServeTarget(io, 115200)), { controlSocket: sock });
    let status = "";
    for (const deadline = Date.now() + 5000; Date.now() < deadline && !status.includes("repl=friendly");) {
      status = await control(sock, "status");
    }
    expect(status).toMatch(/^OK repl=friendly baud=115200 /);
    expect(await control(sock, "bogus")).toBe('ERR unknown command "bogus"');
    expect(await control(sock, "cut-power next")).toMatch(/^ERR .*no flash/);
    expect(await control(sock, "flip-bits tx 3")).toBe("OK next 3 tx bytes get one flipped bit each");
    expect(await control(sock, "power-cycle")).toBe("OK power cycled");
    const out = await client(handle.path, [["\r", ">>> ", 5]]);
    expect(out.endsWith(">>> ")).toBe(true);
  });

  it("power-cycle from the control channel stops a busy main.py at once and boots again", async () => {
    // While main.py runs, the VM holds Node's event loop (only the pseudo-terminal and the
    // control socket are serviced, synchronously), so both clients are separate processes.
    const sock = join(mkdtempSync(join(tmpdir(), "fb-ctl-")), "ctl.sock");
    const main = [
      "import utime",
      "try:",
      "    k = int(open('/usr/boots').read()) + 1",
      "except OSError:",
      "    k = 1",
      "open('/usr/boots', 'w').write(str(k))",
      "while True:",
      "    print('boot', k)",
      "    utime.sleep_ms(100)",
    ].join("\n");
    handle = await servePty((io) => Promise.resolve(memoryServeTarget(io, 115200, main)), {
      controlSocket: sock,
    });
    const watching = client(handle.path, [
      ["", "boot 1\r\n", 10],
      ["", "boot 2\r\n", 15],
      ["\x03", ">>> ", 5],
    ]);
    const ctl = run(PYTHON, ["-c", CONTROL_CLIENT, sock, "power-cycle", "2.0"], { timeout: 30000 });
    expect(await watching).toMatch(/boot 1\r\n[\s\S]*boot 2\r\n[\s\S]*KeyboardInterrupt/);
    expect((await ctl).stdout.trim()).toBe("OK power cycled");
  });
});

/** A client that opens the port raw, says OPEN, sleeps, then reads `n` bytes and prints their SHA-256. */
const SLOW_READER = String.raw`
import os, sys, tty, time, select, hashlib
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
sys.stdout.write('OPEN\n'); sys.stdout.flush()
time.sleep(1.0)
want = int(sys.argv[2]); got = b''; end = time.time() + 20
while len(got) < want and time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        got += os.read(fd, 65536)
sys.stdout.write('%d %s\n' % (len(got), hashlib.sha256(got).hexdigest()))
`;

describe("the pseudo-terminal helper", () => {
  it("holds bytes back for a client that reads slowly instead of dropping them", async () => {
    const pty = await PtyBridge.open({ onData: () => undefined });
    try {
      const data = new Rng(5).bytes(200_000);
      const child = spawn(PYTHON, ["-c", SLOW_READER, pty.path, String(data.length)]);
      let out = "";
      const done = new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => (child.kill(), reject(new Error("slow reader: no result"))), 30_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("OPEN\n")) {
            // the client is reading nothing for a second: far more than the pty buffer arrives
            for (let i = 0; i < data.length; i += 4096) pty.write(data.subarray(i, i + 4096));
            out = out.replace("OPEN\n", "");
          }
          if (/\d+ [0-9a-f]{64}\n/.test(out)) {
            clearTimeout(t);
            resolve(out.trim());
          }
        });
      });
      expect(await done).toBe(`${data.length} ${createHash("sha256").update(data).digest("hex")}`);
    } finally {
      await pty.close();
    }
  });

  it("drops output nobody took for 2 s: a client that connects late sees recent output only", async () => {
    const pty = await PtyBridge.open({ onData: () => undefined });
    try {
      const data = new Rng(6).bytes(400_000);
      for (let i = 0; i < data.length; i += 4096) pty.write(data.subarray(i, i + 4096));
      await new Promise((r) => setTimeout(r, 3500));
      const r = await run(PYTHON, ["-c", LATE_READER, pty.path], { timeout: 15_000 });
      // at most what the kernel's pty buffer held, never the 256 KiB queue of stale output
      expect(Number(r.stdout.trim())).toBeLessThan(100_000);
    } finally {
      await pty.close();
    }
  });
});

/** A client that opens the port raw, reads for one second and prints how many bytes came. */
const LATE_READER = String.raw`
import os, sys, tty, time, select
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
got = 0; end = time.time() + 1.0
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        got += len(os.read(fd, 65536))
sys.stdout.write('%d\n' % got)
`;
