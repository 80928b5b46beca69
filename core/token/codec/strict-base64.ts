/**
 * Strict standard base64 (token-formats.md §4.2): alphabet `A–Z a–z 0–9 + /`, `=` padding only
 * at the end (at most two), length a multiple of 4, and zero pad bits, so that decoding then
 * re-encoding gives back the identical string. URL-safe characters, whitespace and missing
 * padding are refused. The check is one pass over the string with a lookup table, which is
 * cheaper than the decode + re-encode comparison it is equivalent to.
 */

// 0..63 for alphabet characters, 64 for '=', 255 for anything else.
const TABLE = new Uint8Array(128).fill(255);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
for (let i = 0; i < ALPHABET.length; i++) TABLE[ALPHABET.charCodeAt(i)] = i;
TABLE["=".charCodeAt(0)] = 64;

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

/** Decodes canonical base64 (call {@link isCanonicalBase64} first). */
export function decodeBase64(s: string, start = 0): Buffer {
  return Buffer.from(start === 0 ? s : s.slice(start), "base64");
}
