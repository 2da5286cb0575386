/**
 * File operations on a module's file systems over its raw REPL (SPEC.md "REPL file
 * transfer"): list, read, write, remove, mkdir, and `sync` of a local tree.
 *
 * Writes are safe against interruption: data goes to `<dst>.fbtmp`, is verified on the device
 * (size, and the CRC `file_crc32` computes, or the same CRC in Python when the module lacks
 * it) and only then renamed over `<dst>`. A file that `/usr/checksum.json` protects gets its
 * CRC updated afterwards, or the next boot's backup restore would revert it.
 */
import { deflateRawSync } from "node:zlib";
import CRC32 from "crc-32";
import { FlashbakError, fsError } from "../../firmware-sim/errors.js";
import type { RawRepl } from "./raw-repl.js";

/**
 * The CRC that QuecPython's `file_crc32.calc` returns (reference 1.3): CRC-32 (reflected,
 * 0xEDB88320) with the register seeded so that it equals `zlib.crc32(data, 0xFFFFFFFF)`,
 * formatted as Python's `hex()` (lowercase, no padding), or null for an empty file.
 */
export function deviceCrc32(data: Uint8Array): string | null {
  if (data.length === 0) return null;
  return "0x" + (CRC32.buf(data, 0xffffffff) >>> 0).toString(16);
}

export interface DeviceCaps {
  /** How the device inflates raw deflate: via `zlib`/`uzlib.decompress`, `deflate.DeflateIO`, or not at all. */
  inflate: "zlib" | "uzlib" | "deflate" | "none";
  /** `file_crc32` is present (a QuecPython build). */
  fileCrc32: boolean;
}

export interface PutOptions {
  /** Update `/usr/checksum.json` when it lists the file (default true). */
  updateChecksum?: boolean;
  /** Compress when the device can inflate and it saves bytes (default true). */
  compress?: boolean;
  /** Called with bytes of the local file sent so far. */
  progress?: (done: number, total: number) => void;
}

export interface PutResult {
  path: string;
  bytes: number;
  crc32: string | null;
  /** Bytes of Python source sent for the data (compare with `bytes` for the encoding's cost). */
  wireBytes: number;
  checksumUpdated: boolean;
}

export interface RemoteEntry {
  name: string;
  type: "file" | "dir";
  size: number;
}

/** Raw-deflate window used for uploads (2^10 = 1 KiB: small enough for any module's heap). */
const WBITS = 10;
/** Raw bytes per base64 line: 4096 base64 characters, which the device decodes in one call. */
const LINE_RAW = 3072;

function py(s: string): string {
  return JSON.stringify(s);
}

