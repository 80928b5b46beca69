import { expiryReason } from "../core/token/expiry-reason.js";
import { verifyToken } from "../core/token/verifier-registry.js";
import type { AuthPolicy } from "./auth-context.js";

/**
 * A given token must pass every check of token-formats.md §4 for this App ID and uid against the
 * project's active certificates. For a renew, the App ID and uid are the session's, so a token
 * for another identity is refused (renew keeps the session's identity). No token → nothing to
 * verify (the auth-mode rule already decided whether that is allowed). The lifetime cap of the
 * settings applies to the expiry checks, in either check order (docs/token-lifetime.md).
 */
export const tokenValid: AuthPolicy = {
  name: "token-valid",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => {
    if (ctx.token === null) return undefined;
    const r = verifyToken({
      token: ctx.token,
      appId: ctx.appId,
      uid: ctx.uid,
      certificates: ctx.project?.certificates ?? [],
      now: ctx.now,
      limits: ctx.settings.tokenLimits,
      privilege006: ctx.settings.privilege006,
      maxLifetimeSeconds: ctx.settings.maxTokenLifetimeSeconds ?? 0,
    });
    if (r.parsed !== null) ctx.decodedToken = r.parsed;
    if (r.valid) {
      ctx.verified = r.token;
      ctx.slot = r.slot;
      return undefined;
    }
    if (ctx.settings.checkOrder === "legacy" && r.parsed !== null && (r.reason === "invalid_signature" || r.reason === "uid_mismatch" || r.reason === "not_rtm_token")) {
      const expired = expiryReason(r.parsed, ctx.now, ctx.settings.maxTokenLifetimeSeconds);
      if (expired !== null) return { reason: expired, detail: `legacy order: ${expired} reported before ${r.reason}` };
    }
    return { reason: r.reason, detail: r.detail };
  },
};
