/**
 * Property-based interop with Agora's official Node builders (docs/tokens.md, "The two formats"):
 *
 * - theirs → ours: whatever `agora-access-token` (006) and `agora-token` (007, plus its 006 copy)
 *   build, our verifier accepts for the right user, with the right expiry, and refuses for another
 *   user or another certificate;
 * - ours → theirs: our 006 output is byte-identical to theirs, and our 007 output decodes with
 *   their `AccessToken2.from_string` to the same fields and passes their `verifySignature`;
 * - RTM2 (type 8) both ways: `RtmTokenBuilder2.buildTokenWithPermissions` tokens log in with ours
 *   and rebuild byte for byte; ours decode with their `ServiceRtm2.unpack`; a token holding both
 *   an RTM and an RTM2 login service follows docs/token-services.md.
 *
 * The official builders are CommonJS without usable typings for their internals, so they are
 * loaded with `createRequire` and described by the small interfaces below.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ActiveCertificate } from "../../core/certificate/active-certificate.js";
import {
  build006,
  build007,
  buildRtmToken,
  parseToken,
  SERVICE_TYPE,
  verifyToken,
  type ParsedToken006,
  type ParsedToken007,
  type Rtm2Grant,
  type ServiceSpec,
  type VerifyResult,
} from "../../core/token/index.js";

// ---------------------------------------------------------------------------------------------
// The official builders
// ---------------------------------------------------------------------------------------------

interface AgoraAccessToken006 {
  salt: number;
  ts: number;
  addPriviledge(privilege: number, expireTimestamp: number): void;
  build(): string;
}
type AgoraAccessToken006Ctor = new (appId: string, certificate: string, channelName: string, uid: string | number) => AgoraAccessToken006;

interface AgoraRtm2Permissions {
  /** Resource type → permission type → resources (object keys, so always in ascending order). */
  details: Record<string, Record<string, string[]>>;
  add(resourceType: number, permissionType: number, resources: string[]): void;
}
interface AgoraService {
  service_type(): number;
  add_privilege(privilege: number, expire: number): void;
  /** Privilege id (as an object key) → value. */
  __privileges: Record<string, number>;
  /** RTM, chat, RTM2: the user id (a Buffer after `from_string`, except RTM2's string). */
  __user_id?: Buffer | string;
  /** RTC, streaming, FCDN: the channel (a Buffer after `from_string`). */
  __channel_name?: Buffer | string;
  /** RTC: the uid. */
  __uid?: Buffer | string;
  /** Streaming, FCDN: the account. */
  __account?: Buffer | string;
  /** APaaS: room, user and role (their `getInt16` reads the role unsigned). */
  __room_uuid?: Buffer | string;
  __user_uuid?: Buffer | string;
  __role?: number;
  /** RTM2: the resource grants. */
  __permissions?: AgoraRtm2Permissions;
}
interface AgoraAccessToken2 {
  appId: string | Buffer;
  issueTs: number;
  expire: number;
  salt: number;
  services: AgoraService[];
  add_service(service: AgoraService): void;
  build(): string;
  from_string(token: string): boolean;
  verifySignature(certificate: string): boolean;
}

const require = createRequire(import.meta.url);

const AccessToken006Aat = (require("agora-access-token/src/AccessToken.js") as { AccessToken: AgoraAccessToken006Ctor }).AccessToken;
const AccessToken006At = (require("agora-token/src/AccessToken.js") as { AccessToken: AgoraAccessToken006Ctor }).AccessToken;
const RtmTokenBuilder006 = (
  require("agora-access-token/src/RtmTokenBuilder.js") as {
    RtmTokenBuilder: { buildToken(appId: string, certificate: string, account: string, role: number, privilegeExpiredTs: number): string };
  }
).RtmTokenBuilder;
const Agora2 = require("agora-token/src/AccessToken2.js") as {
  AccessToken2: new (appId?: string, certificate?: string, issueTs?: number | null, expire?: number) => AgoraAccessToken2;
  ServiceRtc: new (channelName: string, uid: string | number) => AgoraService;
  ServiceRtm: new (userId: string) => AgoraService;
  ServiceStreaming: new (channelName: string, account: string | number) => AgoraService;
  ServiceFpa: new () => AgoraService;
  ServiceChat: new (userId: string) => AgoraService;
  ServiceFCdn: new (channelName: string, account: string | number) => AgoraService;
  ServiceApaas: new (roomUuid: string, userUuid: string, role: number) => AgoraService;
  ServiceRtm2: new (userId: string | number, permissions?: AgoraRtm2Permissions) => AgoraService;
  ServiceConvoAI: new () => AgoraService;
  ServiceStt: new () => AgoraService;
  Rtm2Permissions: new () => AgoraRtm2Permissions;
};
const { AccessToken2, ServiceRtc, ServiceRtm, ServiceRtm2, Rtm2Permissions } = Agora2;
const RtmTokenBuilder2 = (
  require("agora-token/src/RtmTokenBuilder2.js") as {
    RtmTokenBuilder: {
      buildToken(appId: string, certificate: string, userId: string, expire: number): string;
      buildTokenWithPermissions(appId: string, certificate: string, userId: string | number, permissions: AgoraRtm2Permissions, expire: number): string;
    };
  }
).RtmTokenBuilder;
const { RtcTokenBuilder: RtcTokenBuilder2, Role: RtcRole } = require("agora-token/src/RtcTokenBuilder2.js") as {
  RtcTokenBuilder: {
    buildTokenWithRtm(
      appId: string,
      certificate: string,
      channelName: string,
      account: string,
      role: number,
      tokenExpire: number,
      privilegeExpire?: number,
    ): string;
    buildTokenWithUserAccount(
      appId: string,
      certificate: string,
      channelName: string,
      account: string,
      role: number,
      tokenExpire: number,
      privilegeExpire?: number,
    ): string;
  };
  Role: { PUBLISHER: number; SUBSCRIBER: number };
};

