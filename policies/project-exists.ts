import type { AuthPolicy } from "./auth-context.js";

/**
 * The App ID names an enabled project → otherwise unknown_app_id (1.x 4, 2.x -10003). For a
 * renew the session's App ID is looked up again: a project deleted meanwhile refuses renewals.
 * A store that cannot be read throws StoreUnavailable, which the caller maps to store_unavailable.
 */
export const projectExists: AuthPolicy = {
  name: "project-exists",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => {
    const project = ctx.lookupProject(ctx.appId, ctx.now);
    if (project === undefined) return { reason: "unknown_app_id", detail: "no enabled project with this App ID" };
    ctx.project = project;
    return undefined;
  },
};
