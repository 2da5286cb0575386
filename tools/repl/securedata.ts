/**
 * SecureData over the raw REPL (reference section 2): `SecureData.Store(index, buf, len)`
 * returns 0 / -1 and `SecureData.Read(index, buf, len)` the length / -1 / -2. The data
 * crosses the line as base64, so 0x00 bytes survive.
 */
import { FlashbakError, UsageError } from "../../firmware-sim/errors.js";
import { secureDataCapacity } from "../../firmware-sim/runtime/services.js";
import type { RawRepl } from "./raw-repl.js";

const B =
  "try:\n    import ubinascii as _b\nexcept ImportError:\n    import binascii as _b\nimport SecureData";

function checkIndex(index: number): number {
  const cap = secureDataCapacity(index);
  if (cap === 0) throw new UsageError(`SecureData index ${index} is outside 1..16`);
  return cap;
}

export async function secureDataStore(repl: RawRepl, index: number, data: Uint8Array): Promise<void> {
  const cap = checkIndex(index);
  if (data.length > cap)
    throw new UsageError(`SecureData slot ${index} holds at most ${cap} bytes, got ${data.length}`);
  const b64 = Buffer.from(data).toString("base64");
  const out = (
    await repl.eval(
      `${B}\nd = bytearray(_b.a2b_base64(b'${b64}'))\nprint(SecureData.Store(${index}, d, len(d)))`,
    )
  ).trim();
  if (out !== "0") {
    throw new FlashbakError("SECUREDATA_STORE", `SecureData.Store(${index}) returned ${out}`, {
      hint: "the module refused the data: check the index and size, and that this module supports SecureData",
    });
  }
}

export async function secureDataRead(repl: RawRepl, index: number): Promise<Uint8Array> {
  const cap = checkIndex(index);
  const out = await repl.eval(
    `${B}\nd = bytearray(${cap})\nn = SecureData.Read(${index}, d, ${cap})\nprint(n)\nif n > 0:\n    print(_b.b2a_base64(d[:n]).decode().strip())`,
  );
  const [first, second] = out.split(/\r?\n/);
  const n = Number(first);
  if (n === -2) {
    throw new FlashbakError("SECUREDATA_NOT_FOUND", `SecureData slot ${index} was never stored`, {
      hint: "neither the record nor its backup copy exists on this module",
    });
  }
  if (!(n >= 0))
    throw new FlashbakError("SECUREDATA_READ", `SecureData.Read(${index}) returned ${first ?? "nothing"}`);
  const data = new Uint8Array(Buffer.from(second ?? "", "base64"));
  if (data.length !== n)
    throw new FlashbakError(
      "SECUREDATA_READ",
      `SecureData.Read(${index}) said ${n} bytes, got ${data.length}`,
    );
  return data;
}
