import type { TokenReason } from "../errors.js";
import type { ParsedToken } from "./parsed-token.js";
import { PRIVILEGE_RTM_LOGIN } from "./v006/verify.js";
import { rtmLoginService } from "./v007/verify.js";

/**
 * The expiry verdict of a decoded (not necessarily verified) token at `now`: token_expired,
 * privilege_expired, or null. Used by the "legacy" check order, in which Agora's service
 * reported expiry before the signature or uid binding (rtm-semantics.md §3.5, Tools #234).
 */
export function expiryReason(t: ParsedToken, now: number): Extract<TokenReason, "token_expired" | "privilege_expired"> | null {
  if (t.version === "006") {
    if (now > t.ts) return "token_expired";
    let p: number | undefined;
    for (const [k, v] of t.privileges) if (k === PRIVILEGE_RTM_LOGIN) p = v;
    return p !== undefined && p !== 0 && now > p ? "privilege_expired" : null;
  }
  if (now > t.issueTs + t.expire) return "token_expired";
  const rtm = rtmLoginService(t);
  return rtm !== null && rtm.privilege !== 0 && now > t.issueTs + rtm.privilege ? "privilege_expired" : null;
}
