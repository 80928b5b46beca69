import { timingSafeEqual } from "node:crypto";

/**
 * Compares two MACs in constant time with respect to their content. Unequal lengths return
 * false at once: lengths are public (a 006/007 signature is always 32 bytes).
 */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
