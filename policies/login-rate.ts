import type { AuthPolicy } from "./auth-context.js";

/**
 * More than 2 logins or renews within a second on one connection → too_often (1.x login 10,
 * renew 4; rtm-semantics.md §8). Every attempt counts, refused or not.
 */
export const loginRate: AuthPolicy = {
  name: "login-rate",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => (ctx.session.rate.hit(ctx.nowMs) ? undefined : { reason: "too_often", detail: "more than the allowed calls in 1 s" }),
};
