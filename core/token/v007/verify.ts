import type { CertificateSlot } from "../../certificate/active-certificate.js";
import { macEqualsLatin1 } from "../codec/constant-time.js";
import type { ParsedToken007, Service007 } from "../parsed-token.js";
import { cappedTokenExpiry, lifetimeCapAt } from "../lifetime-cap.js";
import { DEFAULT_TOKEN_LIMITS } from "../token-limits.js";
import type { VerifyRequest } from "../verify-request.js";
import type { VerifyResult } from "../verified-token.js";
import { mac007Latin1 } from "./mac.js";
import { parse007 } from "./parse.js";
import { RTM2_PRIVILEGE_LOGIN, RTM_PRIVILEGE_LOGIN, SERVICE_TYPE } from "./services.js";

/** The value of the last entry with `key` in a privilege map, or undefined. */
function privilegeValue(privileges: Service007["privileges"], key: number): number | undefined {
  let value: number | undefined;
  for (const [k, v] of privileges) if (k === key) value = v;
  return value;
}

/**
 * What grants the RTM login in a 007 token (docs/token-services.md, "Which services log in"):
 * the first RTM (type 2) service holding privilege 1 and the first RTM2 (type 8) service holding
 * privilege 1, in token order; at least one of the two is there. Both must name the login uid.
 */
export interface RtmLogin007 {
  /** The first type-2 service with the login privilege, or null. */
  readonly rtm: Service007 | null;
  /** Its login privilege, seconds after issueTs (0 = no privilege-level limit); 0 without it. */
  readonly rtmPrivilege: number;
  /** The first type-8 service with the login privilege, or null. */
  readonly rtm2: Service007 | null;
  /** Its login privilege, seconds after issueTs (0 = no privilege-level limit); 0 without it. */
  readonly rtm2Privilege: number;
  /**
   * The login privilege that counts, seconds after issueTs: the earlier of the two when both
   * limit the login, the one that does otherwise, 0 when neither does.
   */
  readonly privilege: number;
}

/** The services that grant the RTM login (see {@link RtmLogin007}), or null when none does. */
export function rtmLogin007(t: ParsedToken007): RtmLogin007 | null {
  let rtm: Service007 | null = null;
  let rtmPrivilege = 0;
  let rtm2: Service007 | null = null;
  let rtm2Privilege = 0;
  for (const service of t.services) {
    if (service.type === SERVICE_TYPE.rtm && rtm === null) {
      const p = privilegeValue(service.privileges, RTM_PRIVILEGE_LOGIN);
      if (p !== undefined) {
        rtm = service;
        rtmPrivilege = p;
      }
    } else if (service.type === SERVICE_TYPE.rtm2 && rtm2 === null) {
      const p = privilegeValue(service.privileges, RTM2_PRIVILEGE_LOGIN);
      if (p !== undefined) {
        rtm2 = service;
        rtm2Privilege = p;
      }
    }
  }
  if (rtm === null && rtm2 === null) return null;
  const privilege = rtmPrivilege === 0 ? rtm2Privilege : rtm2Privilege === 0 ? rtmPrivilege : Math.min(rtmPrivilege, rtm2Privilege);
  return { rtm, rtmPrivilege, rtm2, rtm2Privilege, privilege };
}

/**
 * The first service, in token order, that grants the RTM login (type 2 or type 8 holding
 * privilege 1), with the login privilege that counts for the whole token
 * ({@link RtmLogin007.privilege}); null when none does.
 */
export function rtmLoginService(t: ParsedToken007): { service: Service007; privilege: number } | null {
  const login = rtmLogin007(t);
  if (login === null) return null;
  const first = login.rtm === null || (login.rtm2 !== null && t.services.indexOf(login.rtm2) < t.services.indexOf(login.rtm)) ? login.rtm2 : login.rtm;
  return { service: first as Service007, privilege: login.privilege };
}

/** True when `service`'s userId is non-empty and equals the login uid's UTF-8 byte for byte. */
function namesUid(service: Service007 | null, uid: string): boolean {
  if (service === null) return true;
  const userId = service.fields["userId"] as Buffer;
  return userId.length > 0 && equalsUtf8(userId, uid);
}

