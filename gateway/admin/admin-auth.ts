/**
 * Who may call the admin API (docs/admin-api-security.md).
 *
 * - `ADMIN_JWT_SECRET`: `Authorization: Bearer <JWT>` signed HS256 with the secret.
 * - `ADMIN_JWKS_URL`: the JWT is signed with a key of that JWKS (RS256, ES256 or EdDSA).
 * - neither (dev mode): no token; only loopback peers (127.0.0.1, ::1, ::ffff:127.0.0.1) are
 *   served, and only when the request names a loopback host (`localhost`, `*.localhost`,
 *   `127.x.x.x`, `[::1]`) in its `Host` header, so a DNS-rebound name cannot reach it from a
 *   browser; others get 403 `forbidden`. The composition root logs a loud warning
 *   ({@link warnIfAdminOpen}).
 *
 * Every JWT must carry an `exp` and the audience `ADMIN_JWT_AUDIENCE` (default
 * {@link ADMIN_AUDIENCE}), and the issuer `ADMIN_JWT_ISSUER` when that is set. Its `nbf` and `exp`
 * are checked against real time (not the simulated clock, which the admin API itself can move)
 * with `ADMIN_JWT_CLOCK_SKEW_SECONDS` of tolerance; an `iat` further in the future is refused, and
 * the lifetime is at most `ADMIN_JWT_MAX_LIFETIME_SECONDS` (gateway/admin/admin-jwt-claims.ts).
 * The algorithm comes from a fixed allow-list, so `alg: none` and algorithm confusion are refused.
 * Every failure is a 401 `unauthorized` whose message says which check failed
 * ({@link refusalMessage}: no token, not a JWT, algorithm, signature, expired, not yet valid,
 * audience, issuer, missing `exp`, `iat` in the future, lifetime) and never repeats the token or a
 * configured value; the code behind it (a jose code or ours) is logged at debug level, the token
 * never. The signature is checked before any claim, so only a holder of a correctly signed token
 * learns which claim rule it broke.
 */
import type { RequestHandler } from "express";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { adminJwtTimeRefusal } from "./admin-jwt-claims.js";
import { AdminError } from "./errors.js";

/** The audience every admin JWT must name unless `ADMIN_JWT_AUDIENCE` says otherwise (its default). */
export const ADMIN_AUDIENCE = "rtm-auth-admin";
/** Algorithms accepted with `ADMIN_JWT_SECRET`. */
export const SECRET_ALGORITHMS = ["HS256"] as const;
/** Algorithms accepted with `ADMIN_JWKS_URL`. */
export const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;
/** Peers served in dev mode. */
export const LOOPBACK_ADDRESSES: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** How the admin API authenticates callers. */
export type AdminAuthMode = "jwt_secret" | "jwks" | "loopback_only";

/** The settings that choose the admin auth mode (a subset of the gateway config). */
export type AdminAuthSettings = Pick<GatewayConfig, "adminJwtSecret" | "adminJwksUrl">;

/** The claim settings of admin JWTs (a subset of the gateway config; all have defaults there). */
export type AdminJwtSettings = Pick<GatewayConfig, "adminJwtMaxLifetimeSeconds" | "adminJwtClockSkewSeconds" | "adminJwtIssuer" | "adminJwtAudience">;

/** Real time in Unix seconds: admin JWTs are judged by it, never by the simulated clock. */
export const realNowSeconds = (): number => Math.floor(Date.now() / 1000);

const UNAUTHORIZED_MESSAGE = "a valid bearer token is required";

/** What a claim check of jose names, by claim: the check in words (never the claim's value). */
const CLAIM_CHECKS: Readonly<Record<string, { readonly missing: string; readonly failed: string }>> = {
  exp: { missing: "missing exp: every admin JWT must carry an exp (expiry time)", failed: "expired: the JWT's exp has passed" },
  aud: { missing: "audience: the JWT has no aud; it must name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)", failed: "audience: the JWT's aud does not name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)" },
  iss: { missing: "issuer: the JWT has no iss; it must be ADMIN_JWT_ISSUER", failed: "issuer: the JWT's iss is not ADMIN_JWT_ISSUER" },
  nbf: { missing: "not yet valid: the JWT's nbf is malformed", failed: "not yet valid: the JWT's nbf is still in the future" },
  iat: { missing: "iat: the JWT's iat is malformed", failed: "iat: the JWT's iat is malformed" },
};

