/**
 * Strict standard base64 (docs/tokens.md, "Strict base64"): alphabet `A–Z a–z 0–9 + /`, `=` padding only
 * at the end (at most two), length a multiple of 4, and zero pad bits, so that decoding then
 * re-encoding gives back the identical string. URL-safe characters, whitespace and missing
 * padding are refused. The check is one pass over the string with a lookup table, which is
 * cheaper than the decode + re-encode comparison it is equivalent to; the parsers use
 * {@link decodeCanonicalBase64}, which validates and decodes in that same single pass.
 */

// 0..63 for alphabet characters, 64 for '=', 255 for anything else.
const TABLE = new Uint8Array(128).fill(255);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
for (let i = 0; i < ALPHABET.length; i++) TABLE[ALPHABET.charCodeAt(i)] = i;
const EQUALS = "=".charCodeAt(0);
TABLE[EQUALS] = 64;

/** The value of one character, or 255. */
function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? (TABLE[c] as number) : 255;
}

/**
 * True when `s.slice(start)` is canonical standard base64. An empty body is canonical (it
 * decodes to zero bytes; the parser then refuses it as truncated).
 */
export function isCanonicalBase64(s: string, start = 0): boolean {
  const n = s.length - start;
  if (n % 4 !== 0) return false;
  if (n === 0) return true;
  const end = s.length;
  let pad = 0;
  if (sextet(s, end - 1) === 64) pad = sextet(s, end - 2) === 64 ? 2 : 1;
  const dataEnd = end - pad;
  for (let i = start; i < dataEnd; i++) {
    if (sextet(s, i) > 63) return false;
  }
  if (pad === 0) return true;
  // The last data character carries bits that fall beyond the decoded bytes; they must be 0.
  const last = sextet(s, dataEnd - 1);
  return pad === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/**
 * Validates and decodes in one pass: the bytes of `s.slice(start)` when it is canonical standard
 * base64 (exactly the strings {@link isCanonicalBase64} accepts), otherwise null. This is the
 * verify path: one table lookup per character and no intermediate string, which is cheaper than
 * checking first and then calling the native decoder on a sliced copy of the token.
 */
export function decodeCanonicalBase64(s: string, start = 0): Buffer | null {
  const length = canonicalBase64Length(s, start);
  if (length < 0) return null;
  const out = Buffer.allocUnsafe(length);
  return decodeCanonicalBase64Into(s, start, out) ? out : null;
}

/**
 * How many bytes `s.slice(start)` decodes to if it is canonical base64: the length its padding
 * implies, or -1 when its length is not a multiple of 4 (the characters are checked by
 * {@link decodeCanonicalBase64Into}).
 */
export function canonicalBase64Length(s: string, start = 0): number {
  const n = s.length - start;
  if (n % 4 !== 0 || n < 0) return -1;
  if (n === 0) return 0;
  const end = s.length;
  const pad = s.charCodeAt(end - 1) !== EQUALS ? 0 : s.charCodeAt(end - 2) === EQUALS ? 2 : 1;
  return (n / 4) * 3 - pad;
}

/**
 * {@link decodeCanonicalBase64} into `out`, which the caller sized with
 * {@link canonicalBase64Length} (at least that many bytes; only those are written): true when
 * `s.slice(start)` is canonical, false otherwise (`out` then holds garbage). For a caller that needs
 * the bytes only while it runs and reuses one buffer (the 007 body, inflated at once).
 */
export function decodeCanonicalBase64Into(s: string, start: number, out: Uint8Array): boolean {
  const n = s.length - start;
  if (n % 4 !== 0 || n < 0) return false;
  if (n === 0) return true;
  const end = s.length;
  let pad = 0;
  if (s.charCodeAt(end - 1) === EQUALS) pad = s.charCodeAt(end - 2) === EQUALS ? 2 : 1;
  // Full quads: every character must be in the alphabet ('=' here is a misplaced pad).
  const fullEnd = pad === 0 ? end : end - 4;
  let o = 0;
  let bad = 0;
  for (let i = start; i < fullEnd; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2);
    const d = sextet(s, i + 3);
    bad |= a | b | c | d;
    out[o] = (a << 2) | (b >> 4);
    out[o + 1] = ((b & 0x0f) << 4) | (c >> 2);
    out[o + 2] = ((c & 0x03) << 6) | d;
    o += 3;
  }
  if (bad > 63) return false;
  if (pad === 0) return true;
  // The last quad: "xy==" or "xyz=", with zero pad bits (decode then re-encode is identical).
  const a = sextet(s, fullEnd);
  const b = sextet(s, fullEnd + 1);
  if (a > 63 || b > 63) return false;
  out[o] = (a << 2) | (b >> 4);
  if (pad === 2) return (b & 0x0f) === 0;
  const c = sextet(s, fullEnd + 2);
  if (c > 63 || (c & 0x03) !== 0) return false;
  out[o + 1] = ((b & 0x0f) << 4) | (c >> 2);
  return true;
}

/** Decodes canonical base64 (call {@link isCanonicalBase64} first). */
export function decodeBase64(s: string, start = 0): Buffer {
  return Buffer.from(start === 0 ? s : s.slice(start), "base64");
}
