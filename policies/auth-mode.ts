import type { AuthPolicy } from "./auth-context.js";

/**
 * The project's auth mode decides which credential is acceptable (docs/agora-behaviour.md, "Auth modes"):
 * App ID only + a token → token_not_accepted; token only + no token → token_required;
 * either → both.
 */
export const authModeAllowsCredential: AuthPolicy = {
  name: "auth-mode",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => {
    const mode = ctx.project?.mode;
    if (ctx.token !== null && mode === "appid") {
      return { reason: "token_not_accepted", detail: "App-ID-only project, a token was given" };
    }
    if (ctx.token === null && mode === "token") return { reason: "token_required", detail: "token-only project, no token" };
    return undefined;
  },
};