/** kRtmLogin (006) and the RTM login privilege (007). */
const RTM_LOGIN_006 = 1000;
const RTM_LOGIN_007 = 1;
const U32_MAX = 0xffffffff;
const NUM_RUNS = 1000;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** 32 hex characters, mixed case: App IDs and certificates are ASCII HMAC inputs, case matters. */
const hex32 = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: 32, maxLength: 32 }),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }),
);

const utf8Length = (s: string): number => Buffer.byteLength(s, "utf8");

/** Keeps whole code points while the UTF-8 length stays within `max` bytes. */
function limitUtf8(s: string, max: number): string {
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Characters that exercise 1-, 2-, 3- and 4-byte UTF-8 (emoji are 4 bytes, ZWJ sequences more). */
const MIXED_UNITS = ["a", "Z", "0", "_", "-", ".", " ", "é", "ß", "Ω", "中", "文", "ア", "😀", "🎉", "🦄", "👩‍💻", "🇫🇷"];

/** RTM user ids: ASCII, any code point, graphemes, emoji; 1–64 UTF-8 bytes. */
const uidArb = fc
  .oneof(
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 64 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...MIXED_UNITS), minLength: 1, maxLength: 30 }),
  )
  .map((s) => limitUtf8(s, 64))
  .filter((s) => utf8Length(s) >= 1 && utf8Length(s) <= 64);

/** RTC channel names (ASCII, as the RTC builders document), possibly empty. */
const channelArb = fc.string({ unit: "grapheme-ascii", minLength: 0, maxLength: 64 });

const u32 = fc.integer({ min: 0, max: U32_MAX });
/** 007 issue times: the official builder treats 0 as "now", so theirs never carry 0. */
const issueTsTheirs = fc.integer({ min: 1, max: U32_MAX });
/** 007 salts: the Node builder's range, and any u32 (C++). */
const salt007 = fc.oneof(fc.integer({ min: 1, max: 99_999_999 }), u32);
/** Lifetimes in seconds: 0, realistic ones, and anything a u32 holds. */
const lifetimeArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 86_400 }), u32);
/** A 006 privilege value: 0 (no limit) or an absolute time. */
const privilege006Arb = fc.oneof(fc.constant(0), u32);
/** Picks a point inside a validity window. */
const seedArb = fc.nat();

/** A string that differs from `s` (with `alt` preferred when it already does). */
function different(s: string, alt: string, suffix: string): string {
  return alt !== s ? alt : s + suffix;
}

/** Swaps the case of every letter (a certificate with the same hex value, but other ASCII bytes). */
function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function certs(...values: string[]): ActiveCertificate[] {
  return values.map((value, i) => ({ slot: i === 0 ? "primary" : "secondary", value }));
}

function verify(token: string, appId: string, uid: string, certificates: string[], now: number): VerifyResult {
  return verifyToken({ token, appId, uid, certificates: certs(...certificates), now });
}

/** The refusal reason, or "valid". */
function outcome(r: VerifyResult): string {
  return r.valid ? "valid" : r.reason;
}

/**
 * What every fixed-input token must show besides its fields: the expiry second is valid and the
 * next one is not (token-level expiry checked first); another user is refused (006 through the
 * MAC, 007 by the uid check); another certificate is refused, but verifies from the secondary
 * slot during a rotation; the certificate in another case is another HMAC key; the App ID is
 * compared exactly, before the signature.
 */
function expectBoundaryAndRefusals(c: {
  token: string;
  appId: string;
  uid: string;
  otherUid: string;
  cert: string;
  otherCert: string;
  now: number;
  expiresAt: number;
  tokenExpiresAt: number;
  privilegeExpiresAt: number | null;
  wrongUid: "invalid_signature" | "uid_mismatch";
}): void {
  const { token, appId, uid, cert, otherCert, now, expiresAt } = c;
  expect(outcome(verify(token, appId, uid, [cert], expiresAt))).toBe("valid");
  const after = c.privilegeExpiresAt !== null && c.privilegeExpiresAt < c.tokenExpiresAt ? "privilege_expired" : "token_expired";
  expect(outcome(verify(token, appId, uid, [cert], expiresAt + 1))).toBe(after);
  expect(outcome(verify(token, appId, different(uid, c.otherUid, "x"), [cert], now))).toBe(c.wrongUid);
  if (otherCert !== cert) {
    expect(outcome(verify(token, appId, uid, [otherCert], now))).toBe("invalid_signature");
    const rotated = verify(token, appId, uid, [otherCert, cert], now);
    expect(rotated.valid && rotated.slot).toBe("secondary");
  }
  if (swapCase(cert) !== cert) expect(outcome(verify(token, appId, uid, [swapCase(cert)], now))).toBe("invalid_signature");
  if (swapCase(appId) !== appId) expect(outcome(verify(token, swapCase(appId), uid, [cert], now))).toBe("app_id_mismatch");
}

/** The fields a valid result must carry, for one `toEqual`. */
function validSummary(r: VerifyResult): unknown {
  if (!r.valid) return { valid: false, reason: r.reason, detail: r.detail };
  return { valid: true, slot: r.slot, ...r.token };
}

function parse006(token: string): ParsedToken006 {
  const p = parseToken(token);
  if (!p.ok || p.token.version !== "006") throw new Error(`not a 006 token: ${JSON.stringify(p)}`);
  return p.token;
}

function parse007(token: string): ParsedToken007 {
  const p = parseToken(token);
  if (!p.ok || p.token.version !== "007") throw new Error(`not a 007 token: ${JSON.stringify(p)}`);
  return p.token;
}

/** The official 006 RTM layout (`RtmTokenBuilder.buildToken`) with salt and ts fixed. */
function theirs006(Ctor: AgoraAccessToken006Ctor, appId: string, cert: string, account: string, salt: number, ts: number, privilege: number): string {
  const t = new Ctor(appId, cert, account, "");
  t.salt = salt;
  t.ts = ts;
  t.addPriviledge(RTM_LOGIN_006, privilege);
  return t.build();
}

