import type { AuthPolicy } from "./auth-context.js";

/** renewToken before a successful login → not_logged_in (1.x 102, 2.x -10025; docs/agora-behaviour.md, "renewToken"). */
export const mustBeLoggedIn: AuthPolicy = {
  name: "must-be-logged-in",
  appliesTo: ["renewToken"],
  check: (ctx) => (ctx.session.loggedIn ? undefined : { reason: "not_logged_in", detail: "renewToken before login" }),
};
