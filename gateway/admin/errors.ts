/**
 * The ONE place that turns an error into an admin API reply (docs/protocol.md, "Admin API"):
 * `{"error": {"code": "<stable_code>", "message": "…"}}` with a fitting HTTP status.
 *
 * - {@link AdminError}: thrown by the admin routes and the auth middleware; its own code/status.
 * - LifecycleError (core): its stable code and status (404, 409, 400).
 * - RolloutError (core): its stable code and status (404, 409; docs/rollouts.md).
 * - WriteOutcomeUnknown (core): 503 `outcome_unknown`: the write was sent, its reply was lost and
 *   its outcome could not be read back; it may or may not have been applied (docs/redis.md).
 * - StoreUnavailable (core): 503 `store_unavailable`: the write was not applied and never will be
 *   (the store proved it: not sent, refused, or read back and fenced off).
 * - zod validation errors: 400 `invalid_request`, naming the field.
 * - body-parser errors: 413 `payload_too_large`, 400 `invalid_json`, 415 `unsupported_media_type`.
 * - anything else: 500 `internal_error`; the detail is logged (never a request body, token or
 *   certificate), the reply is generic.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { ZodError } from "zod";
import { LifecycleError } from "../../core/certificate/project-lifecycle.js";
import { StoreUnavailable, WriteOutcomeUnknown } from "../../core/errors.js";
import { RolloutError } from "../../core/rollout/rollout.js";
import type { Logger } from "../logger.js";

/** A refusal of the admin API with a stable code. `message` is client-facing: never a secret. */
export class AdminError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }

  override get name(): string {
    return "AdminError";
  }
}

/** The body of every admin error reply. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/** A mapped error: HTTP status and body. */
export interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
}

/** body-parser's errors carry a `type` and a 4xx `status`. */
interface ParserError {
  readonly type: string;
  readonly status: number;
}

function isParserError(err: unknown): err is ParserError {
  if (typeof err !== "object" || err === null) return false;
  const e = err as Partial<ParserError>;
  return typeof e.type === "string" && typeof e.status === "number" && e.status >= 400 && e.status < 500;
}

const PARSER_ERRORS: Readonly<Record<string, { code: string; message: string }>> = {
  "entity.too.large": { code: "payload_too_large", message: "the request body is too large" },
  "entity.parse.failed": { code: "invalid_json", message: "the request body is not valid JSON" },
  "encoding.unsupported": { code: "unsupported_media_type", message: "unsupported content encoding" },
  "charset.unsupported": { code: "unsupported_media_type", message: "unsupported charset" },
};

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "body" : path.map(String).join(".");
}

/** Maps any error to the admin API's status and body. Pure; logging is the handler's job. */
export function mapError(err: unknown): MappedError {
  const reply = (status: number, code: string, message: string, field?: string): MappedError => ({
    status,
    body: { error: field === undefined ? { code, message } : { code, message, field } },
  });
  if (err instanceof AdminError) return reply(err.status, err.code, err.message);
  if (err instanceof LifecycleError) return reply(err.status, err.code, err.message);
  if (err instanceof RolloutError) return reply(err.status, err.code, err.message);
  // Before StoreUnavailable, its base class: "nothing was changed" is said only when it is true.
  if (err instanceof WriteOutcomeUnknown) {
    return reply(503, "outcome_unknown", "the write may or may not have been applied; read the project back before retrying, or retry with the same Idempotency-Key");
  }
  if (err instanceof StoreUnavailable) return reply(503, "store_unavailable", "the certificate store is unavailable; nothing was changed");
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const field = fieldOf(first?.path ?? []);
    // zod's messages name the expectation, not the value, so no token or secret is echoed.
    const message = err.issues.map((i) => `${fieldOf(i.path)}: ${i.message}`).join("; ");
    return reply(400, "invalid_request", message, field);
  }
  if (isParserError(err)) {
    const known = PARSER_ERRORS[err.type];
    if (known !== undefined) return reply(err.type === "entity.too.large" ? 413 : err.type === "entity.parse.failed" ? 400 : 415, known.code, known.message);
    return reply(400, "invalid_request", "the request body could not be read");
  }
  return reply(500, "internal_error", "internal error");
}

/** Sends `err` as the admin API's error reply. */
export function sendError(res: Response, err: unknown, logger: Logger): void {
  const mapped = mapError(err);
  if (mapped.status >= 500 && mapped.body.error.code === "internal_error") {
    // The detail goes to the log only; the reply stays generic.
    logger.error({ err }, "admin request failed");
  } else if (mapped.body.error.code === "outcome_unknown") {
    logger.warn({ detail: (err as StoreUnavailable).detail }, "admin write outcome unknown: it may have been applied");
  } else if (mapped.status === 503) {
    logger.warn({ detail: (err as StoreUnavailable).detail }, "admin write refused: certificate store unavailable");
  }
  if (mapped.status === 401) res.setHeader("www-authenticate", 'Bearer realm="rtm-auth-admin"');
  res.status(mapped.status).json(mapped.body);
}

/** The express error handler of the admin router: every error of every admin route ends here. */
export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    sendError(res, err, logger);
  };
}

/** The last handler of the admin router: no such route. */
export const adminNotFound: RequestHandler = (_req, _res, next) => {
  next(new AdminError(404, "not_found", "no such admin route"));
};