/** The official 007 RTM layout (`RtmTokenBuilder2.buildToken`) with issueTs and salt fixed. */
function theirs007Rtm(appId: string, cert: string, userId: string, issueTs: number, expire: number, salt: number, privilege: number): string {
  const t = new AccessToken2(appId, cert, issueTs, expire);
  t.salt = salt;
  const rtm = new ServiceRtm(userId);
  rtm.add_privilege(RTM_LOGIN_007, privilege);
  t.add_service(rtm);
  return t.build();
}

function text(v: Buffer | string | undefined): string | undefined {
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString("utf8") : v;
}

/** Their RTM2 permission map as our grant list (their object keys come out in ascending order). */
function theirGrants(p: AgoraRtm2Permissions | undefined): Rtm2Grant[] {
  return Object.entries(p?.details ?? {}).map(([resourceType, perms]) => ({
    resourceType: Number(resourceType),
    permissions: Object.entries(perms).map(([permType, resources]) => ({ permType: Number(permType), resources })),
  }));
}

/** A decoded official service in a comparable shape. */
function theirService(s: AgoraService): unknown {
  const type = s.service_type();
  const privileges = Object.entries(s.__privileges).map(([k, v]) => [Number(k), v]);
  switch (type) {
    case SERVICE_TYPE.rtc:
      return { type, privileges, channelName: text(s.__channel_name), uid: text(s.__uid) };
    case SERVICE_TYPE.streaming:
    case SERVICE_TYPE.fcdn:
      return { type, privileges, channelName: text(s.__channel_name), account: text(s.__account) };
    case SERVICE_TYPE.apaas:
      return { type, privileges, roomUuid: text(s.__room_uuid), userUuid: text(s.__user_uuid), role: s.__role };
    case SERVICE_TYPE.rtm2:
      return { type, privileges, userId: text(s.__user_id), permissions: theirGrants(s.__permissions) };
    case SERVICE_TYPE.rtm:
    case SERVICE_TYPE.chat:
      return { type, privileges, userId: text(s.__user_id) };
    default:
      return { type, privileges };
  }
}

/** One of our service specs in the same shape (privilege keys unique, ascending). */
function ourService(s: ServiceSpec): unknown {
  const privileges = [...s.privileges].map(([k, v]) => [k, v]).sort((a, b) => (a[0] as number) - (b[0] as number));
  const { type } = s;
  switch (s.type) {
    case SERVICE_TYPE.rtc:
      return { type, privileges, channelName: s.channelName, uid: s.uid };
    case SERVICE_TYPE.streaming:
    case SERVICE_TYPE.fcdn:
      return { type, privileges, channelName: s.channelName, account: s.account };
    case SERVICE_TYPE.apaas:
      // Their parser reads the i16 role as unsigned.
      return { type, privileges, roomUuid: s.roomUuid, userUuid: s.userUuid, role: s.role & 0xffff };
    case SERVICE_TYPE.rtm2:
      return { type, privileges, userId: s.userId, permissions: s.permissions };
    case SERVICE_TYPE.rtm:
    case SERVICE_TYPE.chat:
      return { type, privileges, userId: s.userId };
    default:
      return { type, privileges };
  }
}

/** Their service object for one of our specs (privileges included). */
function theirServiceFor(s: ServiceSpec): AgoraService {
  let svc: AgoraService;
  switch (s.type) {
    case SERVICE_TYPE.rtc:
      svc = new ServiceRtc(s.channelName, s.uid);
      break;
    case SERVICE_TYPE.rtm:
      svc = new ServiceRtm(s.userId);
      break;
    case SERVICE_TYPE.streaming:
      svc = new Agora2.ServiceStreaming(s.channelName, s.account);
      break;
    case SERVICE_TYPE.fpa:
      svc = new Agora2.ServiceFpa();
      break;
    case SERVICE_TYPE.chat:
      svc = new Agora2.ServiceChat(s.userId);
      break;
    case SERVICE_TYPE.fcdn:
      svc = new Agora2.ServiceFCdn(s.channelName, s.account);
      break;
    case SERVICE_TYPE.apaas:
      svc = new Agora2.ServiceApaas(s.roomUuid, s.userUuid, s.role);
      break;
    case SERVICE_TYPE.rtm2:
      svc = new ServiceRtm2(s.userId, theirPermissions(s.permissions));
      break;
    case SERVICE_TYPE.convoai:
      svc = new Agora2.ServiceConvoAI();
      break;
    case SERVICE_TYPE.stt:
      svc = new Agora2.ServiceStt();
      break;
  }
  for (const [k, v] of s.privileges) svc.add_privilege(k, v);
  return svc;
}

/** Our grant list as their `Rtm2Permissions`. */
function theirPermissions(grants: readonly Rtm2Grant[]): AgoraRtm2Permissions {
  const p = new Rtm2Permissions();
  for (const g of grants) for (const perm of g.permissions) p.add(g.resourceType, perm.permType, [...perm.resources]);
  return p;
}

/** Decodes a 007 token with the official parser. */
function theirDecode(token: string): AgoraAccessToken2 {
  const t = new AccessToken2();
  expect(t.from_string(token)).toBe(true);
  return t;
}

/** The official builder for the same service list, to compare strings with ours. */
function theirs007(appId: string, cert: string, issueTs: number, expire: number, salt: number, services: readonly ServiceSpec[]): string {
  const t = new AccessToken2(appId, cert, issueTs, expire);
  t.salt = salt;
  for (const s of services) t.add_service(theirServiceFor(s));
  return t.build();
}

// ---------------------------------------------------------------------------------------------
// Theirs → ours
// ---------------------------------------------------------------------------------------------

