import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type { ActiveCertificate, CertificateSlot } from "../../certificate/active-certificate.js";
import { macEqualsLatin1 } from "../codec/constant-time.js";
import { cappedTokenExpiry, lifetimeCapAt, TS_AFTER_ISSUE_006 } from "../lifetime-cap.js";
import type { ParsedToken006 } from "../parsed-token.js";
import type { VerifyRequest } from "../verify-request.js";
import type { VerifyResult } from "../verified-token.js";
import { macInput006 } from "./mac.js";
import { rtcJoinPrivilege } from "./rtc-join.js";
import { parse006Token } from "./parse.js";

/** The 006 RTM login privilege id (kRtmLogin). */
export const PRIVILEGE_RTM_LOGIN = 1000;

/** The value of the last entry with `key` (the official parsers build an object: last wins). */
export function privilegeValue(privileges: ParsedToken006["privileges"], key: number): number | undefined {
  let value: number | undefined;
  for (const [k, v] of privileges) if (k === key) value = v;
  return value;
}

/**
 * The HMAC key of each certificate object verified with, made once. Keyed with the string,
 * `createHmac` encodes it to bytes again on every call; a `KeyObject`
 * holds the same bytes, the certificate's UTF-8 (its ASCII). The map is weak, so a key lives as long
 * as its certificate object: the store builds new objects when certificates change, and a retired
 * certificate stays here no longer than anywhere else.
 */
const hmacKeys = new WeakMap<ActiveCertificate, { readonly value: string; readonly key: KeyObject }>();

function hmacKey(cert: ActiveCertificate): KeyObject {
  const made = hmacKeys.get(cert);
  // The value is compared too: a caller outside TypeScript may reuse one object for another certificate.
  if (made !== undefined && made.value === cert.value) return made.key;
  const key = createSecretKey(Buffer.from(cert.value, "utf8"));
  hmacKeys.set(cert, { value: cert.value, key });
  return key;
}

/** Verifies a 006 token after the common pre-checks (docs/tokens.md, "The checks, in order"). */
export function verify006(req: VerifyRequest): VerifyResult {
  const t = parse006Token(req.token);
  if (typeof t === "string") return { valid: false, reason: "malformed", detail: t, parsed: null };

  if (t.appId !== req.appId) return { valid: false, reason: "app_id_mismatch", detail: "006 App ID differs", parsed: t };

  let slot: CertificateSlot | null = null;
  const input = macInput006(t.appId, req.uid, t.message);
  for (const cert of req.certificates) {
    // Read as latin1: a digest Buffer would be a native allocation of its own (constant-time.ts).
    if (macEqualsLatin1(createHmac("sha256", hmacKey(cert)).update(input).digest("binary"), t.signature)) {
      slot = cert.slot;
      break;
    }
  }
  if (slot === null) {
    // An RTC token signs a channel and a uid, not the RTM account: its MAC fails for that reason,
    // not because of the certificate, and the detail says so (docs/hints.md, rtc_token).
    const rtc = t.privileges.length > 0 && privilegeValue(t.privileges, PRIVILEGE_RTM_LOGIN) === undefined;
    const detail = rtc ? "006 RTC token (no RTM login privilege 1000): its MAC covers an RTC channel and uid, not this RTM account" : "no active certificate reproduces the 006 MAC";
    return { valid: false, reason: "invalid_signature", detail, parsed: t };
  }

  // The observed rule may read an RTC token for channel = uid as an RTM one (docs/fidelity.md).
  const privilege = privilegeValue(t.privileges, PRIVILEGE_RTM_LOGIN) ?? (req.accept006RtcJoin === true ? rtcJoinPrivilege(t, req.uid) : undefined);
  if (privilege === undefined) {
    return { valid: false, reason: "not_rtm_token", detail: "006 token has no privilege 1000", parsed: t };
  }
  // The lifetime cap shortens the token's own lifetime, counted from ts - 86400 (docs/token-lifetime.md).
  const cappedTs = cappedTokenExpiry(t.ts, lifetimeCapAt(t.ts - TS_AFTER_ISSUE_006, req.maxLifetimeSeconds));
  if (req.now > cappedTs) {
    const detail = cappedTs < t.ts ? `006 ts ${t.ts} capped to ts - 86400 + ${req.maxLifetimeSeconds} s = ${cappedTs} < now ${req.now}` : `006 ts ${t.ts} < now ${req.now}`;
    return { valid: false, reason: "token_expired", detail, parsed: t };
  }
  // 0 = no privilege-level limit; `ignore` mode: only ts counts, as Agora's RTM service did (docs/fidelity.md, "The switches").
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
      expiresAt: privilegeExpiresAt === null ? cappedTs : Math.min(cappedTs, privilegeExpiresAt),
      salt: t.salt,
    },
  };
}