/**
 * True when `bytes` are exactly the UTF-8 encoding of `s`. An ASCII `s` (the usual uid) is
 * compared character by character, with no encoded copy; any other is encoded first (a lone
 * surrogate becomes U+FFFD, as `Buffer.from` does).
 */
export function equalsUtf8(bytes: Uint8Array, s: string): boolean {
  const n = s.length;
  if (bytes.length < n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return Buffer.from(s, "utf8").equals(bytes);
    if (bytes[i] !== c) return false;
  }
  return bytes.length === n;
}

/** Verifies a 007 token after the common pre-checks (docs/tokens.md, "The checks, in order"). */
export function verify007(req: VerifyRequest): VerifyResult {
  const parsed = parse007(req.token, (req.limits ?? DEFAULT_TOKEN_LIMITS).maxInflatedBytes);
  if (!parsed.ok) return { valid: false, reason: "malformed", detail: parsed.detail, parsed: null };
  const t = parsed.token;

  if (t.appId !== req.appId) return { valid: false, reason: "app_id_mismatch", detail: "007 App ID differs", parsed: t };

  let slot: CertificateSlot | null = null;
  for (const cert of req.certificates) {
    if (macEqualsLatin1(mac007Latin1(cert.value, t.issueTs, t.salt, t.signingInfo), t.signature)) {
      slot = cert.slot;
      break;
    }
  }
  if (slot === null) {
    return { valid: false, reason: "invalid_signature", detail: "no active certificate reproduces the 007 MAC", parsed: t };
  }

  const login = rtmLogin007(t);
  if (login === null) {
    return { valid: false, reason: "not_rtm_token", detail: "007 token has no RTM (type 2) or RTM2 (type 8) service with the login privilege", parsed: t };
  }
  // Byte-exact: no normalisation, no trimming; an empty userId is no wildcard (docs/tokens.md, "The RTM grant and the uid"). A token
  // with both an RTM and an RTM2 login service logs in only a uid both of them name.
  const uid = req.uid;
  if (!namesUid(login.rtm, uid)) {
    return { valid: false, reason: "uid_mismatch", detail: "007 RTM userId differs from the login uid", parsed: t };
  }
  if (!namesUid(login.rtm2, uid)) {
    return { valid: false, reason: "uid_mismatch", detail: "007 RTM2 userId differs from the login uid", parsed: t };
  }

  const tokenExpiresAt = t.issueTs + t.expire;
  // The lifetime cap shortens the token's own lifetime (docs/token-lifetime.md).
  const cappedExpiresAt = cappedTokenExpiry(tokenExpiresAt, lifetimeCapAt(t.issueTs, req.maxLifetimeSeconds));
  if (req.now > cappedExpiresAt) {
    const detail =
      cappedExpiresAt < tokenExpiresAt
        ? `007 expiry ${tokenExpiresAt} capped to issueTs + ${req.maxLifetimeSeconds} s = ${cappedExpiresAt} < now ${req.now}`
        : `007 expiry ${tokenExpiresAt} < now ${req.now}`;
    return { valid: false, reason: "token_expired", detail, parsed: t };
  }
  const privilegeExpiresAt = login.privilege === 0 ? null : t.issueTs + login.privilege;
  if (privilegeExpiresAt !== null && req.now > privilegeExpiresAt) {
    return { valid: false, reason: "privilege_expired", detail: `007 privilege expiry ${privilegeExpiresAt} < now ${req.now}`, parsed: t };
  }

  return {
    valid: true,
    slot,
    parsed: t,
    token: {
      version: "007",
      appId: t.appId,
      uid: req.uid,
      issuedAt: t.issueTs,
      tokenExpiresAt,
      privilegeExpiresAt,
      expiresAt: privilegeExpiresAt === null ? cappedExpiresAt : Math.min(cappedExpiresAt, privilegeExpiresAt),
      salt: t.salt,
    },
  };
}
