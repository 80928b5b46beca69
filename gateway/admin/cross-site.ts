/**
 * Refuses admin requests that a web browser sends on behalf of another site (docs/admin-api-security.md).
 *
 * Any page open in a browser on the operator's machine can make that browser send a "simple"
 * request (a POST with a `text/plain` or form body, no preflight) to `http://127.0.0.1:8080/admin/…`.
 * The dev-mode loopback rule does not stop it: the browser *is* on loopback. Browsers label such
 * requests, and this guard reads the labels:
 *
 * - `Origin`: when present it must be the gateway's own origin, the request's scheme plus its
 *   `Host` header (`http://127.0.0.1:8080`). `Origin: null` (sandboxed frames, `file:` pages,
 *   redirects) and an unparseable or repeated `Origin` are refused too.
 * - `Sec-Fetch-Site`: when present it must be `same-origin` or `none` (typed in the address bar);
 *   `cross-site`, `same-site` and any other value are refused.
 *
 * No header at all is fine: curl, scripts and the typed admin client send neither. A page served by
 * the gateway itself on the same port stays allowed (same origin).
 *
 * It runs before admin auth and before any body is read, in every auth mode, and refuses with 403
 * `cross_site_request`.
 */
import type { Request, RequestHandler } from "express";
import { AdminError } from "./errors.js";

/** `Sec-Fetch-Site` values a browser sends for requests the operator made themselves. */
export const ALLOWED_FETCH_SITES: ReadonlySet<string> = new Set(["same-origin", "none"]);

/** Why a request was refused as cross-site, or `null` when it may proceed. For tests and logs. */
export type CrossSiteRefusal = "origin_mismatch" | "origin_null" | "origin_unparseable" | "fetch_site";

/** The parts of a request the guard reads. */
export type CrossSiteRequest = Pick<Request, "headers" | "protocol">;

/** The serialised origin of `url` (`scheme://host[:port]`, default port dropped), or null. */
function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    // Only http(s) URLs have a tuple origin; everything else serialises as "null".
    return parsed.origin === "null" ? null : parsed.origin;
  } catch {
    return null;
  }
}

/**
 * Why `req` must be refused as cross-site, or `null`. `req.protocol` is the scheme the gateway was
 * reached with (`http`; the gateway does not terminate TLS itself).
 */
export function crossSiteRefusal(req: CrossSiteRequest): CrossSiteRefusal | null {
  const fetchSite = req.headers["sec-fetch-site"];
  if (fetchSite !== undefined && !ALLOWED_FETCH_SITES.has(String(fetchSite).trim().toLowerCase())) return "fetch_site";

  const origin = req.headers.origin;
  if (origin === undefined) return null;
  // Node joins a repeated Origin header with ", ": that parses to nothing and is refused below.
  if (origin.trim() === "null") return "origin_null";
  const theirs = originOf(origin.trim());
  // A browser sends exactly a serialised origin; a path, a userinfo or stray text means it was not one.
  if (theirs === null || theirs !== origin.trim().toLowerCase()) return "origin_unparseable";
  const host = req.headers.host;
  const ours = host === undefined || host === "" ? null : originOf(`${req.protocol}://${host}`);
  return ours !== null && ours === theirs ? null : "origin_mismatch";
}

const MESSAGE =
  "cross-site requests are refused: the Origin or Sec-Fetch-Site header says this request comes from another site (call the admin API from curl, a script or the admin client)";

/** The express middleware: 403 `cross_site_request` for a cross-site request, else `next()`. */
export const crossSiteGuard: RequestHandler = (req, _res, next) => {
  if (crossSiteRefusal(req) === null) return next();
  next(new AdminError(403, "cross_site_request", MESSAGE));
};
