/**
 * The 007 key chain (docs/tokens.md, "The 007 format") with its k1 memo: the MAC always equals the
 * chain computed from scratch, whatever the order of certificates and issue times, past the memo's
 * bound too, and the memo never holds more than K1_MEMO_SIZE entries' worth of different answers.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seededRandom as prng } from "../../../../../client/load/rng.js";
import { K1_MEMO_SIZE, mac007, signingKey007 } from "../../../../../core/token/v007/mac.js";

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}
/** The chain from scratch, as docs/tokens.md writes it. */
function reference(certificate: string, issueTs: number, salt: number, info: Buffer): Buffer {
  const k1 = createHmac("sha256", u32le(issueTs)).update(certificate, "latin1").digest();
  const k2 = createHmac("sha256", u32le(salt)).update(k1).digest();
  return createHmac("sha256", k2).update(info).digest();
}


describe("mac007 and its k1 memo", () => {
  it("equals the chain from scratch for repeated, interleaved and evicted (certificate, issueTs) pairs", () => {
    const rand = prng(13);
    const certs = Array.from({ length: 5 }, (_, i) => `${String(i).repeat(8)}c0ffee00000000000000c0de`.slice(0, 32));
    // More distinct pairs than the memo holds, drawn with repeats, so hits, misses and evictions all happen.
    const times = Array.from({ length: K1_MEMO_SIZE + 3 }, (_, i) => 1_718_000_000 + i);
    let mismatches = 0;
    for (let i = 0; i < 3000; i++) {
      const cert = certs[Math.floor(rand() * certs.length)] as string;
      const ts = times[Math.floor(rand() * times.length)] as number;
      const salt = Math.floor(rand() * 2 ** 32);
      const info = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      if (!mac007(cert, ts, salt, info).equals(reference(cert, ts, salt, info))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("keeps the certificate apart: the same issue second under another certificate is another key", () => {
    const a = signingKey007("a".repeat(32), 1_718_000_000, 7);
    const b = signingKey007("b".repeat(32), 1_718_000_000, 7);
    const a2 = signingKey007("a".repeat(32), 1_718_000_000, 7);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(a2)).toBe(true);
    // issueTs 0 and the u32 wrap are keys like any other.
    expect(mac007("a".repeat(32), 0, 0, Buffer.from("x")).equals(reference("a".repeat(32), 0, 0, Buffer.from("x")))).toBe(true);
    expect(mac007("a".repeat(32), 2 ** 32 - 1, 1, Buffer.from("x")).equals(reference("a".repeat(32), 2 ** 32 - 1, 1, Buffer.from("x")))).toBe(true);
  });

  it("a returned signing key is the caller's own: altering it does not change later MACs", () => {
    const cert = "d".repeat(32);
    const key = signingKey007(cert, 1_718_000_123, 1);
    key.fill(0);
    expect(mac007(cert, 1_718_000_123, 1, Buffer.from("info")).equals(reference(cert, 1_718_000_123, 1, Buffer.from("info")))).toBe(true);
  });
});