/** The checks that are not claims: jose codes and ours (admin-jwt-claims.ts) → the check in words. */
const CHECKS: Readonly<Record<string, string>> = {
  no_token: "no bearer token: send Authorization: Bearer <JWT> (rtm-auth admin-token mints one from ADMIN_JWT_SECRET)",
  ERR_JWS_INVALID: "not a JWT: the bearer token is not a well-formed signed JWT (header.payload.signature)",
  ERR_JWT_INVALID: "not a JWT: the bearer token's payload is not a JSON object of claims",
  ERR_JOSE_ALG_NOT_ALLOWED: "algorithm: the JWT's alg is not accepted (HS256 with ADMIN_JWT_SECRET; RS256, ES256 or EdDSA with ADMIN_JWKS_URL)",
  ERR_JOSE_NOT_SUPPORTED: "algorithm: the JWT's alg or key type is not supported",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "signature: the JWT's signature does not verify with the gateway's key",
  ERR_JWKS_NO_MATCHING_KEY: "signature: no key of ADMIN_JWKS_URL matches the JWT's kid and alg",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "signature: several keys of ADMIN_JWKS_URL match the JWT and none verifies it",
  ERR_JWT_EXPIRED: "expired: the JWT's exp has passed",
  exp_missing: "missing exp: every admin JWT must carry an exp (expiry time)",
  iat_in_future: "iat in the future: the JWT's iat is more than ADMIN_JWT_CLOCK_SKEW_SECONDS ahead of this gateway's clock",
  lifetime_too_long: "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS",
};

/**
 * The 401 message for a refused admin token: `a valid bearer token is required: CHECK`, CHECK naming
 * the failed check in words. `code` is a jose error code, one of ours (`no_token`, `exp_missing`,
 * `iat_in_future`, `lifetime_too_long`) or anything else (then the message has no CHECK); `claim`
 * and `missing` describe a jose claim validation failure (`ERR_JWT_CLAIM_VALIDATION_FAILED`).
 * The message holds no part of the token and no configured value.
 */
export function refusalMessage(code: string, claim?: string, missing = false): string {
  const byClaim = code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && claim !== undefined ? CLAIM_CHECKS[claim] : undefined;
  const check = byClaim !== undefined ? (missing ? byClaim.missing : byClaim.failed) : CHECKS[code];
  return check === undefined ? UNAUTHORIZED_MESSAGE : `${UNAUTHORIZED_MESSAGE}: ${check}`;
}

/** The admin auth mode of a configuration. Both settings at once is a TypeError (misuse). */
export function adminAuthMode(settings: AdminAuthSettings): AdminAuthMode {
  if (settings.adminJwtSecret !== undefined && settings.adminJwksUrl !== undefined) {
    throw new TypeError("set either ADMIN_JWT_SECRET or ADMIN_JWKS_URL, not both");
  }
  if (settings.adminJwtSecret !== undefined) return "jwt_secret";
  if (settings.adminJwksUrl !== undefined) return "jwks";
  return "loopback_only";
}

/** Logs the loud dev-mode warning when the admin API has no key source. Returns the mode. */
export function warnIfAdminOpen(settings: AdminAuthSettings, logger: Logger): AdminAuthMode {
  const mode = adminAuthMode(settings);
  if (mode === "loopback_only") {
    logger.warn(
      "ADMIN API UNAUTHENTICATED (dev mode): neither ADMIN_JWT_SECRET nor ADMIN_JWKS_URL is set; /admin answers loopback clients only and anyone on this host can change projects, certificates and the clock",
    );
  }
  return mode;
}

/**
 * True when a `Host` header names this machine's loopback: `localhost`, a `*.localhost` name
 * (browsers resolve those to loopback themselves), an IPv4 literal in 127.0.0.0/8 or `[::1]`, with
 * any port. A name that merely resolves to 127.0.0.1 today is not enough: under DNS rebinding an
 * attacker's page gets exactly that, and the browser then treats the gateway as its own origin.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === "") return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]") return true;
  // The URL parser has already turned every IPv4 spelling (0x7f.1, 2130706433) into dotted form.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The bearer token of an Authorization header, or null. */