function osErrno(traceback: string): number | undefined {
  const m = /OSError: (?:\[Errno )?(\d+)/.exec(traceback);
  return m ? Number(m[1]) : undefined;
}

const ERRNO_NAME: Record<number, Parameters<typeof fsError>[0]> = {
  2: "NOENT",
  17: "EXIST",
  20: "NOTDIR",
  21: "ISDIR",
  28: "NOSPC",
  30: "EROFS",
  39: "NOTEMPTY",
};

export class DeviceFs {
  private caps: DeviceCaps | undefined;

  constructor(private readonly repl: RawRepl) {}

  /** Run and map an OSError to the matching `FsError` (so `flashbak` exits 4 for a missing file, etc.). */
  private async run(code: string, path: string): Promise<string> {
    const r = await this.repl.exec(code);
    if (r.stderr !== "") {
      const errno = osErrno(r.stderr);
      const name = errno === undefined ? undefined : ERRNO_NAME[errno];
      if (name !== undefined) throw fsError(name, path);
      throw new FlashbakError("DEVICE_EXEC", `${path}: ${r.stderr.trim().split(/\r?\n/).pop() ?? "error"}`, {
        details: { traceback: r.stderr },
      });
    }
    return new TextDecoder().decode(r.stdout);
  }

  async capabilities(): Promise<DeviceCaps> {
    if (this.caps) return this.caps;
    const out = await this.run(
      [
        "r = []",
        "for m in ('zlib', 'uzlib', 'deflate'):",
        "    try:",
        "        x = __import__(m)",
        "        if m == 'deflate' or hasattr(x, 'decompress'):",
        "            r.append(m)",
        "            break",
        "    except ImportError:",
        "        pass",
        "try:",
        "    import file_crc32",
        "    r.append('crc')",
        "except ImportError:",
        "    pass",
        "print(' '.join(r))",
      ].join("\n"),
      "capabilities",
    );
    const words = out.trim().split(/\s+/);
    const inflate = (["zlib", "uzlib", "deflate"] as const).find((w) => words.includes(w)) ?? "none";
    this.caps = { inflate, fileCrc32: words.includes("crc") };
    return this.caps;
  }

  /** Python that defines `_b` (binascii), `_z` (inflate, if any) and `_crc(path)`. */
  private async prelude(): Promise<string> {
    const c = await this.capabilities();
    const lines = [
      "import os",
      "try:",
      "    import ubinascii as _b",
      "except ImportError:",
      "    import binascii as _b",
    ];
    if (c.inflate === "zlib" || c.inflate === "uzlib")
      lines.push(`from ${c.inflate} import decompress as _zd`, `_z = lambda d: _zd(d, -${WBITS})`);
    if (c.inflate === "deflate")
      lines.push(
        "import deflate, io",
        `_z = lambda d: deflate.DeflateIO(io.BytesIO(d), deflate.RAW, ${WBITS}).read()`,
      );
    if (c.fileCrc32) lines.push("import file_crc32", "_crc = file_crc32.calc");
    else
      lines.push(
        "def _crc(p):",
        "    c, n = 0xffffffff, 0",
        "    with open(p, 'rb') as f:",
        "        while True:",
        "            b = f.read(1024)",
        "            if not b:",
        "                break",
        "            c, n = _b.crc32(b, c), n + 1",
        "    return hex(c) if n else None",
      );
    return lines.join("\n");
  }

  async ls(path: string): Promise<RemoteEntry[]> {
    const out = await this.run(
      `import os, json\nprint(json.dumps([[e[0], e[1], e[3] if len(e) > 3 else 0] for e in os.ilistdir(${py(path)})]))`,
      path,
    );
    const rows = JSON.parse(out) as [string, number, number][];
    return rows.map(([name, t, size]) => ({ name, type: t === 0x4000 ? "dir" : "file", size }));
  }

  async get(path: string): Promise<Uint8Array> {
    const out = await this.run(
      `${await this.prelude()}\nwith open(${py(path)}, 'rb') as f:\n    while True:\n        b = f.read(${LINE_RAW})\n        if not b:\n            break\n        print(_b.b2a_base64(b).decode().strip())`,
      path,
    );
    const parts = out
      .split(/\r?\n/)
      .filter((l) => l !== "")
      .map((l) => Buffer.from(l, "base64"));
    const data = new Uint8Array(Buffer.concat(parts));
    const check = (await this.run(`${await this.prelude()}\nprint(_crc(${py(path)}))`, path)).trim();
    const mine = deviceCrc32(data);
    if (check !== (mine ?? "None")) {
      throw new FlashbakError(
        "DEVICE_CORRUPT_TRANSFER",
        `${path}: read back ${data.length} bytes with CRC ${mine}, the device says ${check}`,
        {
          hint: "the serial line dropped or damaged bytes; retry, or lower the baud rate",
        },
      );
    }
    return data;
  }

  async rm(path: string): Promise<void> {
    await this.run(`import os\nos.remove(${py(path)})`, path);
  }

  async rmdir(path: string): Promise<void> {
    await this.run(`import os\nos.rmdir(${py(path)})`, path);
  }

  /** Create `path` and any missing parents. */
  async mkdir(path: string): Promise<void> {
    await this.run(
      `import os\np = ''\nfor c in ${py(path)}.split('/'):\n    if not c:\n        continue\n    p += '/' + c\n    try:\n        os.stat(p)\n    except OSError:\n        os.mkdir(p)`,
      path,
    );
  }

  /** Remote files under `dir` (recursively) with the device CRC of each. */
  async hashes(dir: string): Promise<Map<string, string | null>> {
    const out = await this.run(
      `${await this.prelude()}\ndef _walk(d):\n    for e in os.ilistdir(d):\n        p = d.rstrip('/') + '/' + e[0]\n        if e[1] == 0x4000:\n            _walk(p)\n        else:\n            print(p, _crc(p))\ntry:\n    _walk(${py(dir)})\nexcept OSError:\n    pass`,
      dir,
    );
    const m = new Map<string, string | null>();
    for (const line of out.split(/\r?\n/)) {
      const i = line.lastIndexOf(" ");
      if (i > 0) m.set(line.slice(0, i), line.slice(i + 1) === "None" ? null : line.slice(i + 1));
    }
    return m;
  }

  /** Write `data` to `path` through a verified temporary file. */
  async put(path: string, data: Uint8Array, opts: PutOptions = {}): Promise<PutResult> {
    const caps = await this.capabilities();
    const tmp = path + ".fbtmp";
    const prelude = await this.prelude();
    await this.run(`${prelude}\n_f = open(${py(tmp)}, 'wb')\n_w = _f.write\n_d = _b.a2b_base64`, tmp);
    const useZ = opts.compress !== false && caps.inflate !== "none";
    // One exec carries this much source: a multiple of the device's raw-paste window.
    const execBudget = Math.max(1, this.repl.window ?? 128) * 64;
    let wire = 0;
    let sent = 0;
    let batch: string[] = [];
    let batchLen = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const src = batch.join("\n");
      batch = [];
      batchLen = 0;
      wire += src.length;
      await this.run(src, tmp);
      opts.progress?.(sent, data.length);
    };
    while (sent < data.length) {
      let line: string | undefined;
      let took = 0;
      if (useZ) {
        // Take as much raw data as compresses into one line; fall back to plain base64 otherwise.
        for (let raw = LINE_RAW * 8; raw >= LINE_RAW * 2 && line === undefined; raw >>= 1) {
          const block = data.subarray(sent, sent + raw);
          const z = deflateRawSync(block, { windowBits: WBITS, level: 9 });
          if (z.length <= LINE_RAW && z.length < block.length * 0.9) {
            line = `_w(_z(_d(b'${z.toString("base64")}')))`;
            took = block.length;
          }
        }
      }
      if (line === undefined) {
        const block = data.subarray(sent, sent + LINE_RAW);
        line = `_w(_d(b'${Buffer.from(block).toString("base64")}'))`;
        took = block.length;
      }
      if (batchLen + line.length > execBudget) await flush();
      batch.push(line);
      batchLen += line.length + 1;
      sent += took;
    }
    await flush();
    const crc = deviceCrc32(data);
    const check = (await this.run(`_f.close()\nprint(os.stat(${py(tmp)})[6], _crc(${py(tmp)}))`, tmp)).trim();
    if (check !== `${data.length} ${crc ?? "None"}`) {
      await this.run(`import os\nos.remove(${py(tmp)})`, tmp);
      throw new FlashbakError(
        "DEVICE_CORRUPT_TRANSFER",
        `${path}: wrote ${data.length} bytes with CRC ${crc}, the device has "${check}"`,
        {
          hint: "the serial line dropped or damaged bytes; the old file is untouched; retry, or lower the baud rate",
        },
      );
    }
    await this.run(
      `import os\ntry:\n    os.rename(${py(tmp)}, ${py(path)})\nexcept OSError:\n    os.remove(${py(path)})\n    os.rename(${py(tmp)}, ${py(path)})`,
      path,
    );
    const checksumUpdated =
      opts.updateChecksum !== false && path.startsWith("/usr/")
        ? await this.updateChecksum(path, crc)
        : false;
    return { path, bytes: data.length, crc32: crc, wireBytes: wire, checksumUpdated };
  }

  /** Rewrite the entry of `path` in /usr/checksum.json, if it has one. True when it did. */
  private async updateChecksum(path: string, crc: string | null): Promise<boolean> {
    if (crc === null) return false;
    const out = await this.run(
      [
        "import json",
        "try:",
        "    with open('/usr/checksum.json') as f:",
        "        _l = json.loads(f.read())",
        "except (OSError, ValueError):",
        "    _l = []",
        `_n = ${py(path.toLowerCase())}`,
        "_hit = [e for e in _l if e.get('name', '').lower() == _n]",
        "for e in _hit:",
        `    e['crc32'] = ${py(crc)}`,
        "if _hit:",
        "    with open('/usr/checksum.json', 'w') as f:",
        "        f.write(json.dumps(_l))",
        "print(len(_hit))",
      ].join("\n"),
      "/usr/checksum.json",
    );
    return out.trim() !== "0";
  }
}
