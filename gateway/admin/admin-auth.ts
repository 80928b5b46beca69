/**
 * Who may call the admin API (gateway-protocol.md §3).
 *
 * - `ADMIN_JWT_SECRET`: `Authorization: Bearer <JWT>` signed HS256 with the secret.
 * - `ADMIN_JWKS_URL`: the JWT is signed with a key of that JWKS (RS256, ES256 or EdDSA).
 * - neither (dev mode): no token; only loopback peers (127.0.0.1, ::1, ::ffff:127.0.0.1) are
 *   served, others get 403. The composition root logs a loud warning ({@link warnIfAdminOpen}).
 *
 * Every JWT must carry audience `rtm-auth-admin` and an `exp`; its `nbf` and `exp` are checked
 * against real time (not the simulated clock, which the admin API itself can move). The
 * algorithm comes from a fixed allow-list, so `alg: none` and algorithm confusion are refused.
 * Every failure is the same 401 with a generic message; the token is never echoed or logged.
 */
import type { RequestHandler } from "express";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { AdminError } from "./errors.js";

/** The audience every admin JWT must name. */
export const ADMIN_AUDIENCE = "rtm-auth-admin";
/** Algorithms accepted with `ADMIN_JWT_SECRET`. */
export const SECRET_ALGORITHMS = ["HS256"] as const;
/** Algorithms accepted with `ADMIN_JWKS_URL`. */
export const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;
/** Peers served in dev mode. */
export const LOOPBACK_ADDRESSES: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** How the admin API authenticates callers. */
export type AdminAuthMode = "jwt_secret" | "jwks" | "loopback_only";

/** The settings admin auth reads (a subset of the gateway config). */
export type AdminAuthSettings = Pick<GatewayConfig, "adminJwtSecret" | "adminJwksUrl">;

const UNAUTHORIZED_MESSAGE = "a valid bearer token is required";

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
 * sources are set.
 */
export function createAdminAuth(settings: AdminAuthSettings, logger: Logger): RequestHandler {
  const mode = adminAuthMode(settings);
  if (mode === "loopback_only") {
    return (req, _res, next) => {
      const peer = req.socket.remoteAddress ?? "";
      if (LOOPBACK_ADDRESSES.has(peer)) return next();
      next(new AdminError(403, "forbidden", "the admin API answers loopback clients only while no ADMIN_JWT_SECRET or ADMIN_JWKS_URL is set"));
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
  const options = { audience: ADMIN_AUDIENCE, algorithms, requiredClaims: ["exp"] };

  return (req, _res, next) => {
    const token = bearer(req.headers.authorization);
    if (token === null) return next(new AdminError(401, "unauthorized", UNAUTHORIZED_MESSAGE));
    const verified = typeof key === "function" ? jwtVerify(token, key, options) : jwtVerify(token, key, options);
    verified.then(
      () => next(),
      (err: unknown) => {
        if (isTokenRejection(err, mode)) {
          // The jose code (e.g. ERR_JWT_EXPIRED) helps operators; the token itself is never logged.
          logger.debug({ code: err instanceof joseErrors.JOSEError ? err.code : "unknown" }, "admin token refused");
          next(new AdminError(401, "unauthorized", UNAUTHORIZED_MESSAGE));
        } else {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, "admin token could not be checked (JWKS unavailable?)");
          next(new AdminError(503, "auth_unavailable", "the admin token could not be checked; try again"));
        }
      },
    );
  };
}
