import { createHmac } from "node:crypto";

/** The 4-byte HMAC key of {@link u32le}, reused: `createHmac` copies its key before returning. */
const u32Key = Buffer.allocUnsafeSlow(4);

/** `n` as a u32 little-endian, in a buffer the next call overwrites (use it as an HMAC key at once). */
function u32le(n: number): Buffer {
  u32Key.writeUInt32LE(n >>> 0, 0);
  return u32Key;
}

/** How many (certificate, issueTs) → k1 results {@link signingKey007} keeps: a fixed bound. */
export const K1_MEMO_SIZE = 8;

interface K1Entry {
  certificate: string;
  issueTs: number;
  k1: Buffer;
}
/** The last K1_MEMO_SIZE k1 values, replaced round-robin. */
const k1Memo: K1Entry[] = [];
let k1Next = 0;

/**
 * k1 = HMAC(u32le(issueTs), certificate), remembered for the last {@link K1_MEMO_SIZE} pairs.
 * `issueTs` is in seconds, so every token minted in the same second for the same certificate shares
 * its k1: under a load test, most 007 logins then cost two HMACs instead of three. The memo is a
 * pure function's cache (same inputs, same bytes), holds key material no more secret than the
 * certificates the gateway already holds, and a hit only says that a token of the same issue
 * second was verified lately, which the issue time in every token makes public anyway.
 */
function k1Of(certificate: string, issueTs: number): Buffer {
  for (let i = 0; i < k1Memo.length; i++) {
    const e = k1Memo[i] as K1Entry;
    if (e.issueTs === issueTs && e.certificate === certificate) return e.k1;
  }
  const k1 = createHmac("sha256", u32le(issueTs)).update(certificate, "latin1").digest();
  const entry = { certificate, issueTs, k1 };
  if (k1Memo.length < K1_MEMO_SIZE) k1Memo.push(entry);
  else k1Memo[k1Next] = entry;
  k1Next = (k1Next + 1) % K1_MEMO_SIZE;
  return k1;
}

/**
 * The 007 signing key: k1 = HMAC(u32le(issueTs), certificate), k2 = HMAC(u32le(salt), k1).
 * The timestamp and the salt are the HMAC keys (docs/tokens.md, "The 007 format"). k1 comes from a
 * small memo when the same certificate and issue second were seen lately ({@link k1Of}).
 */
export function signingKey007(certificate: string, issueTs: number, salt: number): Buffer {
  return Buffer.from(signingKey007Latin1(certificate, issueTs, salt), "latin1");
}

/** {@link signingKey007} as a latin1 string, one character per byte (no Buffer of its own). */
function signingKey007Latin1(certificate: string, issueTs: number, salt: number): string {
  const k1 = k1Of(certificate, issueTs);
  return createHmac("sha256", u32le(salt)).update(k1).digest("binary");
}

/** The 32-byte HMAC key of {@link mac007Latin1}, reused: `createHmac` copies its key before returning. */
const k2Key = Buffer.allocUnsafeSlow(32);

/** The 007 MAC over the exact signing_info bytes. */
export function mac007(certificate: string, issueTs: number, salt: number, signingInfo: Buffer): Buffer {
  return Buffer.from(mac007Latin1(certificate, issueTs, salt, signingInfo), "latin1");
}

/**
 * {@link mac007} as a latin1 string, one character per byte: what the verifier compares
 * ({@link macEqualsLatin1}). Each HMAC's result is read with `digest("binary")`, which makes no
 * Buffer (a native allocation of its own, about half a microsecond each here); k2 goes through one
 * reused key buffer.
 */
export function mac007Latin1(certificate: string, issueTs: number, salt: number, signingInfo: Uint8Array): string {
  k2Key.write(signingKey007Latin1(certificate, issueTs, salt), 0, 32, "latin1");
  return createHmac("sha256", k2Key).update(signingInfo).digest("binary");
}
