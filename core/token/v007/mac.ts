import { createHmac } from "node:crypto";

function u32le(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/**
 * The 007 signing key: k1 = HMAC(u32le(issueTs), certificate), k2 = HMAC(u32le(salt), k1).
 * The timestamp and the salt are the HMAC keys (docs/tokens.md, "The 007 format").
 */
export function signingKey007(certificate: string, issueTs: number, salt: number): Buffer {
  const k1 = createHmac("sha256", u32le(issueTs)).update(certificate, "latin1").digest();
  return createHmac("sha256", u32le(salt)).update(k1).digest();
}

/** The 007 MAC over the exact signing_info bytes. */
export function mac007(certificate: string, issueTs: number, salt: number, signingInfo: Buffer): Buffer {
  return createHmac("sha256", signingKey007(certificate, issueTs, salt)).update(signingInfo).digest();
}
