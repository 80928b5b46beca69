/** The admin API's random sources: node:crypto's CSPRNG (App IDs, certificates, token salts). */
import { randomBytes, randomInt } from "node:crypto";

/** `bytes` random bytes as lowercase hex. */
export function cryptoRandomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** A random token salt in 1..2^32-1. */
export function cryptoRandomSalt(): number {
  // randomInt's range is limited to 2^48; the upper bound is exclusive.
  return randomInt(1, 0x1_0000_0000);
}
