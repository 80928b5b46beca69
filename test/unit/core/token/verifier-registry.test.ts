import { describe, expect, it } from "vitest";
import { TOKEN_REASONS } from "../../../../core/errors.js";
import { DEFAULT_TOKEN_LIMITS, TOKEN_VERSIONS, parseToken, verifierFor, verifyToken, type VerifyResult } from "../../../../core/token/index.js";
import { APP_ID, CERT, ISSUE_TS, OTHER_CERT, certs, craft006, craft007, noise, rtcService, rtmService } from "./token-fixtures.js";

const OTHER_APP_ID = "ffffffffffffffffffffffffffffffff";

function verify(token: string, o: { uid?: string; now?: number; appId?: string; certificates?: string[] } = {}): VerifyResult {
  return verifyToken({ token, appId: o.appId ?? APP_ID, uid: o.uid ?? "alice", certificates: certs(...(o.certificates ?? [CERT])), now: o.now ?? ISSUE_TS });
}
const outcome = (r: VerifyResult): string => (r.valid ? "valid" : r.reason);

/** A valid 007 token of exactly `length` characters (trailing noise in signing_info). */
const byLength = new Map<number, string>();
function token007OfLength(length: number): string {
  const cached = byLength.get(length);
  if (cached !== undefined) return cached;
  // Noise does not compress: the token grows by ~4/3 character per byte; start just below.
  for (let n = Math.max(0, Math.floor(((length - 3) * 3) / 4) - 140); n < 2000; n++) {
    const token = craft007({ trailing: noise(n) });
    if (token.length === length) {
      byLength.set(length, token);
      return token;
    }
    if (token.length > length) break;
  }
  throw new Error(`no 007 token of length ${length}`);
}

describe("verifyToken: pre-checks (§4.1)", () => {
  it("the limits are 2048 characters and 8192 inflated bytes", () => {
    expect(DEFAULT_TOKEN_LIMITS).toEqual({ maxTokenLength: 2048, maxInflatedBytes: 8192 });
  });

  it("a valid token of 2047 characters (the longest a 007 can be: 3 + 4k) verifies", () => {
    const token = token007OfLength(2047);
    expect(token.length).toBe(2047);
    expect(outcome(verify(token))).toBe("valid");
  });

  it("2048 characters pass the length check (and fail later, at base64); 2049 do not", () => {
    const at = verify(`007${"A".repeat(2045)}`);
    const over = verify(`007${"A".repeat(2046)}`);
    expect(at.valid ? null : { reason: at.reason, detail: at.detail }).toEqual({ reason: "malformed", detail: "007 body is not canonical base64" });
    expect(over.valid ? null : { reason: over.reason, detail: over.detail }).toEqual({ reason: "malformed", detail: "token length 2049 outside 3..2048" });
    expect(parseToken(`007${"A".repeat(2045)}`)).toEqual({ ok: false, reason: "malformed", detail: "007 body is not canonical base64" });
    expect(parseToken(`007${"A".repeat(2046)}`)).toEqual({ ok: false, reason: "malformed", detail: "token length out of range" });
  });

  it("the length limit comes from the request's limits, inclusively", () => {
    const token = token007OfLength(2047);
    const run = (maxTokenLength: number): string =>
      outcome(verifyToken({ token, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS, limits: { maxTokenLength, maxInflatedBytes: 8192 } }));
    expect([run(2047), run(2046)]).toEqual(["valid", "malformed"]);
  });

  const SHORT: ReadonlyArray<readonly [string, unknown, string]> = [
    ["empty string", "", "token length 0 outside 3..2048"],
    ["1 character", "0", "token length 1 outside 3..2048"],
    ["2 characters", "00", "token length 2 outside 3..2048"],
    ["undefined", undefined, "token is not a string"],
    ["null", null, "token is not a string"],
    ["a number", 7, "token is not a string"],
    ["a Buffer", Buffer.from(craft007()), "token is not a string"],
    ["an object with length", { length: 100, slice: () => "007" }, "token is not a string"],
  ];

  it.each(SHORT)("%s → malformed", (_name, token, detail) => {
    const r = verifyToken({ token: token as string, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS });
    expect(r).toEqual({ valid: false, reason: "malformed", detail, parsed: null });
  });

  const VERSIONS: ReadonlyArray<readonly [string, string, string]> = [
    ["3 characters of a known prefix", "006", "malformed"],
    ["'007' alone", "007", "malformed"],
    ["008", `008${craft007().slice(3)}`, "unsupported_version"],
    ["005", `005${craft006().slice(3)}`, "unsupported_version"],
    ["lower-level garbage", "abc", "unsupported_version"],
    ["a leading space", ` ${craft007()}`, "unsupported_version"],
    ["' 07'", " 07xxxx", "unsupported_version"],
  ];

  it.each(VERSIONS)("%s → %s", (_name, token, reason) => {
    expect(outcome(verify(token))).toBe(reason);
  });

  it("verifierFor picks by the 3-character prefix", () => {
    expect(TOKEN_VERSIONS).toEqual(["006", "007"]);
    expect([verifierFor(craft006())?.version, verifierFor(craft007())?.version, verifierFor("008abc"), verifierFor("")]).toEqual([
      "006",
      "007",
      undefined,
      undefined,
    ]);
  });
});