describe("theirs → ours: tokens from the official builders verify with ours", () => {
  it("006 AccessToken (RtmTokenBuilder layout): same string from both packages, verifies with the right expiry", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          otherCert: hex32,
          uid: uidArb,
          otherUid: uidArb,
          salt: u32,
          ts: u32,
          privilege: privilege006Arb,
          seed: seedArb,
        }),
        ({ appId, cert, otherCert, uid, otherUid, salt, ts, privilege, seed }) => {
          const token = theirs006(AccessToken006Aat, appId, cert, uid, salt, ts, privilege);
          // The 006 copy inside agora-token gives the same bytes.
          expect(theirs006(AccessToken006At, appId, cert, uid, salt, ts, privilege)).toBe(token);

          const privilegeExpiresAt = privilege === 0 ? null : privilege;
          const expiresAt = privilegeExpiresAt === null ? ts : Math.min(ts, privilegeExpiresAt);
          const now = expiresAt - (seed % (expiresAt + 1));
          expect(validSummary(verify(token, appId, uid, [cert], now))).toEqual({
            valid: true,
            slot: "primary",
            version: "006",
            appId,
            uid,
            issuedAt: null,
            tokenExpiresAt: ts,
            privilegeExpiresAt,
            expiresAt,
            salt,
          });

          // Another user: 006 binds the user only through the MAC.
          expectBoundaryAndRefusals({ token, appId, uid, otherUid, cert, otherCert, now, expiresAt, tokenExpiresAt: ts, privilegeExpiresAt, wrongUid: "invalid_signature" });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("006 RtmTokenBuilder.buildToken (wall-clock ts, module-wide salt) verifies with ours and rebuilds byte for byte", () => {
    const wall = (): number => Math.floor(Date.now() / 1000);
    let processSalt: number | null = null;
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          uid: uidArb,
          otherUid: uidArb,
          lifetime: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 86_400 * 3 })),
          seed: seedArb,
        }),
        ({ appId, cert, uid, otherUid, lifetime, seed }) => {
          const before = wall();
          const privilege = lifetime === 0 ? 0 : before + lifetime;
          const token = RtmTokenBuilder006.buildToken(appId, cert, uid, 1, privilege);
          const after = wall();

          const t = parse006(token);
          expect(t.ts).toBeGreaterThanOrEqual(before + 86_400);
          expect(t.ts).toBeLessThanOrEqual(after + 86_400);
          expect(t.privileges).toEqual([[RTM_LOGIN_006, privilege]]);
          // The Node 006 salt is drawn once per process (docs/tokens.md, "The 006 format").
          processSalt ??= t.salt;
          expect(t.salt).toBe(processSalt);
          // Rebuilding with their class and with ours, salt and ts fixed, gives the same string.
          expect(theirs006(AccessToken006Aat, appId, cert, uid, t.salt, t.ts, privilege)).toBe(token);
          expect(build006({ appId, certificate: cert, channel: uid, uid: "", salt: t.salt, ts: t.ts, privileges: [[RTM_LOGIN_006, privilege]] })).toBe(
            token,
          );

          const expiresAt = privilege === 0 ? t.ts : Math.min(t.ts, privilege);
          const now = before + (seed % (expiresAt - before + 1));
          const r = verify(token, appId, uid, [cert], now);
          expect(r.valid && r.token.expiresAt).toBe(expiresAt);
          expect(outcome(verify(token, appId, different(uid, otherUid, "x"), [cert], now))).toBe("invalid_signature");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("007 AccessToken2 + ServiceRtm (issueTs and salt fixed) verifies with the right expiry; another uid or certificate is refused", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          otherCert: hex32,
          uid: uidArb,
          otherUid: uidArb,
          issueTs: issueTsTheirs,
          expire: lifetimeArb,
          privilege: lifetimeArb,
          salt: salt007,
          seed: seedArb,
        }),
        ({ appId, cert, otherCert, uid, otherUid, issueTs, expire, privilege, salt, seed }) => {
          const token = theirs007Rtm(appId, cert, uid, issueTs, expire, salt, privilege);
          expect(token.startsWith("007eJ")).toBe(true);

          const tokenExpiresAt = issueTs + expire;
          const privilegeExpiresAt = privilege === 0 ? null : issueTs + privilege;
          const expiresAt = privilegeExpiresAt === null ? tokenExpiresAt : Math.min(tokenExpiresAt, privilegeExpiresAt);
          const now = issueTs + (seed % (expiresAt - issueTs + 1));
          expect(validSummary(verify(token, appId, uid, [cert], now))).toEqual({
            valid: true,
            slot: "primary",
            version: "007",
            appId,
            uid,
            issuedAt: issueTs,
            tokenExpiresAt,
            privilegeExpiresAt,
            expiresAt,
            salt,
          });

          // 007 carries the user id: the MAC still holds, the uid check refuses.
          expectBoundaryAndRefusals({ token, appId, uid, otherUid, cert, otherCert, now, expiresAt, tokenExpiresAt, privilegeExpiresAt, wrongUid: "uid_mismatch" });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("007 RtmTokenBuilder2.buildToken (random issueTs/salt) verifies with expiry issueTs + expire and rebuilds byte for byte", () => {
    const wall = (): number => Math.floor(Date.now() / 1000);
    fc.assert(
      fc.property(
        fc.record({ appId: hex32, cert: hex32, otherCert: hex32, uid: uidArb, otherUid: uidArb, expire: lifetimeArb, seed: seedArb }),
        ({ appId, cert, otherCert, uid, otherUid, expire, seed }) => {
          const before = wall();
          const token = RtmTokenBuilder2.buildToken(appId, cert, uid, expire);
          const after = wall();

          const t = parse007(token);
          expect(t.issueTs).toBeGreaterThanOrEqual(before);
          expect(t.issueTs).toBeLessThanOrEqual(after);
          expect(t.salt).toBeGreaterThanOrEqual(1);
          expect(t.salt).toBeLessThanOrEqual(99_999_999);
          expect({ appId: t.appId, expire: t.expire, serviceCount: t.serviceCount, trailingBytes: t.trailingBytes }).toEqual({
            appId,
            expire,
            serviceCount: 1,
            trailingBytes: 0,
          });
          expect(t.services.map((s) => ({ type: s.type, privileges: s.privileges, userId: (s.fields["userId"] as Buffer).toString("utf8") }))).toEqual([
            { type: SERVICE_TYPE.rtm, privileges: [[RTM_LOGIN_007, expire]], userId: uid },
          ]);
          // Both sides use Node's zlib: with issueTs and salt fixed, our builder gives the same string.
          expect(buildRtmToken({ version: "007", appId, certificate: cert, uid, expireSeconds: expire, issueTs: t.issueTs, salt: t.salt })).toBe(token);

          const expiresAt = t.issueTs + expire;
          const now = t.issueTs + (seed % (expire + 1));
          expect(validSummary(verify(token, appId, uid, [cert], now))).toEqual({
            valid: true,
            slot: "primary",
            version: "007",
            appId,
            uid,
            issuedAt: t.issueTs,
            tokenExpiresAt: expiresAt,
            privilegeExpiresAt: expire === 0 ? null : expiresAt,
            expiresAt,
            salt: t.salt,
          });
          expect(outcome(verify(token, appId, uid, [cert], expiresAt + 1))).toBe("token_expired");
          expect(outcome(verify(token, appId, different(uid, otherUid, "x"), [cert], now))).toBe("uid_mismatch");
          if (otherCert !== cert) expect(outcome(verify(token, appId, uid, [otherCert], now))).toBe("invalid_signature");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("007 RtcTokenBuilder2.buildTokenWithRtm verifies for its RTM user; the RTC-only token is not an RTM login", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          otherCert: hex32,
          channel: channelArb,
          uid: uidArb,
          otherUid: uidArb,
          publisher: fc.boolean(),
          tokenExpire: lifetimeArb,
          privilegeExpire: lifetimeArb,
          seed: seedArb,
        }),
        ({ appId, cert, otherCert, channel, uid, otherUid, publisher, tokenExpire, privilegeExpire, seed }) => {
          const role = publisher ? RtcRole.PUBLISHER : RtcRole.SUBSCRIBER;
          const token = RtcTokenBuilder2.buildTokenWithRtm(appId, cert, channel, uid, role, tokenExpire, privilegeExpire);
          const t = parse007(token);
          const rtcPrivileges: Array<[number, number]> = (publisher ? [1, 2, 3, 4] : [1]).map((k) => [k, privilegeExpire]);
          expect(
            t.services.map((s) => ({
              type: s.type,
              privileges: s.privileges,
              fields: Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, (v as Buffer).toString("utf8")])),
            })),
          ).toEqual([
            { type: SERVICE_TYPE.rtc, privileges: rtcPrivileges, fields: { channelName: channel, uid } },
            { type: SERVICE_TYPE.rtm, privileges: [[RTM_LOGIN_007, tokenExpire]], fields: { userId: uid } },
          ]);

          // RTM login privilege = tokenExpire, so the expiry is issueTs + tokenExpire.
          const expiresAt = t.issueTs + tokenExpire;
          const now = t.issueTs + (seed % (tokenExpire + 1));
          const r = verify(token, appId, uid, [cert], now);
          expect(r.valid && { expiresAt: r.token.expiresAt, issuedAt: r.token.issuedAt, salt: r.token.salt }).toEqual({
            expiresAt,
            issuedAt: t.issueTs,
            salt: t.salt,
          });
          expect(outcome(verify(token, appId, uid, [cert], expiresAt + 1))).toBe("token_expired");
          expect(outcome(verify(token, appId, different(uid, otherUid, "x"), [cert], now))).toBe("uid_mismatch");
          if (otherCert !== cert) expect(outcome(verify(token, appId, uid, [otherCert], now))).toBe("invalid_signature");

          // The same RTC grant without the RTM service: signed correctly, but no RTM login.
          const rtcOnly = RtcTokenBuilder2.buildTokenWithUserAccount(appId, cert, channel, uid, role, tokenExpire, privilegeExpire);
          const rtcOnlyNow = parse007(rtcOnly).issueTs;
          expect(outcome(verify(rtcOnly, appId, uid, [cert], rtcOnlyNow))).toBe("not_rtm_token");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Ours → theirs
// ---------------------------------------------------------------------------------------------

/** Unique privilege ids from `ids`, each with a value. */
const privilegesArb = (ids: number[], minLength: number): fc.Arbitrary<Array<[number, number]>> =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...ids), lifetimeArb), { minLength, maxLength: ids.length, selector: ([k]) => k });

