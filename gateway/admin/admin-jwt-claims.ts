/**
 * The time rules of an admin JWT that jose does not check by itself (docs/admin-api-security.md).
 * jose has already verified the signature, the algorithm, `aud`, `iss`, the presence of `exp`, and
 * `nbf` / `exp` with the clock-skew tolerance; these rules then bound how long a token may live:
 *
 * - `iat`, when present, is at most `skew` seconds in the future;
 * - the lifetime is at most `maxLifetime` seconds: `exp - iat` when the token has an `iat`
 *   (the issuer's own statement, no skew added), else `exp - now` (compared with our clock, so the
 *   skew is added).
 *
 * All times are Unix seconds of real time (never the simulated clock, which the admin API moves).
 */
import type { JWTPayload } from "jose";

/** The settings of the rules, seconds. */
export interface AdminJwtTimeRules {
  /** Longest accepted lifetime (`ADMIN_JWT_MAX_LIFETIME_SECONDS`). */
  readonly maxLifetimeSeconds: number;
  /** Tolerated clock difference with the issuer (`ADMIN_JWT_CLOCK_SKEW_SECONDS`). */
  readonly clockSkewSeconds: number;
}

/** Why a token broke a time rule. Logged at debug level; the caller only ever sees a generic 401. */
export type AdminJwtTimeRefusal = "iat_in_future" | "lifetime_too_long" | "exp_missing";

/**
 * The first time rule `claims` break at `nowSeconds`, or `null` when they keep all of them.
 * `claims` are the verified claims from jose (so `exp`, `iat` are numbers when present).
 */
export function adminJwtTimeRefusal(claims: JWTPayload, rules: AdminJwtTimeRules, nowSeconds: number): AdminJwtTimeRefusal | null {
  const { exp, iat } = claims;
  // jose already requires exp; checked again so this function stands on its own.
  if (typeof exp !== "number") return "exp_missing";
  if (typeof iat === "number") {
    if (iat > nowSeconds + rules.clockSkewSeconds) return "iat_in_future";
    return exp - iat > rules.maxLifetimeSeconds ? "lifetime_too_long" : null;
  }
  return exp - nowSeconds > rules.maxLifetimeSeconds + rules.clockSkewSeconds ? "lifetime_too_long" : null;
}
