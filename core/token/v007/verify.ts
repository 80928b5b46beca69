import type { CertificateSlot } from "../../certificate/active-certificate.js";
import { macEquals } from "../codec/constant-time.js";
import type { ParsedToken007, Service007 } from "../parsed-token.js";
import { DEFAULT_TOKEN_LIMITS } from "../token-limits.js";
import type { VerifyRequest } from "../verify-request.js";
import type { VerifyResult } from "../verified-token.js";
import { mac007 } from "./mac.js";
import { parse007 } from "./parse.js";
import { RTM_PRIVILEGE_LOGIN, SERVICE_TYPE } from "./services.js";

/** The value of the last entry with `key` in a privilege map, or undefined. */
function privilegeValue(privileges: Service007["privileges"], key: number): number | undefined {
  let value: number | undefined;
  for (const [k, v] of privileges) if (k === key) value = v;
  return value;
}

/** The first type-2 (RTM) service whose privileges hold the login privilege (token-formats.md §4.5). */
export function rtmLoginService(t: ParsedToken007): { service: Service007; privilege: number } | null {
  for (const service of t.services) {
    if (service.type !== SERVICE_TYPE.rtm) continue;
    const privilege = privilegeValue(service.privileges, RTM_PRIVILEGE_LOGIN);
    if (privilege !== undefined) return { service, privilege };
  }
  return null;
}

/** Verifies a 007 token after the common pre-checks (token-formats.md §4.3–§4.6). */
export function verify007(req: VerifyRequest): VerifyResult {
  const parsed = parse007(req.token, (req.limits ?? DEFAULT_TOKEN_LIMITS).maxInflatedBytes);
  if (!parsed.ok) return { valid: false, reason: "malformed", detail: parsed.detail, parsed: null };
  const t = parsed.token;

  if (t.appId !== req.appId) return { valid: false, reason: "app_id_mismatch", detail: "007 App ID differs", parsed: t };

  let slot: CertificateSlot | null = null;
  for (const cert of req.certificates) {
    if (macEquals(mac007(cert.value, t.issueTs, t.salt, t.signingInfo), t.signature)) {
      slot = cert.slot;
      break;
    }
  }
  if (slot === null) {
    return { valid: false, reason: "invalid_signature", detail: "no active certificate reproduces the 007 MAC", parsed: t };
  }

  const rtm = rtmLoginService(t);
  if (rtm === null) {
    return { valid: false, reason: "not_rtm_token", detail: "007 token has no RTM service with the login privilege", parsed: t };
  }
  const userId = rtm.service.fields["userId"] as Buffer;
  // Byte-exact: no normalisation, no trimming; an empty userId is no wildcard (§4.5).
  if (userId.length === 0 || !userId.equals(Buffer.from(req.uid, "utf8"))) {
    return { valid: false, reason: "uid_mismatch", detail: "007 RTM userId differs from the login uid", parsed: t };
  }

  const tokenExpiresAt = t.issueTs + t.expire;
  if (req.now > tokenExpiresAt) {
    return { valid: false, reason: "token_expired", detail: `007 expiry ${tokenExpiresAt} < now ${req.now}`, parsed: t };
  }
  const privilegeExpiresAt = rtm.privilege === 0 ? null : t.issueTs + rtm.privilege;
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
      expiresAt: privilegeExpiresAt === null ? tokenExpiresAt : Math.min(tokenExpiresAt, privilegeExpiresAt),
      salt: t.salt,
    },
  };
}