function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)[ ]*$/i.exec(header);
  return m?.[1] ?? null;
}

/** jose codes that mean the JWKS could not be fetched or read (jose uses the generic code for a non-200 reply). */
const JWKS_UNAVAILABLE: ReadonlySet<string> = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

/** True for failures that mean "this token is not acceptable", as opposed to "could not check". */
function isTokenRejection(err: unknown, mode: AdminAuthMode): boolean {
  if (mode === "jwt_secret") return true;
  // JWKS mode: an unreachable or broken JWKS is not the caller's fault, and never an accept.
  return err instanceof joseErrors.JOSEError && !JWKS_UNAVAILABLE.has(err.code);
}

/**
 * The express middleware that guards every admin route. Throws a TypeError when both key
 * sources are set. `nowSeconds` is real time in Unix seconds (injectable for tests).
 */
export function createAdminAuth(settings: AdminAuthSettings & AdminJwtSettings, logger: Logger, nowSeconds: () => number = realNowSeconds): RequestHandler {
  const mode = adminAuthMode(settings);
  if (mode === "loopback_only") {
    return (req, _res, next) => {
      const peer = req.socket.remoteAddress ?? "";
      if (!LOOPBACK_ADDRESSES.has(peer)) {
        return next(new AdminError(403, "forbidden", "the admin API answers loopback clients only while no ADMIN_JWT_SECRET or ADMIN_JWKS_URL is set"));
      }
      if (!isLoopbackHost(req.headers.host)) {
        return next(
          new AdminError(403, "forbidden", "while no ADMIN_JWT_SECRET or ADMIN_JWKS_URL is set, address the admin API as localhost, 127.0.0.1 or [::1] (Host header)"),
        );
      }
      next();
    };
  }

  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (mode === "jwt_secret") {
    key = new TextEncoder().encode(settings.adminJwtSecret);
    algorithms = [...SECRET_ALGORITHMS];
  } else {
    key = createRemoteJWKSet(new URL(settings.adminJwksUrl as string));
    algorithms = [...JWKS_ALGORITHMS];
  }
  const rules = { maxLifetimeSeconds: settings.adminJwtMaxLifetimeSeconds, clockSkewSeconds: settings.adminJwtClockSkewSeconds };
  const refuse = (code: string, claim?: string, missing = false) => {
    // The code (a jose code such as ERR_JWT_EXPIRED, or ours) helps operators; the token itself is never logged.
    logger.debug({ code, ...(claim === undefined ? {} : { claim }) }, "admin token refused");
    return new AdminError(401, "unauthorized", refusalMessage(code, claim, missing));
  };

  return (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    if (token === null) return next(new AdminError(401, "unauthorized", refusalMessage("no_token")));
    const now = nowSeconds();
    const options: JWTVerifyOptions = {
      audience: settings.adminJwtAudience,
      ...(settings.adminJwtIssuer === undefined ? {} : { issuer: settings.adminJwtIssuer }),
      algorithms,
      requiredClaims: ["exp"],
      clockTolerance: settings.adminJwtClockSkewSeconds,
      currentDate: new Date(now * 1000),
    };
    const verified = typeof key === "function" ? jwtVerify(token, key, options) : jwtVerify(token, key, options);
    verified.then(
      ({ payload }) => {
        const broken = adminJwtTimeRefusal(payload, rules, now);
        if (broken === null) return next();
        next(refuse(broken));
      },
      (err: unknown) => {
        if (isTokenRejection(err, mode)) {
          if (err instanceof joseErrors.JWTClaimValidationFailed) next(refuse(err.code, err.claim, err.reason === "missing"));
          else next(refuse(err instanceof joseErrors.JOSEError ? err.code : "unknown"));
        } else {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, "admin token could not be checked (JWKS unavailable?)");
          next(new AdminError(503, "auth_unavailable", "the admin token could not be checked; try again"));
        }
      },
    );
  };
}