describe("verifyToken: check order when several things are wrong (§4)", () => {
  const expired = ISSUE_TS + 200_000;
  const CASES: ReadonlyArray<readonly [string, () => VerifyResult, string]> = [
    // malformed beats everything
    ["006 malformed + wrong App ID", () => verify(`${craft006({ appId: OTHER_APP_ID })}=`), "malformed"],
    ["007 malformed + expired", () => verify(`${craft007()}A`, { now: expired }), "malformed"],
    // app id before signature
    ["006 wrong App ID + bad signature", () => verify(craft006({ appId: OTHER_APP_ID, badSignature: true })), "app_id_mismatch"],
    ["007 wrong App ID + bad signature", () => verify(craft007({ appId: OTHER_APP_ID, badSignature: true })), "app_id_mismatch"],
    ["007 wrong App ID + wrong certificate + wrong uid + expired", () => verify(craft007({ appId: OTHER_APP_ID }), { certificates: [OTHER_CERT], uid: "bob", now: expired }), "app_id_mismatch"],
    ["006 App ID differs only in case", () => verify(craft006({ appId: APP_ID.toUpperCase() })), "app_id_mismatch"],
    ["007 App ID differs only in case", () => verify(craft007({ appId: APP_ID.toUpperCase() })), "app_id_mismatch"],
    // signature before the RTM grant
    ["006 bad signature + no privilege 1000", () => verify(craft006({ badSignature: true, privileges: [[1, 0]] })), "invalid_signature"],
    ["007 bad signature + RTC only", () => verify(craft007({ badSignature: true, services: [rtcService("room", "alice")] })), "invalid_signature"],
    ["006 wrong uid + expired (the MAC binds the uid)", () => verify(craft006(), { uid: "bob", now: expired }), "invalid_signature"],
    ["007 wrong uid + bad signature", () => verify(craft007({ badSignature: true }), { uid: "bob" }), "invalid_signature"],
    // RTM grant before uid and expiry
    ["006 RTC token for channel '' + uid 'alice', expired", () => verify(craft006({ channel: "", uid: "alice", privileges: [[1, 0], [2, 0]] }), { now: expired }), "not_rtm_token"],
    ["006 RTC token for 'al' + 'ice' (same MAC input)", () => verify(craft006({ channel: "al", uid: "ice", privileges: [[1, 0]] })), "not_rtm_token"],
    ["007 RTC only + expired + other uid", () => verify(craft007({ services: [rtcService("room", "bob")] }), { now: expired }), "not_rtm_token"],
    // uid before expiry
    ["007 wrong uid + token expired", () => verify(craft007(), { uid: "bob", now: expired }), "uid_mismatch"],
    ["007 wrong uid + privilege expired", () => verify(craft007({ expire: 100_000, services: [rtmService("alice", [[1, 10]])] }), { uid: "bob", now: ISSUE_TS + 11 }), "uid_mismatch"],
    // token expiry before privilege expiry
    ["006 token and privilege both expired", () => verify(craft006({ ts: ISSUE_TS + 10, privileges: [[1000, ISSUE_TS + 5]] }), { now: ISSUE_TS + 11 }), "token_expired"],
    ["007 token and privilege both expired", () => verify(craft007({ expire: 10, services: [rtmService("alice", [[1, 5]])] }), { now: ISSUE_TS + 11 }), "token_expired"],
  ];

  it.each(CASES)("%s → %s", (_name, run, reason) => {
    expect(outcome(run())).toBe(reason);
  });

  it("every reason the verifier can give is one of the token reasons, in check order", () => {
    expect(TOKEN_REASONS).toEqual(["malformed", "unsupported_version", "app_id_mismatch", "invalid_signature", "not_rtm_token", "uid_mismatch", "token_expired", "privilege_expired"]);
  });

  it("keeps the parsed token once parsing succeeded, and none before", () => {
    const a = verify(craft007(), { uid: "bob" });
    expect(a.valid ? null : { reason: a.reason, version: a.parsed?.version }).toEqual({ reason: "uid_mismatch", version: "007" });
    const b = verify(craft006(), { appId: OTHER_APP_ID });
    expect(b.valid ? null : { reason: b.reason, version: b.parsed?.version }).toEqual({ reason: "app_id_mismatch", version: "006" });
    const c = verify("007AAAA");
    expect(c.valid ? null : c.parsed).toBe(null);
  });
});

