import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expiryReason } from "../../../../../core/token/expiry-reason.js";
import { parse007 } from "../../../../../core/token/v007/parse.js";
import { equalsUtf8, rtmLogin007, rtmLoginService } from "../../../../../core/token/v007/verify.js";
import { DEFAULT_TOKEN_LIMITS, verifyToken, type VerifyResult } from "../../../../../core/token/index.js";
import {
  APP_ID,
  CERT,
  ISSUE_TS,
  bytes16,
  certs,
  craft007,
  map16_32,
  payload007,
  rtcService,
  rtm2Service,
  rtmService,
  token007FromBody,
  u16,
  u32,
  type Craft007,
} from "../token-fixtures.js";

const VECTOR_007_RTM_BASIC =
  "007eJxTYPi+43HUhB1LdL+WGP9lbhFzkrtxYCM7y8nz39inzhJmfbtGgcEwJdXIKNHY0MTc2Ng0zdTQKM0oNdE8zcgwyTA52cQ8sWFmWpoAHwPDxtMlDIwMTAyMDIwMID4rQ2JOZnIqAGL1H2g=";
const CAP = DEFAULT_TOKEN_LIMITS.maxInflatedBytes;

function verify(token: string, uid = "alice", now = ISSUE_TS): VerifyResult {
  return verifyToken({ token, appId: APP_ID, uid, certificates: certs(CERT), now });
}
const outcome = (r: VerifyResult): string => (r.valid ? "valid" : r.reason);

/** Payload sizes are fixed by padding signing_info with MACed trailing zeros. */
function tokenWithPayloadSize(size: number, o: Craft007 = {}): string {
  const base = payload007(o).length;
  return craft007({ ...o, trailing: Buffer.alloc(size - base) });
}

