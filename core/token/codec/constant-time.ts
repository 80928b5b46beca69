/**
 * Compares two MACs in constant time with respect to their content: every byte pair is XORed into
 * one accumulator, with no branch and no early exit on a difference, so the time depends on the
 * length alone. Unequal lengths return false at once: lengths are public (a 006/007 signature is
 * always 32 bytes).
 *
 * The loop stays in JavaScript rather than calling `crypto.timingSafeEqual`, which does the same
 * work: for 32 bytes the call into native code costs more than the loop, and this runs for every
 * certificate tried on every login.
 */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * {@link macEquals} for a MAC held as a latin1 string, one character per byte (what
 * `digest("binary")` returns: "binary" is Node's name for latin1), against `expected`'s bytes: the
 * same constant-time loop. The verify paths read their MACs this way because a digest returned as
 * a Buffer costs a native allocation of its own, and a latin1 string does not (`npm run
 * bench:verify` prints what the 006 floor's digest Buffer costs).
 */
export function macEqualsLatin1(mac: string, expected: Uint8Array): boolean {
  const n = mac.length;
  if (n !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= mac.charCodeAt(i) ^ (expected[i] as number);
  return diff === 0;
}