describe("verifyToken: expiry boundaries (§4.6: expired when now > expiry)", () => {
  const T = ISSUE_TS;
  const CASES: ReadonlyArray<readonly [string, string, number, string]> = [
    // 006: ts absolute, privilege absolute, 0 = no privilege limit
    ["006 privilege before ts: at the privilege second", craft006({ ts: T + 100, privileges: [[1000, T + 50]] }), T + 50, "valid"],
    ["006 privilege before ts: one second after", craft006({ ts: T + 100, privileges: [[1000, T + 50]] }), T + 51, "privilege_expired"],
    ["006 privilege after ts: at ts", craft006({ ts: T + 100, privileges: [[1000, T + 500]] }), T + 100, "valid"],
    ["006 privilege after ts: one second after ts", craft006({ ts: T + 100, privileges: [[1000, T + 500]] }), T + 101, "token_expired"],
    ["006 privilege equal to ts: one second after", craft006({ ts: T + 100, privileges: [[1000, T + 100]] }), T + 101, "token_expired"],
    ["006 privilege 0: at ts", craft006({ ts: T + 100, privileges: [[1000, 0]] }), T + 100, "valid"],
    ["006 privilege 0: one second after ts", craft006({ ts: T + 100, privileges: [[1000, 0]] }), T + 101, "token_expired"],
    ["006 privilege 0: long before ts (0 is not 'already expired')", craft006({ ts: T + 100, privileges: [[1000, 0]] }), 1, "valid"],
    ["006 ts 0: at second 0", craft006({ ts: 0, privileges: [[1000, 0]] }), 0, "valid"],
    ["006 ts 0: at second 1", craft006({ ts: 0, privileges: [[1000, 0]] }), 1, "token_expired"],
    ["006 a relative privilege value (3600) by mistake", craft006({ ts: T + 86_400, privileges: [[1000, 3600]] }), T, "privilege_expired"],
    ["006 max u32 ts and privilege", craft006({ ts: 0xffffffff, privileges: [[1000, 0xffffffff]] }), 0xffffffff, "valid"],
    // 007: issueTs + expire, issueTs + privilege, 0 = no privilege limit
    ["007 privilege before expire: at issueTs + privilege", craft007({ expire: 100, services: [rtmService("alice", [[1, 50]])] }), T + 50, "valid"],
    ["007 privilege before expire: one second after", craft007({ expire: 100, services: [rtmService("alice", [[1, 50]])] }), T + 51, "privilege_expired"],
    ["007 privilege after expire: at issueTs + expire", craft007({ expire: 100, services: [rtmService("alice", [[1, 500]])] }), T + 100, "valid"],
    ["007 privilege after expire: one second after", craft007({ expire: 100, services: [rtmService("alice", [[1, 500]])] }), T + 101, "token_expired"],
    ["007 privilege 0: at issueTs + expire", craft007({ expire: 100, services: [rtmService("alice", [[1, 0]])] }), T + 100, "valid"],
    ["007 privilege 0: one second after", craft007({ expire: 100, services: [rtmService("alice", [[1, 0]])] }), T + 101, "token_expired"],
    ["007 expire 0: at issueTs", craft007({ expire: 0, services: [rtmService("alice", [[1, 0]])] }), T, "valid"],
    ["007 expire 0: one second after issueTs", craft007({ expire: 0, services: [rtmService("alice", [[1, 0]])] }), T + 1, "token_expired"],
    ["007 no not-before: long before issueTs", craft007(), 0, "valid"],
    ["007 issueTs + expire past u32 (no wrap)", craft007({ issueTs: 0xffffffff, expire: 0xffffffff, services: [rtmService("alice", [[1, 0xffffffff]])] }), 0xffffffff * 2, "valid"],
    ["007 issueTs + expire past u32: one second after", craft007({ issueTs: 0xffffffff, expire: 0xffffffff, services: [rtmService("alice", [[1, 0xffffffff]])] }), 0xffffffff * 2 + 1, "token_expired"],
  ];

  it.each(CASES)("%s → %s", (_name, token, now, reason) => {
    expect(outcome(verify(token, { now }))).toBe(reason);
  });

  it("reports both expiries and the earlier one (006)", () => {
    const r = verify(craft006({ salt: 9, ts: T + 100, privileges: [[1000, T + 50]] }));
    expect(r.valid && r.token).toEqual({ version: "006", appId: APP_ID, uid: "alice", issuedAt: null, tokenExpiresAt: T + 100, privilegeExpiresAt: T + 50, expiresAt: T + 50, salt: 9 });
  });

  it("reports both expiries and the earlier one (007)", () => {
    const r = verify(craft007({ salt: 9, expire: 100, services: [rtmService("alice", [[1, 0]])] }));
    expect(r.valid && r.token).toEqual({ version: "007", appId: APP_ID, uid: "alice", issuedAt: T, tokenExpiresAt: T + 100, privilegeExpiresAt: null, expiresAt: T + 100, salt: 9 });
  });
});

