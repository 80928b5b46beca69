import type { TokenReason } from "../errors.js";
import { cappedTokenExpiry, issueTime, lifetimeCapAt } from "./lifetime-cap.js";
import type { ParsedToken } from "./parsed-token.js";
import { PRIVILEGE_RTM_LOGIN } from "./v006/verify.js";
import { rtmLoginService } from "./v007/verify.js";

/**
 * The expiry verdict of a decoded (not necessarily verified) token at `now`: token_expired,
 * privilege_expired, or null. Used by the "legacy" check order, in which Agora's service
 * reported expiry before the signature or uid binding (AgoraIO/Tools #234; docs/fidelity.md, "The switches").
 * `maxLifetimeSeconds` is the lifetime cap, as in the verifiers (0 or absent: none;
 * docs/token-lifetime.md): a token past its capped expiry is token_expired here too.
 */
export function expiryReason(t: ParsedToken, now: number, maxLifetimeSeconds?: number): Extract<TokenReason, "token_expired" | "privilege_expired"> | null {
  const capAt = lifetimeCapAt(issueTime(t), maxLifetimeSeconds);
  if (t.version === "006") {
    if (now > cappedTokenExpiry(t.ts, capAt)) return "token_expired";
    let p: number | undefined;
    for (const [k, v] of t.privileges) if (k === PRIVILEGE_RTM_LOGIN) p = v;
    return p !== undefined && p !== 0 && now > p ? "privilege_expired" : null;
  }
  if (now > cappedTokenExpiry(t.issueTs + t.expire, capAt)) return "token_expired";
  const rtm = rtmLoginService(t);
  return rtm !== null && rtm.privilege !== 0 && now > t.issueTs + rtm.privilege ? "privilege_expired" : null;
}
