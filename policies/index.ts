/**
 * THE ordered list of auth checks, login and renew (docs/architecture.md, "The ordered policies";
 * node-oidc-provider's matrix). The first refusal decides. Order:
 *
 * | # | policy                | login | renew | refusal                                   |
 * |---|-----------------------|:-----:|:-----:|-------------------------------------------|
 * | 1 | not-already-logged-in |   ●   |       | already_logged_in                         |
 * | 2 | must-be-logged-in     |       |   ●   | not_logged_in                             |
 * | 3 | login-rate            |   ●   |   ●   | too_often                                 |
 * | 4 | uid-valid             |   ●   |       | invalid_uid                               |
 * | 5 | project-exists        |   ●   |   ●   | unknown_app_id (store_unavailable thrown) |
 * | 6 | rollout-cohort        |   ●   |   ●   | none: a cohort uid is judged as the target makes the project |
 * | 7 | auth-mode             |   ●   |   ●   | token_not_accepted, token_required        |
 * | 8 | token-valid           |   ●   |   ●   | the token reasons, docs/tokens.md         |
 *
 * Session and rate rules come first because the SDKs check them locally, before any network
 * traffic (docs/agora-behaviour.md, "Login").
 */
import { AuthError } from "../core/errors.js";
import type { AuthContext, AuthPolicy, Refusal } from "./auth-context.js";
import { authModeAllowsCredential } from "./auth-mode.js";
import { loginRate } from "./login-rate.js";
import { mustBeLoggedIn } from "./must-be-logged-in.js";
import { notAlreadyLoggedIn } from "./not-already-logged-in.js";
import { projectExists } from "./project-exists.js";
import { rolloutCohort } from "./rollout-cohort.js";
import { tokenValid } from "./token-valid.js";
import { uidValid } from "./uid-valid.js";

export const POLICIES: readonly AuthPolicy[] = [
  notAlreadyLoggedIn,
  mustBeLoggedIn,
  loginRate,
  uidValid,
  projectExists,
  rolloutCohort,
  authModeAllowsCredential,
  tokenValid,
];

export const LOGIN_POLICIES: readonly AuthPolicy[] = POLICIES.filter((p) => p.appliesTo.includes("login"));
export const RENEW_POLICIES: readonly AuthPolicy[] = POLICIES.filter((p) => p.appliesTo.includes("renewToken"));

/** Runs the list for `ctx.op`; the first refusal wins (its policy's name lands in `ctx.failedCheck`). */
export function runPolicies(ctx: AuthContext): Refusal | undefined {
  const list = ctx.op === "login" ? LOGIN_POLICIES : RENEW_POLICIES;
  for (const p of list) {
    const refusal = p.check(ctx);
    if (refusal !== undefined) {
      ctx.failedCheck = p.name;
      return refusal;
    }
  }
  return undefined;
}

/**
 * Runs the checks and turns a dependency that could not answer (the store throwing
 * StoreUnavailable, an AuthError) into a refusal too: "could not look" is never an accept.
 * Anything else is a bug and is rethrown to the caller's single error boundary.
 */
export function decide(ctx: AuthContext): Refusal | undefined {
  try {
    return runPolicies(ctx);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    ctx.failedCheck ??= "project-exists";
    return { reason: err.reason, detail: err.detail ?? err.message };
  }
}

export type { AuthContext, AuthPolicy, PolicySettings, Refusal, SessionFacts } from "./auth-context.js";
