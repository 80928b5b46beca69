import type { CertificateSlot } from "../../certificate/active-certificate.js";
import { macEquals } from "../codec/constant-time.js";
import type { ParsedToken006 } from "../parsed-token.js";
import type { VerifyRequest } from "../verify-request.js";
import type { VerifyResult } from "../verified-token.js";
import { mac006Raw } from "./mac.js";
import { parse006 } from "./parse.js";

/** The 006 RTM login privilege id (kRtmLogin). */
export const PRIVILEGE_RTM_LOGIN = 1000;

/** The value of the last entry with `key` (the official parsers build an object: last wins). */
export function privilegeValue(privileges: ParsedToken006["privileges"], key: number): number | undefined {
  let value: number | undefined;
  for (const [k, v] of privileges) if (k === key) value = v;
  return value;
}

/** Verifies a 006 token after the common pre-checks (token-formats.md §4.3–§4.6). */
export function verify006(req: VerifyRequest): VerifyResult {
  const parsed = parse006(req.token);
  if (!parsed.ok) return { valid: false, reason: "malformed", detail: parsed.detail, parsed: null };
  const t = parsed.token;

  if (t.appId !== req.appId) return { valid: false, reason: "app_id_mismatch", detail: "006 App ID differs", parsed: t };

  let slot: CertificateSlot | null = null;
  for (const cert of req.certificates) {
    if (macEquals(mac006Raw(cert.value, t.appId, req.uid, "", t.message), t.signature)) {
      slot = cert.slot;
      break;
    }
  }
  if (slot === null) {
    return { valid: false, reason: "invalid_signature", detail: "no active certificate reproduces the 006 MAC", parsed: t };
  }

  const privilege = privilegeValue(t.privileges, PRIVILEGE_RTM_LOGIN);
  if (privilege === undefined) {
    return { valid: false, reason: "not_rtm_token", detail: "006 token has no privilege 1000", parsed: t };
  }
  if (req.now > t.ts) return { valid: false, reason: "token_expired", detail: `006 ts ${t.ts} < now ${req.now}`, parsed: t };
  // 0 = no privilege-level limit; `ignore` mode: only ts counts, as Agora's RTM service did (§2.7).
  const privilegeExpiresAt = privilege === 0 || req.privilege006 === "ignore" ? null : privilege;
  if (privilegeExpiresAt !== null && req.now > privilegeExpiresAt) {
    return { valid: false, reason: "privilege_expired", detail: `006 privilege ${privilege} < now ${req.now}`, parsed: t };
  }

  return {
    valid: true,
    slot,
    parsed: t,
    token: {
      version: "006",
      appId: t.appId,
      uid: req.uid,
      issuedAt: null,
      tokenExpiresAt: t.ts,
      privilegeExpiresAt,
      expiresAt: privilegeExpiresAt === null ? t.ts : Math.min(t.ts, privilegeExpiresAt),
      salt: t.salt,
    },
  };
}
