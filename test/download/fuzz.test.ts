/**
 * Garbage in: random commands with random payloads, and random bytes, must never crash the
 * loader (only a power cut may escape `receive`), and it must still answer SYNC afterwards.
 */
import { describe, expect, it } from "vitest";
import { DownloadMode } from "../../firmware-sim/download/download-mode.js";
import { checksum, encodeCommand, Op, SYNC_PAYLOAD, words } from "../../firmware-sim/download/protocol.js";
import { SlipDecoder, slipEncode } from "../../firmware-sim/download/slip.js";
import { chips, withSize } from "../../firmware-sim/flash/chips.js";
import { Rng } from "../../firmware-sim/flash/faults.js";
import { NorFlash } from "../../firmware-sim/flash/nor-flash.js";
import { FLASHBAK_STUB } from "../../tools/flasher/stub-image.js";

const OPS = Object.values(Op);

describe("loader fuzz", () => {
  it.each([1, 2, 3, 4, 5, 6])("survives 400 random commands (seed %i)", (seed) => {
    const rng = new Rng(seed);
    const out: Uint8Array[] = [];
    const flash = new NorFlash({ chip: withSize(chips.w25q32!, 256 * 1024) });
    const loader = new DownloadMode({ flash, tx: { send: (d) => out.push(d) } });
    loader.enter();
    if (seed % 2 === 0) {
      loader.receive(slipEncode(encodeCommand(Op.MEM_END, words(0, FLASHBAK_STUB.entry))));
      expect(loader.state).toBe("stub");
    }
    for (let i = 0; i < 400; i++) {
      if (!loader.active) loader.enter();
      const op = rng.below(5) === 0 ? rng.byte() : OPS[rng.below(OPS.length)]!;
      // Small numbers make more commands plausible (offsets, sizes, sequence numbers).
      const n = rng.below(6) * 4 + (rng.below(4) === 0 ? rng.below(40) : 0);
      const data = new Uint8Array(n);
      for (let k = 0; k < n; k++) data[k] = rng.below(3) === 0 ? rng.byte() : k % 4 === 0 ? rng.below(16) : 0;
      if (op === Op.ERASE_FLASH) continue; // 40 s of chip erase per hit: covered elsewhere
      const frame =
        rng.below(10) === 0
          ? Uint8Array.from({ length: rng.below(30) }, () => rng.byte())
          : slipEncode(encodeCommand(op, data, checksum(data.subarray(16))));
      loader.receive(frame);
    }
    if (!loader.active) loader.enter();
    // Close any frame the garbage left open, then the loader must still answer.
    loader.receive(Uint8Array.of(0xc0));
    out.length = 0;
    loader.receive(slipEncode(encodeCommand(Op.SYNC, SYNC_PAYLOAD)));
    const replies = out
      .flatMap((d) => new SlipDecoder().push(d))
      .filter((p) => p[0] === 1 && p[1] === Op.SYNC);
    expect(replies.length).toBe(8);
  });
});
