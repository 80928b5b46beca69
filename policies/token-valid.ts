import type { AuthPolicy } from "./auth-context.js";
import { checkToken } from "./token-check.js";

/**
 * A given token must pass every check of docs/tokens.md, "The checks, in order", for this App ID and uid against the
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
    // The switches (check order, 006 privilege, 006 RTC as RTM) apply in checkToken (docs/fidelity.md).
    const r = checkToken(
      {
        token: ctx.token,
        appId: ctx.appId,
        uid: ctx.uid,
        certificates: ctx.project?.certificates ?? [],
        now: ctx.now,
        limits: ctx.settings.tokenLimits,
        maxLifetimeSeconds: ctx.settings.maxTokenLifetimeSeconds ?? 0,
        privilege006: ctx.settings.privilege006,
        accept006RtcJoin: ctx.settings.accept006RtcAsRtm,
      },
      ctx.settings,
    );
    if (r.parsed !== null) ctx.decodedToken = r.parsed;
    if (r.valid) {
      ctx.verified = r.token;
      ctx.slot = r.slot;
      return undefined;
    }
    return { reason: r.reason, detail: r.detail };
  },
};