describe("verifyToken: certificates (§4.4)", () => {
  const TOKENS: ReadonlyArray<readonly [string, string]> = [
    ["006", craft006()],
    ["007", craft007()],
  ];
  const CASES: ReadonlyArray<readonly [string, string[], string]> = [
    ["empty certificate list", [], "invalid_signature"],
    ["the right one as primary", [CERT], "primary"],
    ["the right one as secondary", [OTHER_CERT, CERT], "secondary"],
    ["the right one in both slots", [CERT, CERT], "primary"],
    ["only a wrong one", [OTHER_CERT], "invalid_signature"],
    ["two wrong ones", [OTHER_CERT, OTHER_CERT.toUpperCase()], "invalid_signature"],
    ["the right one in upper case (another ASCII key)", [CERT.toUpperCase()], "invalid_signature"],
    ["the right one hex-decoded as latin1 (never decode)", [Buffer.from(CERT, "hex").toString("latin1")], "invalid_signature"],
  ];

  for (const [version, token] of TOKENS) {
    it.each(CASES)(`${version}: %s → %s`, (_name, certificates, expected) => {
      const r = verify(token, { certificates });
      expect(r.valid ? r.slot : r.reason).toBe(expected);
    });
  }

  it("the valid result does not carry the certificate", () => {
    const r = verify(craft007(), { certificates: [OTHER_CERT, CERT] });
    expect(r.valid).toBe(true);
    expect(JSON.stringify(r.valid ? r.token : null)).not.toContain(CERT);
  });
});

describe("verifyToken: the 006 privilege-expiry mode (docs/fidelity.md, \"The switches\")", () => {
  const T = ISSUE_TS;
  const token006 = craft006({ ts: T + 100, privileges: [[1000, T + 50]] });
  const run = (token: string, now: number, privilege006?: "enforce" | "ignore"): VerifyResult =>
    verifyToken({ token, appId: APP_ID, uid: "alice", certificates: certs(CERT), now, ...(privilege006 ? { privilege006 } : {}) });

  it.each([
    ["default (enforce)", undefined, T + 51, "privilege_expired"],
    ["enforce", "enforce", T + 51, "privilege_expired"],
    ["ignore: past the privilege, before ts", "ignore", T + 51, "valid"],
    ["ignore: at ts", "ignore", T + 100, "valid"],
    ["ignore: after ts", "ignore", T + 101, "token_expired"],
  ] as const)("%s → %s", (_name, mode, now, expected) => {
    expect(outcome(run(token006, now, mode))).toBe(expected);
  });

  it("ignore reports no privilege expiry, and the token expiry as the last valid second", () => {
    const r = run(token006, T, "ignore");
    expect(r.valid && { privilegeExpiresAt: r.token.privilegeExpiresAt, expiresAt: r.token.expiresAt }).toEqual({ privilegeExpiresAt: null, expiresAt: T + 100 });
  });

  it("does not touch 007 (its privilege is always enforced)", () => {
    const token007 = craft007({ expire: 100, services: [rtmService("alice", [[1, 50]])] });
    expect(outcome(run(token007, T + 51, "ignore"))).toBe("privilege_expired");
  });
});

// verify006 makes each certificate object's HMAC key once (core/token/v006/verify.ts): the key must
// follow the certificate's value, whatever object carries it and however often.
describe("verifyToken 006: certificate keys", () => {
  const token = (certificate: string): string => craft006({ certificate, channel: "alice", ts: ISSUE_TS + 3600, privileges: [[1000, 0]] });

  it("an object reused with another value is keyed with its new value", () => {
    const cert = { slot: "primary" as const, value: CERT };
    const req = (t: string) => verifyToken({ token: t, appId: APP_ID, uid: "alice", certificates: [cert], now: ISSUE_TS });
    expect(outcome(req(token(CERT)))).toBe("valid");
    (cert as { value: string }).value = OTHER_CERT;
    expect(outcome(req(token(CERT)))).toBe("invalid_signature");
    expect(outcome(req(token(OTHER_CERT)))).toBe("valid");
  });

  it("a certificate value is keyed as its UTF-8, as createHmac keys a string", () => {
    for (const value of ["", "é-certificate", "\u{1F600}".repeat(8), CERT]) {
      const certificates = [{ slot: "primary" as const, value }];
      for (let i = 0; i < 2; i++) {
        const r = verifyToken({ token: token(value), appId: APP_ID, uid: "alice", certificates, now: ISSUE_TS });
        expect(outcome(r), JSON.stringify(value)).toBe("valid");
        expect(r.valid && r.slot).toBe("primary");
      }
    }
  });
});