describe("parse007 (docs/tokens.md, \"The 007 format\")", () => {
  it("the fixture reproduces the worked example 007-rtm-basic (§3.7)", () => {
    expect(craft007()).toBe(VECTOR_007_RTM_BASIC);
  });

  it("decodes every field of the worked example", () => {
    const r = parse007(VECTOR_007_RTM_BASIC, CAP);
    if (!r.ok) throw new Error(r.detail);
    const { signature, signingInfo, services, ...fields } = r.token;
    expect(fields).toEqual({
      version: "007",
      appId: APP_ID,
      issueTs: 1_718_000_000,
      expire: 3600,
      salt: 7_654_321,
      serviceCount: 1,
      unknownServiceType: null,
      trailingBytes: 0,
    });
    expect([signature.length, signingInfo.length]).toEqual([32, 99 - 34]);
    expect(services.map((s) => ({ ...s, fields: { userId: (s.fields["userId"] as Buffer).toString() } }))).toEqual([
      { type: 2, name: "rtm", privileges: [[1, 3600]], fields: { userId: "alice" } },
    ]);
  });

  describe("zlib", () => {
    const payload = payload007();
    const MALFORMED: ReadonlyArray<readonly [string, string, string]> = [
      ["bytes after the zlib stream", token007FromBody(Buffer.concat([deflateSync(payload), Buffer.from([0])])), "007 body is not a zlib stream within the size cap"],
      ["a second zlib stream after the first", token007FromBody(Buffer.concat([deflateSync(payload), deflateSync(payload)])), "007 body is not a zlib stream within the size cap"],
      ["gzip instead of zlib", token007FromBody(gzipSync(payload)), "007 body is not a zlib stream within the size cap"],
      ["raw deflate instead of zlib", token007FromBody(deflateRawSync(payload)), "007 body is not a zlib stream within the size cap"],
      ["the payload uncompressed", token007FromBody(payload), "007 body is not a zlib stream within the size cap"],
      ["zlib stream without its Adler-32 trailer", token007FromBody(deflateSync(payload).subarray(0, -4)), "007 body is not a zlib stream within the size cap"],
      ["zlib stream with a wrong Adler-32", token007FromBody(Buffer.concat([deflateSync(payload).subarray(0, -1), Buffer.from([0])])), "007 body is not a zlib stream within the size cap"],
      ["empty body", "007", "007 body is not a zlib stream within the size cap"],
      ["a zlib stream of nothing", token007FromBody(deflateSync(Buffer.alloc(0))), "007 header is truncated"],
      ["URL-safe body", `007${deflateSync(payload).toString("base64url")}`, "007 body is not canonical base64"],
      ["body without its padding", VECTOR_007_RTM_BASIC.replace(/=+$/, ""), "007 body is not canonical base64"],
      ["payload inflating to cap + 1 bytes", tokenWithPayloadSize(CAP + 1), "007 body is not a zlib stream within the size cap"],
      ["a zlib bomb (1 MiB of zeros)", token007FromBody(deflateSync(Buffer.alloc(1 << 20))), "007 body is not a zlib stream within the size cap"],
    ];

    it.each(MALFORMED)("%s → malformed", (_name, token, detail) => {
      expect(parse007(token, CAP)).toEqual({ ok: false, detail });
      const r = verify(token);
      expect(r.valid ? "valid" : { reason: r.reason, detail: r.detail }).toEqual({ reason: "malformed", detail });
    });

    it("a payload inflating to exactly the cap (8192 bytes) parses and verifies", () => {
      const token = tokenWithPayloadSize(CAP);
      expect(CAP).toBe(8192);
      const r = parse007(token, CAP);
      expect(r.ok && { size: r.token.signingInfo.length + 34, trailing: r.token.trailingBytes }).toEqual({ size: 8192, trailing: 8192 - 99 });
      expect(outcome(verify(token))).toBe("valid");
    });

    it("the cap comes from the limits", () => {
      const token = tokenWithPayloadSize(200);
      expect(parse007(token, 200).ok).toBe(true);
      expect(parse007(token, 199)).toEqual({ ok: false, detail: "007 body is not a zlib stream within the size cap" });
      const r = verifyToken({ token, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS, limits: { maxTokenLength: 2048, maxInflatedBytes: 199 } });
      expect(outcome(r)).toBe("malformed");
    });

    it("any zlib level or a stored block is fine: the stream is inflated, never compared", () => {
      for (const level of [0, 1, 9]) {
        const token = token007FromBody(deflateSync(payload, { level }));
        expect([level, outcome(verify(token))]).toEqual([level, "valid"]);
      }
    });
  });

  describe("header and services", () => {
    const header = (o: { count?: number } = {}): Buffer => Buffer.concat([bytes16(APP_ID), u32(ISSUE_TS), u32(3600), u32(7_654_321), u16(o.count ?? 1)]);
    const MALFORMED: ReadonlyArray<readonly [string, Craft007, string]> = [
      ["signature of 31 bytes", { signatureLength: 31 }, "007 signature is not 32 bytes"],
      ["signature of 33 bytes", { signatureLength: 33 }, "007 signature is not 32 bytes"],
      ["signature of 0 bytes", { signatureLength: 0 }, "007 signature is not 32 bytes"],
      ["header cut after issueTs", { rawSigningInfo: header().subarray(0, 34 + 4) }, "007 header is truncated"],
      ["header without the service count", { rawSigningInfo: header().subarray(0, 46) }, "007 header is truncated"],
      ["appId length passing the end", { rawSigningInfo: Buffer.from([0xff, 0x00, 0x31]) }, "007 header is truncated"],
      ["service count 1, no service", { rawSigningInfo: header() }, "007 service 0 is truncated"],
      ["service count 2, one service", { serviceCount: 2, services: [rtmService("alice")] }, "007 service 1 is truncated"],
      ["RTM service cut inside its privilege map", { services: [rtmService("alice").subarray(0, 7)] }, "007 service 0 (type 2) is truncated"],
      ["RTM service cut inside its userId", { services: [rtmService("alice").subarray(0, -1)] }, "007 service 0 (type 2) is truncated"],
      ["RTM service with a hostile privilege count", { services: [Buffer.concat([u16(2), u16(0xffff), Buffer.alloc(10)])] }, "007 service 0 (type 2) is truncated"],
      ["RTC service cut inside its uid", { services: [rtcService("room", "42").subarray(0, -1)] }, "007 service 0 (type 1) is truncated"],
      ["RTM after a whole RTC service, cut", { services: [rtcService("room", "42"), rtmService("alice").subarray(0, 9)] }, "007 service 1 (type 2) is truncated"],
      ["RTM2 service with a hostile resource-type count", { services: [Buffer.concat([u16(8), map16_32([[1, 0]]), bytes16("alice"), u16(0xffff), u16(1)])] }, "007 service 0 (type 8) is truncated"],
      ["APaaS service without its role", { services: [Buffer.concat([u16(7), map16_32([]), bytes16("room"), bytes16("user")])] }, "007 service 0 (type 7) is truncated"],
    ];

    it.each(MALFORMED)("%s → malformed", (_name, o, detail) => {
      const token = craft007(o);
      expect(parse007(token, CAP)).toEqual({ ok: false, detail });
      const r = verify(token);
      expect(r.valid ? "valid" : { reason: r.reason, detail: r.detail, parsed: r.parsed }).toEqual({ reason: "malformed", detail, parsed: null });
    });

    it("an unknown service type stops the walk quietly; the RTM service before it still counts", () => {
      const token = craft007({ services: [rtmService("alice"), u16(99), Buffer.from("anything at all")] });
      const r = parse007(token, CAP);
      expect(r.ok && { count: r.token.serviceCount, types: r.token.services.map((s) => s.type), unknown: r.token.unknownServiceType }).toEqual({
        count: 3,
        types: [2],
        unknown: 99,
      });
      // The tail counts from the unknown type's own two bytes.
      expect(r.ok && r.token.trailingBytes).toBe(2 + Buffer.from("anything at all").length);
      expect(outcome(verify(token))).toBe("valid");
      // The bytes after the unknown type are MACed all the same.
      const tampered = Buffer.from(payload007({ services: [rtmService("alice"), u16(99), Buffer.from("anything at all")] }));
      tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
      expect(outcome(verify(token007FromBody(deflateSync(tampered))))).toBe("invalid_signature");
    });

    it("an unknown type before the RTM service hides it: not_rtm_token", () => {
      const token = craft007({ services: [u16(0), rtmService("alice")] });
      const r = parse007(token, CAP);
      expect(r.ok && { types: r.token.services.map((s) => s.type), unknown: r.token.unknownServiceType }).toEqual({ types: [], unknown: 0 });
      expect(outcome(verify(token))).toBe("not_rtm_token");
    });

    it("reads every known type's fields (types 1–10)", () => {
      const services = [
        rtcService("room", "42", [[1, 0], [2, 5]]),
        rtmService("alice"),
        Buffer.concat([u16(3), map16_32([[1, 0]]), bytes16("live"), bytes16("acct")]),
        Buffer.concat([u16(4), map16_32([[1, 0]])]),
        Buffer.concat([u16(5), map16_32([[1, 0]]), bytes16("chatter")]),
        Buffer.concat([u16(6), map16_32([[2, 0]]), bytes16("cdn"), bytes16("viewer")]),
        Buffer.concat([u16(7), map16_32([[1, 0]]), bytes16("room-uuid"), bytes16("user-uuid"), Buffer.from([0xff, 0xff])]),
        rtm2Service("alice", [[1, 0]], [[0, [[0, ["chan-a", "chan-b"]], [1, []]]]]),
        Buffer.concat([u16(9), map16_32([])]),
        Buffer.concat([u16(10), map16_32([[7, 1]])]),
      ];
      const r = parse007(craft007({ services, trailing: Buffer.from([1, 2, 3]) }), CAP);
      if (!r.ok) throw new Error(r.detail);
      const plain = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString("utf8") : v);
      expect(r.token.services.map((s) => [s.type, s.name, s.privileges, Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, plain(v)]))])).toEqual([
        [1, "rtc", [[1, 0], [2, 5]], { channelName: "room", uid: "42" }],
        [2, "rtm", [[1, 3600]], { userId: "alice" }],
        [3, "streaming", [[1, 0]], { channelName: "live", account: "acct" }],
        [4, "fpa", [[1, 0]], {}],
        [5, "chat", [[1, 0]], { userId: "chatter" }],
        [6, "fcdn", [[2, 0]], { channelName: "cdn", account: "viewer" }],
        [7, "apaas", [[1, 0]], { roomUuid: "room-uuid", userUuid: "user-uuid", role: -1 }],
        [8, "rtm2", [[1, 0]], { userId: "alice", permissions: [{ resourceType: 0, permissions: [{ permType: 0, resources: ["chan-a", "chan-b"] }, { permType: 1, resources: [] }] }] }],
        [9, "convoai", [], {}],
        [10, "stt", [[7, 1]], {}],
      ]);
      expect([r.token.unknownServiceType, r.token.trailingBytes]).toEqual([null, 3]);
    });

    it("bytes after the services are tolerated and MACed", () => {
      const o: Craft007 = { trailing: Buffer.from("extra") };
      const r = parse007(craft007(o), CAP);
      expect(r.ok && r.token.trailingBytes).toBe(5);
      expect(outcome(verify(craft007(o)))).toBe("valid");
      const tampered = payload007(o);
      tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
      expect(outcome(verify(token007FromBody(deflateSync(tampered))))).toBe("invalid_signature");
    });

    it("a service count of 0 parses and is not an RTM login", () => {
      const token = craft007({ services: [] });
      const r = parse007(token, CAP);
      expect(r.ok && [r.token.serviceCount, r.token.services.length]).toEqual([0, 0]);
      expect(outcome(verify(token))).toBe("not_rtm_token");
    });
  });

  describe("which service is the RTM login (§4.5)", () => {
    const CASES: ReadonlyArray<readonly [string, Buffer[], string, string]> = [
      ["type 8 (RTM2) alone, with the login privilege", [rtm2Service("alice", [[1, 3600]], [[0, [[0, ["chan"]]]]])], "alice", "valid"],
      ["type 8 (RTM2) for another uid", [rtm2Service("bob", [[1, 3600]])], "alice", "uid_mismatch"],
      ["type 8 (RTM2) with an empty userId is no wildcard", [rtm2Service("", [[1, 3600]])], "", "uid_mismatch"],
      ["type 8 (RTM2) without privilege 1", [rtm2Service("alice", [[2, 3600]])], "alice", "not_rtm_token"],
      ["type 8 (RTM2) with an empty privilege map", [rtm2Service("alice", [])], "alice", "not_rtm_token"],
      ["type 8 without the login, then type 2 with it", [rtmService("alice"), rtm2Service("alice", [[2, 0]])], "alice", "valid"],
      ["type 2 without the login, then type 8 with it", [rtmService("bob", [[2, 0]]), rtm2Service("alice", [[1, 0]])], "alice", "valid"],
      ["type 2 and type 8 both naming the uid", [rtmService("alice"), rtm2Service("alice", [[1, 3600]])], "alice", "valid"],
      ["type 2 names the uid, type 8 another", [rtmService("alice"), rtm2Service("bob", [[1, 3600]])], "alice", "uid_mismatch"],
      ["type 8 names the uid, type 2 another", [rtmService("bob"), rtm2Service("alice", [[1, 3600]])], "alice", "uid_mismatch"],
      ["type 8 before type 2 in the token (not the builders' order), both naming the uid", [rtm2Service("alice", [[1, 0]]), rtmService("alice")], "alice", "valid"],
      ["the first type 8 with privilege 1 decides", [rtm2Service("bob", [[1, 0]]), rtm2Service("alice", [[1, 0]])], "alice", "uid_mismatch"],
      ["a later type 8 does not count after the first", [rtm2Service("alice", [[1, 0]]), rtm2Service("bob", [[1, 0]])], "alice", "valid"],
      ["RTC, then RTM2", [rtcService("room", "7"), rtm2Service("alice", [[1, 3600]])], "alice", "valid"],
      ["type 2 without privilege 1", [rtmService("alice", [[2, 3600]])], "alice", "not_rtm_token"],
      ["type 2 with an empty privilege map", [rtmService("alice", [])], "alice", "not_rtm_token"],
      ["RTC only, uid equal to the login uid", [rtcService("alice", "alice", [[1, 3600]])], "alice", "not_rtm_token"],
      ["type 2 without privilege 1, then one with it", [rtmService("bob", [[2, 0]]), rtmService("alice")], "alice", "valid"],
      ["the first type 2 with privilege 1 decides", [rtmService("bob"), rtmService("alice")], "alice", "uid_mismatch"],
      ["the first type 2 with privilege 1 decides (its own uid)", [rtmService("bob"), rtmService("alice")], "bob", "valid"],
      ["RTC, then RTM", [rtcService("room", "7"), rtmService("alice")], "alice", "valid"],
      ["empty userId is no wildcard", [rtmService("")], "", "uid_mismatch"],
      ["userId compared byte for byte (case)", [rtmService("Alice")], "alice", "uid_mismatch"],
      ["userId compared byte for byte (NFC vs NFD)", [rtmService("caf\u00e9")], "cafe\u0301", "uid_mismatch"],
      ["userId compared byte for byte (trailing space)", [rtmService("alice ")], "alice", "uid_mismatch"],
      ["4-byte UTF-8 userId", [rtmService("🦄😀")], "🦄😀", "valid"],
      ["userId that is not UTF-8 never matches", [rtmService(Buffer.from([0xff, 0xfe]))], "\ufffd\ufffd", "uid_mismatch"],
    ];

    it.each(CASES)("%s → %s", (_name, services, uid, expected) => {
      expect([uid, outcome(verify(craft007({ services }), uid))]).toEqual([uid, expected]);
    });

    it.each([
      // [type-2 login privilege or null (no type 2), type-8 login privilege or null, privilegeExpiresAt - ISSUE_TS or null]
      [3600, 600, 600],
      [600, 3600, 600],
      [0, 600, 600],
      [600, 0, 600],
      [0, 0, null],
      [null, 100, 100],
      [null, 0, null],
    ] as const)("type-2 login privilege %s, type-8 %s: the earlier limit counts (%s)", (rtm, rtm2, expected) => {
      const services = [...(rtm === null ? [] : [rtmService("alice", [[1, rtm]])]), rtm2Service("alice", [[1, rtm2]], [[4, [[0, ["*"]]]]])];
      const token = craft007({ expire: 7200, services });
      const r = verify(token, "alice");
      expect(r.valid && { privilegeExpiresAt: r.token.privilegeExpiresAt, expiresAt: r.token.expiresAt, tokenExpiresAt: r.token.tokenExpiresAt }).toEqual({
        privilegeExpiresAt: expected === null ? null : ISSUE_TS + expected,
        expiresAt: ISSUE_TS + (expected ?? 7200),
        tokenExpiresAt: ISSUE_TS + 7200,
      });
      if (expected !== null) {
        expect(outcome(verify(token, "alice", ISSUE_TS + expected))).toBe("valid");
        expect(outcome(verify(token, "alice", ISSUE_TS + expected + 1))).toBe("privilege_expired");
        // The legacy check order reads the same limit from the decoded token.
        const p = parse007(token, CAP);
        expect(p.ok && [expiryReason(p.token, ISSUE_TS + expected), expiryReason(p.token, ISSUE_TS + expected + 1)]).toEqual([null, "privilege_expired"]);
      }
      expect(outcome(verify(token, "alice", ISSUE_TS + 7201))).toBe("token_expired");
    });

    it("rtmLogin007 and rtmLoginService name the services that grant the login", () => {
      const p = parse007(craft007({ services: [rtcService("room", "1"), rtmService("alice", [[1, 900]]), rtm2Service("alice", [[1, 300]])] }), CAP);
      if (!p.ok) throw new Error(p.detail);
      const login = rtmLogin007(p.token);
      expect(login && { rtm: login.rtm?.type, rtmPrivilege: login.rtmPrivilege, rtm2: login.rtm2?.type, rtm2Privilege: login.rtm2Privilege, privilege: login.privilege }).toEqual({
        rtm: 2,
        rtmPrivilege: 900,
        rtm2: 8,
        rtm2Privilege: 300,
        privilege: 300,
      });
      expect(rtmLoginService(p.token)).toEqual({ service: p.token.services[1], privilege: 300 });
      const only8 = parse007(craft007({ services: [rtmService("alice", [[2, 0]]), rtm2Service("alice", [[1, 300]])] }), CAP);
      expect(only8.ok && rtmLoginService(only8.token)).toEqual({ service: only8.ok && only8.token.services[1], privilege: 300 });
      const none = parse007(craft007({ services: [rtcService("room", "1")] }), CAP);
      expect(none.ok && [rtmLogin007(none.token), rtmLoginService(none.token)]).toEqual([null, null]);
    });

    it("duplicate login privileges: the last value wins", () => {
      const lastUnlimited = craft007({ expire: 3600, services: [rtmService("alice", [[1, 100], [1, 0]])] });
      const lastLimited = craft007({ expire: 3600, services: [rtmService("alice", [[1, 0], [1, 100]])] });
      const a = verify(lastUnlimited, "alice", ISSUE_TS + 101);
      expect(a.valid && a.token.privilegeExpiresAt).toBe(null);
      expect(outcome(verify(lastLimited, "alice", ISSUE_TS + 100))).toBe("valid");
      expect(outcome(verify(lastLimited, "alice", ISSUE_TS + 101))).toBe("privilege_expired");
    });
  });
});

