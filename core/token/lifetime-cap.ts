/**
 * The lifetime cap (docs/token-lifetime.md): a token's effective expiry is at most its issue time
 * plus `maxLifetimeSeconds` (Agora documents 24 h as the longest RTM token lifetime). One place
 * for what "issue time" means per version, so the verifiers, the legacy check order and the
 * diagnostic hints all agree.
 */
import type { ParsedToken } from "./parsed-token.js";

/**
 * How long before its `ts` a 006 token was built. Every official 006 builder writes
 * `ts = build time + 86400` (docs/tokens.md, "The 006 format"), so the build time is `ts - 86400`. The same
 * value as `TOKEN_006_LIFETIME_SECONDS` of build-rtm-token.ts (a unit test holds them equal);
 * repeated here because the builders import the verifiers, and this file is imported by them.
 */
export const TS_AFTER_ISSUE_006 = 86_400;

/**
 * The issue time of a decoded token, Unix seconds: 007 `issueTs`; 006 `ts - 86400` (006 carries
 * no issue time of its own; see {@link TS_AFTER_ISSUE_006}). May be negative for a 006 `ts`
 * under 86400, which no builder writes.
 */
export function issueTime(t: ParsedToken): number {
  return t.version === "007" ? t.issueTs : t.ts - TS_AFTER_ISSUE_006;
}

/**
 * The last valid second the cap allows, `issuedAt + maxLifetimeSeconds`, or null when there is
 * no cap (`maxLifetimeSeconds` 0 or absent).
 */
export function lifetimeCapAt(issuedAt: number, maxLifetimeSeconds: number | undefined): number | null {
  return maxLifetimeSeconds === undefined || maxLifetimeSeconds <= 0 ? null : issuedAt + maxLifetimeSeconds;
}

/**
 * The token-level expiry after the cap: the earlier of the expiry the token states (006 `ts`,
 * 007 `issueTs + expire`) and the cap. The cap shortens the token's own lifetime, so a token
 * used past it is `token_expired`; a privilege that ends earlier still gives `privilege_expired`.
 */
export function cappedTokenExpiry(statedExpiry: number, capAt: number | null): number {
  return capAt === null || capAt >= statedExpiry ? statedExpiry : capAt;
}
