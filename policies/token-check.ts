/**
 * The token check as the behaviour switches make it (docs/fidelity.md): the verifier of
 * docs/tokens.md with the 006 switches, then the check order. One function, so the login policy
 * and `rtm-auth token verify --fidelity` give the same answer for the same switches.
 */
import type { TokenReason } from "../core/errors.js";
import { expiryReason } from "../core/token/expiry-reason.js";
import { verifyToken } from "../core/token/verifier-registry.js";
import type { VerifyResult } from "../core/token/verified-token.js";
import type { VerifyRequest } from "../core/token/verify-request.js";

/** The switches that change a token's verdict; PolicySettings carries them, and so does each preset. */
export interface TokenSwitches {
  readonly checkOrder: "spec" | "legacy";
  readonly privilege006: "enforce" | "ignore";
  readonly accept006RtcAsRtm: boolean;
}

/** The binding failures the legacy order reports an expiry in front of (AgoraIO/Tools #234). */
const LEGACY_REPORTS_EXPIRY_BEFORE: ReadonlySet<TokenReason> = new Set(["invalid_signature", "uid_mismatch", "not_rtm_token"]);

/**
 * Verifies `req` with the switches (their values replace any `privilege006` in `req`). Under the
 * `legacy` order, a token refused for its signature, uid binding or RTM grant whose token or RTM
 * privilege time has passed is refused for that expiry instead (`token_expired`,
 * `privilege_expired`), the detail naming both. The legacy order reads the privilege time as
 * written even when `privilege006` is `ignore`: that pair is what the two reports behind the
 * observed preset show together (docs/fidelity.md). A pure function: no clock, no store.
 */
export function checkToken(req: VerifyRequest, switches: TokenSwitches): VerifyResult {
  // A request that already carries the switches (the login policy builds it so) is used as is: no copy per login.
  const withSwitches =
    req.privilege006 === switches.privilege006 && req.accept006RtcJoin === switches.accept006RtcAsRtm
      ? req
      : { ...req, privilege006: switches.privilege006, accept006RtcJoin: switches.accept006RtcAsRtm };
  const r = verifyToken(withSwitches);
  if (r.valid || switches.checkOrder !== "legacy" || r.parsed === null || !LEGACY_REPORTS_EXPIRY_BEFORE.has(r.reason)) return r;
  const expired = expiryReason(r.parsed, req.now, req.maxLifetimeSeconds);
  if (expired === null) return r;
  return { valid: false, reason: expired, detail: `legacy order: ${expired} reported before ${r.reason}`, parsed: r.parsed };
}