// parse007 decodes each body into one reused buffer (core/token/v007/parse.ts): a longer body
// before must leave nothing that a shorter, a broken or an equal one could read.
describe("parse007 with its reused body buffer", () => {
  it("gives each token its own result whatever was parsed before", () => {
    const long = tokenWithPayloadSize(1200);
    const short = craft007();
    const cut = short.slice(0, short.length - 4); // still a multiple of 4: a truncated zlib stream
    const expected = parse007(short, CAP);
    expect(expected.ok).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(parse007(long, CAP).ok).toBe(true);
      expect(parse007(short, CAP)).toEqual(expected);
      expect(parse007(cut, CAP)).toEqual({ ok: false, detail: "007 body is not a zlib stream within the size cap" });
      expect(parse007(`${short}A`, CAP)).toEqual({ ok: false, detail: "007 body is not canonical base64" });
      expect(outcome(verify(short))).toBe("valid");
    }
  });
});

// verify007 compares the token's userId with the login uid without encoding an ASCII uid.
describe("equalsUtf8", () => {
  it("is Buffer.from(s, 'utf8').equals(bytes) for any string and bytes", () => {
    const str = fc.string({ unit: fc.constantFrom(..."aZ09-_ \u0000\u007f\u0080é日😀", "\ud800", "\udc00"), maxLength: 12 });
    fc.assert(
      fc.property(str, str, fc.boolean(), (s, other, same) => {
        const bytes = Buffer.from(same ? s : other, "utf8");
        expect(equalsUtf8(bytes, s)).toBe(Buffer.from(s, "utf8").equals(bytes));
      }),
      { numRuns: 3000 },
    );
    expect(equalsUtf8(Buffer.from("alice"), "alic")).toBe(false);
    expect(equalsUtf8(Buffer.from("alic"), "alice")).toBe(false);
    expect(equalsUtf8(Buffer.from("\ufffd"), "\ud800")).toBe(true);
    expect(equalsUtf8(Buffer.alloc(0), "")).toBe(true);
  });

  it("a uid differing in one byte of a userId is refused as uid_mismatch", () => {
    const token = craft007({ services: [rtmService("alice")] });
    expect(outcome(verify(token, "alice"))).toBe("valid");
    expect(outcome(verify(token, "alicf"))).toBe("uid_mismatch");
    expect(outcome(verify(token, "alic"))).toBe("uid_mismatch");
    expect(outcome(verify(token, "alicé"))).toBe("uid_mismatch");
  });
});