const rtcSpecArb: fc.Arbitrary<ServiceSpec> = fc.record({
  type: fc.constant(SERVICE_TYPE.rtc),
  privileges: privilegesArb([1, 2, 3, 4], 0),
  channelName: channelArb,
  uid: fc.oneof(fc.constant(""), fc.nat().map(String), uidArb),
});

/** Privileges usually holding the login privilege (id 1), sometimes others only. */
const loginPrivilegesArb = fc.oneof(
  { weight: 4, arbitrary: privilegesArb([1, 2, 3], 1).map((p) => (p.some(([k]) => k === 1) ? p : [[1, 0] as [number, number], ...p])) },
  { weight: 1, arbitrary: privilegesArb([2, 3], 0) },
);

/** RTM services: usually with the login privilege, sometimes with others only. */
const rtmSpecArb: fc.Arbitrary<ServiceSpec> = fc.record({
  type: fc.constant(SERVICE_TYPE.rtm),
  privileges: loginPrivilegesArb,
  userId: uidArb,
});

/** RTM2 resource names: short (tokens stay under the 2048-character limit), any text, `*`. */
const resourceNameArb = fc.oneof(fc.constant("*"), uidArb.map((s) => limitUtf8(s, 16)), fc.string({ unit: "grapheme-ascii", minLength: 0, maxLength: 12 }));

/**
 * RTM2 grants as Agora's `Rtm2Permissions` holds them: resource types and permission types
 * unique and ascending (it is a map), at least one permission per resource type, any resources.
 */
