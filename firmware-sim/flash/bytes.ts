/**
 * Byte copies and comparisons on the hot paths of the block-device and littlefs layers.
 *
 * littlefs moves and checks most bytes in pieces of 4 to 512 bytes, hundreds of thousands of
 * times per image (a 1000-file pack: 150,000 programs, each checked erased, read back and
 * compared, and 700,000 metadata reads). In Node 20's V8 a loop over a typed array costs about
 * 25 instructions per element, and `dst.set(src.subarray(..))` allocates a view per call (a
 * view for every copy made 182 MB of garbage per pack). So:
 * - when both sides are 4-byte aligned, the loops run over Int32Array views of the whole
 *   buffers, a quarter of the steps (the views are made once per buffer, see wordsOf);
 * - otherwise short pieces loop over bytes and long copies use `set` over a view.
 * Counted with callgrind over the 1000-file pack (node --single-threaded), the word steps took
 * the pack from 4.80 G to 4.49 G instructions.
 */

/** Unaligned copies up to this many bytes loop; longer ones use `set` over a view. */
const LOOP_MAX = 16;
/**
 * Aligned pieces shorter than this are not worth finding the word views for: a commit's 8-byte
 * tags come from fresh small arrays, each a word-view miss (3 ms of a cold `fs mkfs`).
 */
const WORDS_MIN = 16;
/** Copies this long or longer use `set` over a view: a native copy beats any loop (4 KiB blocks). */
const SET_MIN = 1024;

/**
 * Int32Array views over the whole buffers of the last few arrays used: a copy or a comparison
 * touches two of the device memory, a cache line and the caller's data, again and again. Keyed
 * by the array itself, because reading `.buffer` is a call into the runtime (about 300
 * instructions) while comparing references is nearly free. The remembered arrays stay
 * reachable until WORD_VIEWS others have been used. Buffers are assumed fixed in size (a view
 * of a resizable ArrayBuffer would go stale; nothing in flashbak makes one).
 */
const WORD_VIEWS = 8;
const viewKeys: (Uint8Array | null)[] = new Array<Uint8Array | null>(WORD_VIEWS).fill(null);
const viewWords: Int32Array[] = new Array<Int32Array>(WORD_VIEWS).fill(new Int32Array(0));
/** viewBase[i]: viewKeys[i].byteOffset, remembered: reading it is a call on a cold path. */
const viewBase = new Int32Array(WORD_VIEWS);
let nextView = 0;

/**
 * The slot each argument of each function found last time: calls come in runs with the same
 * arrays (a device read copies from its pool into the read cache thousands of times in a row),
 * and a hit here is one comparison instead of a scan.
 */
let copyDst = 0;
let copySrc = 0;
let diffA = 0;
let diffB = 0;
let notEqualA = 0;

/** The slot of `a` among the remembered word views, made on a miss. */
function viewSlot(a: Uint8Array): number {
  for (let i = 0; i < WORD_VIEWS; i++) if (viewKeys[i] === a) return i;
  const buffer = a.buffer;
  const slot = nextView;
  viewKeys[slot] = a;
  viewWords[slot] = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  viewBase[slot] = a.byteOffset;
  nextView = (slot + 1) % WORD_VIEWS;
  return slot;
}

/** Copy `len` bytes from src[srcOff..] to dst[dstOff..]. The ranges must not overlap. */
export function copyBytes(
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
): void {
  if (len >= SET_MIN) {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
    return;
  }
  if (len >= WORDS_MIN && ((dstOff | srcOff | len) & 3) === 0) {
    // read each slot before looking up the next: a miss may take the slot just found
    let ds = copyDst;
    if (viewKeys[ds] !== dst) copyDst = ds = viewSlot(dst);
    const db = viewBase[ds]! + dstOff;
    const d = viewWords[ds]!;
    let ss = copySrc;
    if (viewKeys[ss] !== src) copySrc = ss = viewSlot(src);
    const sb = viewBase[ss]! + srcOff;
    const s = viewWords[ss]!;
    if (((db | sb) & 3) === 0) {
      const di = db >>> 2;
      const si = sb >>> 2;
      const n = len >>> 2;
      for (let k = 0; k < n; k++) d[di + k] = s[si + k]!;
      return;
    }
  }
  if (len <= LOOP_MAX) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}

/** The index (0..len-1) of the first byte where a[aOff..] and b[bOff..] differ, or -1. */
export function firstDifference(
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  len: number,
): number {
  let k = 0;
  if (len >= WORDS_MIN && ((aOff | bOff | len) & 3) === 0) {
    let as = diffA;
    if (viewKeys[as] !== a) diffA = as = viewSlot(a);
    const ab = viewBase[as]! + aOff;
    const aw = viewWords[as]!;
    let bs = diffB;
    if (viewKeys[bs] !== b) diffB = bs = viewSlot(b);
    const bb = viewBase[bs]! + bOff;
    const bw = viewWords[bs]!;
    if (((ab | bb) & 3) === 0) {
      const ai = ab >>> 2;
      const bi = bb >>> 2;
      const n = len >>> 2;
      let w = 0;
      while (w < n && aw[ai + w] === bw[bi + w]) w++;
      if (w === n) return -1;
      k = w * 4; // the difference is in this word: find its byte below
    }
  }
  for (; k < len; k++) if (a[aOff + k] !== b[bOff + k]) return k;
  return -1;
}

/** The index (0..len-1) of the first byte of a[off..] that is not `value`, or -1. */
export function firstNotEqual(a: Uint8Array, off: number, len: number, value: number): number {
  let k = 0;
  let as = -1;
  if (len >= WORDS_MIN && ((off | len) & 3) === 0) {
    as = notEqualA;
    if (viewKeys[as] !== a) notEqualA = as = viewSlot(a);
  }
  if (as >= 0 && ((viewBase[as]! + off) & 3) === 0) {
    const aw = viewWords[as]!;
    const ai = (viewBase[as]! + off) >>> 2;
    const n = len >>> 2;
    const word = (value & 0xff) * 0x01010101;
    const want = word | 0; // as an Int32Array element reads
    let w = 0;
    while (w < n && aw[ai + w] === want) w++;
    if (w === n) return -1;
    k = w * 4;
  }
  for (; k < len; k++) if (a[off + k] !== value) return k;
  return -1;
}
