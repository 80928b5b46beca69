/**
 * Token identity (issue 11, Build item 8): malleated strings of one token share an identity, any
 * other token gets another, and the identity is exactly the documented digest (docs/tokens.md).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ActiveCertificate } from "../../../../core/certificate/active-certificate.js";
import { buildRtmToken, parseToken, tokenIdentity, TOKEN_IDENTITY_HEX_LENGTH, verifyToken, type ParsedToken } from "../../../../core/token/index.js";
import { tokenIdentityInto } from "../../../../core/token/token-identity.js";
import { malleatedVariants, payload007, content006 } from "../../../chaos/support/token-variants.js";

interface Vector {
  readonly name: string;
  readonly appId: string;
  readonly activeCertificates: string[];
  readonly uid: string;
  readonly now: number;
  readonly token: string;
  readonly version: "006" | "007" | null;
  readonly expect: { valid: boolean };
}
const VECTORS = JSON.parse(readFileSync(new URL("../../../conformance/vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];
const VALID = VECTORS.filter((v) => v.expect.valid);

const certs = (values: readonly string[]): ActiveCertificate[] => values.map((value, i) => ({ slot: i === 0 ? "primary" : "secondary", value }));

function parsed(token: string): ParsedToken {
  const r = parseToken(token);
  if (!r.ok) throw new Error(`does not parse: ${r.detail}`);
  return r.token;
}

function verifyAs(v: Vector, token: string) {
  return verifyToken({ token, appId: v.appId, uid: v.uid, certificates: certs(v.activeCertificates), now: v.now });
}

describe("tokenIdentity", () => {
  it("is 32 lowercase hex characters, never a piece of the token", () => {
    for (const v of VALID) {
      const id = tokenIdentity(parsed(v.token));
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id).toHaveLength(TOKEN_IDENTITY_HEX_LENGTH);
      expect(v.token).not.toContain(id);
      expect(v.token.toLowerCase()).not.toContain(id.slice(0, 12));
    }
  });

  it("is the first 16 bytes of SHA-256 over the domain, the version, the signature and the MACed bytes", () => {
    const domain = Buffer.from("rtm-auth-gateway token identity v1\0", "latin1");
    const v006 = VALID.find((v) => v.name === "006-rtm-basic")!;
    const c = content006(v006.token);
    const m = c.subarray(44); // u16 sig len, 32 sig, 2×u32 CRC, u16 m len
    const want006 = createHash("sha256")
      .update(Buffer.concat([domain, Buffer.from("006"), Buffer.from(v006.appId), c.subarray(2, 34), m]))
      .digest("hex")
      .slice(0, 32);
    expect(tokenIdentity(parsed(v006.token))).toBe(want006);

    const v007 = VALID.find((v) => v.name === "007-rtm-basic")!;
    const p = payload007(v007.token);
    const want007 = createHash("sha256")
      .update(Buffer.concat([domain, Buffer.from("007"), p.subarray(2, 34), p.subarray(34)]))
      .digest("hex")
      .slice(0, 32);
    expect(tokenIdentity(parsed(v007.token))).toBe(want007);
  });

  // tokenIdentityBytes joins its input in one reused buffer: a long token's bytes left in it must
  // not reach a shorter token's identity.
  it("does not depend on the tokens hashed before it", () => {
    const fresh = VALID.map((v) => tokenIdentity(parsed(v.token)));
    const long = buildRtmToken({ version: "007", appId: VALID[0]!.appId, certificate: "c".repeat(32), uid: "u".repeat(255), expireSeconds: 60, issueTs: 1_700_000_000, salt: 1 });
    for (let i = VALID.length - 1; i >= 0; i--) {
      tokenIdentity(parsed(long));
      expect(tokenIdentity(parsed(VALID[i]!.token)), VALID[i]!.name).toBe(fresh[i]);
    }
  });

  it("tokenIdentityInto writes the identity's 16 bytes at the offset and nothing around them", () => {
    for (const v of VALID) {
      const out = new Uint8Array(40).fill(0xee);
      tokenIdentityInto(parsed(v.token), out, 11);
      expect(Buffer.from(out.subarray(11, 27)).toString("hex"), v.name).toBe(tokenIdentity(parsed(v.token)));
      expect([...out.subarray(0, 11), ...out.subarray(27)].every((b) => b === 0xee)).toBe(true);
    }
  });

  describe.each(VALID.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const variants = malleatedVariants(v.token);
    const original = verifyAs(v, v.token);

    it("has malleated variants (006: CRC fields; 007: zlib/deflate encoding)", () => {
      expect(original.valid).toBe(true);
      expect(variants.length).toBeGreaterThanOrEqual(v.version === "006" ? 4 : 12);
    });

    it.each(variants.map((m) => [m.label, m.token] as const))("%s: verifies, same identity", (_label, token) => {
      expect(token).not.toBe(v.token);
      const r = verifyAs(v, token);
      expect(r).toMatchObject({ valid: true, token: { expiresAt: original.valid ? original.token.expiresAt : -1 } });
      expect(tokenIdentity(r.parsed!)).toBe(tokenIdentity(original.parsed!));
    });
  });

  it("differs between tokens that differ in anything signed (salt, uid, certificate, expiry, version)", () => {
    const base = { appId: "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3", certificate: "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", uid: "alice", expireSeconds: 3600, issueTs: 1_718_000_000, salt: 7 };
    const ids = new Set<string>();
    for (const version of ["006", "007"] as const) {
      for (const over of [{}, { salt: 8 }, { uid: "bob" }, { certificate: "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4" }, { expireSeconds: 3601 }, { issueTs: 1_718_000_001 }]) {
        ids.add(tokenIdentity(parsed(buildRtmToken({ ...base, ...over, version }))));
      }
    }
    expect(ids.size).toBe(12);
  });

  it("006: the account is bound through the signature (same m, other uid → other identity)", () => {
    const input = { version: "006", appId: "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3", certificate: "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", expireSeconds: 3600, issueTs: 1_718_000_000, salt: 7 } as const;
    const a = parsed(buildRtmToken({ ...input, uid: "alice" }));
    const b = parsed(buildRtmToken({ ...input, uid: "bob" }));
    if (a.version !== "006" || b.version !== "006") throw new Error("expected 006");
    expect(a.message.equals(b.message)).toBe(true);
    expect(tokenIdentity(a)).not.toBe(tokenIdentity(b));
  });

  it("is defined for a decoded token that does not verify (a forged signature keeps its own identity)", () => {
    const v = VALID.find((x) => x.name === "007-rtm-basic")!;
    const other = VECTORS.find((x) => x.name === "007-rtm-other-certificate")!;
    const r = verifyAs(v, other.token);
    expect(r.valid).toBe(false);
    expect(r.parsed).not.toBeNull();
    expect(tokenIdentity(r.parsed!)).not.toBe(tokenIdentity(parsed(v.token)));
  });
});
