/**
 * The admin API reads JSON bodies only (docs/admin-api-security.md). A browser can send a
 * `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` body to any site
 * without asking first; an `application/json` body needs a CORS preflight, which the admin API never
 * grants. Refusing every other media type therefore closes the "simple request" door, and it also
 * turns a forgotten `-H 'content-type: application/json'` into a clear error instead of an empty body.
 *
 * A request is refused with 415 `unsupported_media_type` when it
 * - has a `Content-Type` whose media type is not `application/json` (parameters such as
 *   `charset=utf-8` are fine), with or without a body; or
 * - has a body (`Content-Length` above 0, or any `Transfer-Encoding`) and no `Content-Type`.
 *
 * A bodiless request without `Content-Type` passes (`curl -XPOST …/certificates/primary`). It runs
 * after admin auth and before any body parser.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { RequestHandler } from "express";
import { AdminError } from "./errors.js";

/** The one media type the admin API reads. */
export const ADMIN_MEDIA_TYPE = "application/json";

/** The media type of a `Content-Type` value, lower-cased and without parameters (`""` when blank). */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(";", 1)[0] ?? "").trim().toLowerCase();
}

/** True when the request announces a body: `Content-Length` above 0, or any `Transfer-Encoding`. */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  // Node rejects a malformed Content-Length before express sees the request; be safe anyway.
  return length !== undefined && !/^0+$/.test(length.trim());
}

/** Why the request's body is refused, or `null`: `"media_type"` or `"missing_content_type"`. */
export function mediaTypeRefusal(headers: IncomingHttpHeaders): "media_type" | "missing_content_type" | null {
  const contentType = headers["content-type"];
  if (contentType !== undefined) return mediaTypeOf(contentType) === ADMIN_MEDIA_TYPE ? null : "media_type";
  return announcesBody(headers) ? "missing_content_type" : null;
}

const MESSAGE =
  "the admin API reads JSON only: send content-type: application/json with a JSON body (curl: -H 'content-type: application/json' -d '{…}'), or no body and no content-type";

/** The express middleware: 415 `unsupported_media_type` for a body that is not JSON, else `next()`. */
export const jsonOnly: RequestHandler = (req, _res, next) => {
  if (mediaTypeRefusal(req.headers) === null) return next();
  next(new AdminError(415, "unsupported_media_type", MESSAGE));
};