const rtm2GrantsArb: fc.Arbitrary<Rtm2Grant[]> = fc
  .uniqueArray(
    fc.record({
      resourceType: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
      permissions: fc
        .uniqueArray(
          fc.record({
            permType: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
            resources: fc.array(resourceNameArb, { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 3, selector: (p) => p.permType },
        )
        .map((ps) => ps.sort((a, b) => a.permType - b.permType)),
    }),
    { maxLength: 4, selector: (g) => g.resourceType },
  )
  .map((gs) => gs.sort((a, b) => a.resourceType - b.resourceType));

const rtm2SpecArb: fc.Arbitrary<ServiceSpec> = fc.record({
  type: fc.constant(SERVICE_TYPE.rtm2),
  privileges: loginPrivilegesArb,
  userId: uidArb,
  permissions: rtm2GrantsArb,
});

/** The other service types of agora-token 2.0.6 (3–7, 9, 10), as they pack them. */
const otherSpecArb: fc.Arbitrary<ServiceSpec> = fc.oneof(
  fc.record({ type: fc.constant(SERVICE_TYPE.streaming), privileges: privilegesArb([1, 2], 0), channelName: channelArb, account: fc.oneof(fc.nat().map(String), uidArb) }),
  fc.record({ type: fc.constant(SERVICE_TYPE.fpa), privileges: privilegesArb([1], 0) }),
  fc.record({ type: fc.constant(SERVICE_TYPE.chat), privileges: privilegesArb([1, 2], 0), userId: uidArb }),
  fc.record({ type: fc.constant(SERVICE_TYPE.fcdn), privileges: privilegesArb([1, 2], 0), channelName: channelArb, account: fc.oneof(fc.nat().map(String), uidArb) }),
  fc.record({
    type: fc.constant(SERVICE_TYPE.apaas),
    privileges: privilegesArb([1, 2, 3], 0),
    roomUuid: channelArb,
    userUuid: channelArb,
    // Their constructor turns role 0 into -1 (`role || -1`), so 0 is left to the unit tests.
    role: fc.integer({ min: -32768, max: 32767 }).filter((r) => r !== 0),
  }),
  fc.record({ type: fc.constant(SERVICE_TYPE.convoai), privileges: privilegesArb([1], 0) }),
  fc.record({ type: fc.constant(SERVICE_TYPE.stt), privileges: privilegesArb([1], 0) }),
);

/** The login privilege of a spec, or undefined. */
function loginPrivilege(s: ServiceSpec): number | undefined {
  return [...s.privileges].find(([k]) => k === RTM_LOGIN_007)?.[1];
}

/**
 * The expected login of a token holding `services` in token order (docs/token-services.md):
 * the first type 2 and the first type 8 with the login privilege; both must name the uid; the
 * earlier non-zero login privilege counts. Null when nothing grants the login.
 */
function expectedLogin(services: readonly ServiceSpec[]): { userIds: string[]; privilege: number } | null {
  const rtm = services.find((s) => s.type === SERVICE_TYPE.rtm && loginPrivilege(s) !== undefined);
  const rtm2 = services.find((s) => s.type === SERVICE_TYPE.rtm2 && loginPrivilege(s) !== undefined);
  const grants = [rtm, rtm2].filter((s): s is Extract<ServiceSpec, { userId: string }> => s !== undefined && "userId" in s);
  if (grants.length === 0) return null;
  const limits = grants.map((s) => loginPrivilege(s) ?? 0).filter((p) => p !== 0);
  return { userIds: grants.map((s) => s.userId), privilege: limits.length === 0 ? 0 : Math.min(...limits) };
}

describe("ours → theirs: our tokens match the official builders and decode with their parser", () => {
  it("006 build006 / buildRtmToken are byte-identical to agora-access-token (and agora-token's copy)", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          uid: uidArb,
          salt: u32,
          issueTs: fc.integer({ min: 0, max: U32_MAX - 86_400 }),
          expireFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          zeroExpire: fc.boolean(),
          ts: u32,
          privilege: privilege006Arb,
          channel: channelArb,
          rtcUid: fc.oneof(fc.constant(""), fc.nat().map(String), uidArb),
          rtcPrivileges: privilegesArb([1, 2, 3, 4, 101, 1000], 0).map((p) => p.map(([k, v]) => [k, v] as [number, number])),
        }),
        ({ appId, cert, uid, salt, issueTs, expireFraction, zeroExpire, ts, privilege, channel, rtcUid, rtcPrivileges }) => {
          // build006 in the RTM layout.
          const ours = build006({ appId, certificate: cert, channel: uid, uid: "", salt, ts, privileges: [[RTM_LOGIN_006, privilege]] });
          expect(ours).toBe(theirs006(AccessToken006Aat, appId, cert, uid, salt, ts, privilege));
          expect(ours).toBe(theirs006(AccessToken006At, appId, cert, uid, salt, ts, privilege));

          // buildRtmToken("006"): RtmTokenBuilder semantics, ts = issueTs + 24 h, privilege absolute.
          const expireSeconds = zeroExpire ? 0 : Math.floor(expireFraction * (U32_MAX - issueTs));
          const rtm = buildRtmToken({ version: "006", appId, certificate: cert, uid, expireSeconds, issueTs, salt });
          const rtmPrivilege = expireSeconds === 0 ? 0 : issueTs + expireSeconds;
          expect(rtm).toBe(theirs006(AccessToken006Aat, appId, cert, uid, salt, issueTs + 86_400, rtmPrivilege));
          const r = verify(rtm, appId, uid, [cert], issueTs);
          expect(r.valid && r.token.expiresAt).toBe(rtmPrivilege === 0 ? issueTs + 86_400 : Math.min(issueTs + 86_400, rtmPrivilege));

          // Any 006 layout: channel and uid slots, several privileges.
          const their = new AccessToken006Aat(appId, cert, channel, rtcUid);
          their.salt = salt;
          their.ts = ts;
          for (const [k, v] of rtcPrivileges) their.addPriviledge(k, v);
          expect(build006({ appId, certificate: cert, channel, uid: rtcUid, salt, ts, privileges: rtcPrivileges })).toBe(their.build());
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("007 buildRtmToken / build007 decode with AccessToken2.from_string, pass verifySignature, and verify with ours", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          otherCert: hex32,
          uid: uidArb,
          issueTs: u32,
          expire: lifetimeArb,
          salt: salt007,
          services: fc.array(fc.oneof(rtcSpecArb, rtmSpecArb, rtm2SpecArb, otherSpecArb), { minLength: 1, maxLength: 4 }),
        }),
        ({ appId, cert, otherCert, uid, issueTs, expire, salt, services }) => {
          // buildRtmToken("007"): one RTM service, privilege = token expire.
          const rtm = buildRtmToken({ version: "007", appId, certificate: cert, uid, expireSeconds: expire, issueTs, salt });
          const decoded = theirDecode(rtm);
          expect({
            appId: text(decoded.appId),
            issueTs: decoded.issueTs,
            expire: decoded.expire,
            salt: decoded.salt,
            services: decoded.services.map(theirService),
          }).toEqual({ appId, issueTs, expire, salt, services: [{ type: 2, privileges: [[RTM_LOGIN_007, expire]], userId: uid }] });
          expect(decoded.verifySignature(cert)).toBe(true);
          if (otherCert !== cert) expect(decoded.verifySignature(otherCert)).toBe(false);
          if (swapCase(cert) !== cert) expect(decoded.verifySignature(swapCase(cert))).toBe(false);
          // Their builder (which cannot take issueTs 0) gives the same string.
          if (issueTs !== 0) expect(theirs007Rtm(appId, cert, uid, issueTs, expire, salt, expire)).toBe(rtm);
          const r = verify(rtm, appId, uid, [cert], issueTs);
          expect(r.valid && { expiresAt: r.token.expiresAt, privilegeExpiresAt: r.token.privilegeExpiresAt }).toEqual({
            expiresAt: issueTs + expire,
            privilegeExpiresAt: expire === 0 ? null : issueTs + expire,
          });

          // build007 with any mix of RTC and RTM services: sorted by type, stable within a type.
          const token = build007({ appId, certificate: cert, issueTs, expire, salt, services });
          const sorted = services.map((s, i) => ({ s, i })).sort((a, b) => a.s.type - b.s.type || a.i - b.i).map((e) => e.s);
          const theirs = theirDecode(token);
          expect({
            appId: text(theirs.appId),
            issueTs: theirs.issueTs,
            expire: theirs.expire,
            salt: theirs.salt,
            services: theirs.services.map(theirService),
          }).toEqual({ appId, issueTs, expire, salt, services: sorted.map(ourService) });
          expect(theirs.verifySignature(cert)).toBe(true);
          if (otherCert !== cert) expect(theirs.verifySignature(otherCert)).toBe(false);
          if (issueTs !== 0) expect(theirs007(appId, cert, issueTs, expire, salt, services)).toBe(token);

          // Ours: the first type-2 and the first type-8 service holding the login privilege
          // (docs/token-services.md); both must name the uid, the earlier limit counts.
          const login = expectedLogin(sorted);
          if (login === null) {
            expect(outcome(verify(token, appId, uid, [cert], issueTs))).toBe("not_rtm_token");
          } else if (new Set(login.userIds).size > 1) {
            for (const userId of login.userIds) expect(outcome(verify(token, appId, userId, [cert], issueTs))).toBe("uid_mismatch");
          } else {
            const userId = login.userIds[0] as string;
            const tokenExpiresAt = issueTs + expire;
            const privilegeExpiresAt = login.privilege === 0 ? null : issueTs + login.privilege;
            const v = verify(token, appId, userId, [cert], issueTs);
            expect(validSummary(v)).toEqual({
              valid: true,
              slot: "primary",
              version: "007",
              appId,
              uid: userId,
              issuedAt: issueTs,
              tokenExpiresAt,
              privilegeExpiresAt,
              expiresAt: privilegeExpiresAt === null ? tokenExpiresAt : Math.min(tokenExpiresAt, privilegeExpiresAt),
              salt,
            });
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// RTM2 (type 8), both ways
// ---------------------------------------------------------------------------------------------

/** Lifetimes within a day, so no lifetime cap changes what these properties check. */
const dayLifetimeArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 86_400 }));

describe("RTM2 (type 8) tokens: agora-token's builder and ours, both ways", () => {
  it("theirs → ours: RtmTokenBuilder2.buildTokenWithPermissions logs in with ours, and our builder rebuilds it byte for byte", () => {
    const wall = (): number => Math.floor(Date.now() / 1000);
    fc.assert(
      fc.property(
        fc.record({ appId: hex32, cert: hex32, otherCert: hex32, uid: uidArb, otherUid: uidArb, grants: rtm2GrantsArb, expire: dayLifetimeArb, seed: seedArb }),
        ({ appId, cert, otherCert, uid, otherUid, grants, expire, seed }) => {
          const before = wall();
          const token = RtmTokenBuilder2.buildTokenWithPermissions(appId, cert, uid, theirPermissions(grants), expire);
          const after = wall();
          const t = parse007(token);
          expect(t.issueTs).toBeGreaterThanOrEqual(before);
          expect(t.issueTs).toBeLessThanOrEqual(after);
          expect({ appId: t.appId, expire: t.expire, serviceCount: t.serviceCount, unknown: t.unknownServiceType, trailingBytes: t.trailingBytes }).toEqual({
            appId,
            expire,
            serviceCount: 1,
            unknown: null,
            trailingBytes: 0,
          });
          expect(
            t.services.map((s) => ({ type: s.type, name: s.name, privileges: s.privileges, userId: (s.fields["userId"] as Buffer).toString("utf8"), permissions: s.fields["permissions"] })),
          ).toEqual([{ type: SERVICE_TYPE.rtm2, name: "rtm2", privileges: [[RTM_LOGIN_007, expire]], userId: uid, permissions: grants }]);
          expect(buildRtmToken({ version: "007", appId, certificate: cert, uid, expireSeconds: expire, issueTs: t.issueTs, salt: t.salt, permissions: grants })).toBe(token);

          const expiresAt = t.issueTs + expire;
          const now = t.issueTs + (seed % (expire + 1));
          expect(validSummary(verify(token, appId, uid, [cert], now))).toEqual({
            valid: true,
            slot: "primary",
            version: "007",
            appId,
            uid,
            issuedAt: t.issueTs,
            tokenExpiresAt: expiresAt,
            privilegeExpiresAt: expire === 0 ? null : expiresAt,
            expiresAt,
            salt: t.salt,
          });
          expectBoundaryAndRefusals({
            token,
            appId,
            uid,
            otherUid,
            cert,
            otherCert,
            now,
            expiresAt,
            tokenExpiresAt: expiresAt,
            privilegeExpiresAt: expire === 0 ? null : expiresAt,
            wrongUid: "uid_mismatch",
          });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("theirs → ours: an RTM and an RTM2 login service in one token log in only a uid both name, until the earlier limit", () => {
    fc.assert(
      fc.property(
        fc.record({
          appId: hex32,
          cert: hex32,
          issueTs: issueTsTheirs.filter((t) => t <= U32_MAX - 2 * 86_400),
          expire: fc.integer({ min: 1, max: 86_400 }),
          salt: salt007,
          rtmUser: uidArb,
          rtm2User: fc.option(uidArb, { nil: undefined }),
          rtmLogin: fc.boolean(),
          rtmPrivilege: dayLifetimeArb,
          rtm2Privilege: dayLifetimeArb,
          grants: rtm2GrantsArb,
        }),
        ({ appId, cert, issueTs, expire, salt, rtmUser, rtm2User, rtmLogin, rtmPrivilege, rtm2Privilege, grants }) => {
          const rtm2UserId = rtm2User ?? rtmUser; // undefined: the same user in both
          const t = new AccessToken2(appId, cert, issueTs, expire);
          t.salt = salt;
          const rtm = new ServiceRtm(rtmUser);
          // Without the login privilege the type-2 service grants nothing: type 8 alone decides.
          rtm.add_privilege(rtmLogin ? RTM_LOGIN_007 : 2, rtmPrivilege);
          const rtm2 = new ServiceRtm2(rtm2UserId, theirPermissions(grants));
          rtm2.add_privilege(RTM_LOGIN_007, rtm2Privilege);
          t.add_service(rtm2); // added first: the builder still packs type 2 before type 8
          t.add_service(rtm);
          const token = t.build();
          expect(parse007(token).services.map((s) => s.type)).toEqual([SERVICE_TYPE.rtm, SERVICE_TYPE.rtm2]);

          const limits = (rtmLogin ? [rtmPrivilege, rtm2Privilege] : [rtm2Privilege]).filter((p) => p !== 0);
          const privilegeExpiresAt = limits.length === 0 ? null : issueTs + Math.min(...limits);
          const tokenExpiresAt = issueTs + expire;
          const expiresAt = privilegeExpiresAt === null ? tokenExpiresAt : Math.min(tokenExpiresAt, privilegeExpiresAt);
          const agree = !rtmLogin || rtmUser === rtm2UserId;
          if (agree) {
            expect(validSummary(verify(token, appId, rtm2UserId, [cert], issueTs))).toEqual({
              valid: true,
              slot: "primary",
              version: "007",
              appId,
              uid: rtm2UserId,
              issuedAt: issueTs,
              tokenExpiresAt,
              privilegeExpiresAt,
              expiresAt,
              salt,
            });
            expect(outcome(verify(token, appId, rtm2UserId, [cert], expiresAt))).toBe("valid");
            const after = privilegeExpiresAt !== null && privilegeExpiresAt < tokenExpiresAt ? "privilege_expired" : "token_expired";
            expect(outcome(verify(token, appId, rtm2UserId, [cert], expiresAt + 1))).toBe(after);
          } else {
            expect(outcome(verify(token, appId, rtmUser, [cert], issueTs))).toBe("uid_mismatch");
            expect(outcome(verify(token, appId, rtm2UserId, [cert], issueTs))).toBe("uid_mismatch");
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("ours → theirs: buildRtmToken with permissions decodes with ServiceRtm2.unpack, passes verifySignature, and equals their build", () => {
    fc.assert(
      fc.property(
        fc.record({ appId: hex32, cert: hex32, otherCert: hex32, uid: uidArb, issueTs: issueTsTheirs, expire: lifetimeArb, salt: salt007, grants: rtm2GrantsArb }),
        ({ appId, cert, otherCert, uid, issueTs, expire, salt, grants }) => {
          const ours = buildRtmToken({ version: "007", appId, certificate: cert, uid, expireSeconds: expire, issueTs, salt, permissions: grants });
          const decoded = theirDecode(ours);
          expect({ issueTs: decoded.issueTs, expire: decoded.expire, salt: decoded.salt, services: decoded.services.map(theirService) }).toEqual({
            issueTs,
            expire,
            salt,
            services: [{ type: SERVICE_TYPE.rtm2, privileges: [[RTM_LOGIN_007, expire]], userId: uid, permissions: grants }],
          });
          expect(decoded.verifySignature(cert)).toBe(true);
          if (otherCert !== cert) expect(decoded.verifySignature(otherCert)).toBe(false);
          // `buildTokenWithPermissions` with its clock and salt fixed is AccessToken2 + ServiceRtm2.
          const theirs = new AccessToken2(appId, cert, issueTs, expire);
          theirs.salt = salt;
          const svc = new ServiceRtm2(uid, theirPermissions(grants));
          svc.add_privilege(RTM_LOGIN_007, expire);
          theirs.add_service(svc);
          expect(theirs.build()).toBe(ours);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
