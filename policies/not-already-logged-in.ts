import type { AuthPolicy } from "./auth-context.js";

/** Login while this connection is already logged in → already_logged_in (1.x 8; docs/agora-behaviour.md, "Login"). */
export const notAlreadyLoggedIn: AuthPolicy = {
  name: "not-already-logged-in",
  appliesTo: ["login"],
  check: (ctx) => (ctx.session.loggedIn ? { reason: "already_logged_in", detail: "the connection is logged in" } : undefined),
};
