import type { AuthPolicy } from "./auth-context.js";

/**
 * Each method has its own window on the connection, as the SDKs keep them (docs/fidelity.md, "Rate windows"):
 * more than the allowed logins, or renews, within 1000 ms of the gateway's monotonic clock →
 * too_often (1.x login 10, renew 4; 2.x -10021). RTM 1.x may also require a least spacing between
 * two logins (Web 1.6.0: 500 ms; `RTM1_LOGIN_SPACING_MS`, docs/fidelity.md). Every attempt counts,
 * refused or not. Logout has its window too, checked where logout is handled (it runs no policies).
 */
export const loginRate: AuthPolicy = {
  name: "login-rate",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => {
    const spacing = ctx.op === "login" && ctx.profile === "rtm1" ? ctx.settings.rtm1LoginSpacingMs : 0;
    if (ctx.session.rate.hit(ctx.op, ctx.monotonicMs, spacing)) return undefined;
    return { reason: "too_often", detail: `more ${ctx.op} calls than allowed in 1 s${spacing > 0 ? ` or within ${spacing} ms of the last` : ""}` };
  },
};
