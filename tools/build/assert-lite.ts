/**
 * What yargs' Node shim takes from `assert` (strictEqual and notStrictEqual, for yargs' own
 * invariants), for the bundle: loading node:assert (its AssertionError, diff and colour support)
 * cost every `flashbak` start about 3 ms, for checks that never fail. Same comparison as Node's
 * (Object.is); a failure throws an Error with the message given, as Node's would.
 */

export function strictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new Error(
      message ?? `Expected values to be strictly equal: ${String(actual)} !== ${String(expected)}`,
    );
  }
}

export function notStrictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (Object.is(actual, expected)) {
    throw new Error(message ?? `Expected "actual" to be strictly unequal to: ${String(expected)}`);
  }
}
