/**
 * The `Idempotency-Key` request header of the admin API's store writes (project creation, the
 * certificate steps, reset; docs/redis.md, "Write outcomes"). A client that sends the same key
 * again after a 503 `outcome_unknown`, a lost reply or a dropped connection gets the write applied
 * at most once: a repeat of an applied write answers with the project as it is now.
 *
 * The key is scoped to the request: method, path and JSON body go into what the store is given
 * (a SHA-256), so the same key sent with another request is another write, never a false
 * "already done". Honoured by the Redis store, whose writes can have an unknown outcome; the
 * in-memory store ignores it (its writes always answer).
 */
import { createHash } from "node:crypto";
import type { Request } from "express";
import type { WriteOptions } from "../../core/certificate/certificate-store.js";
import { AdminError } from "./errors.js";

/** The header, as clients send it. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/** At most this many characters (after removing optional double quotes). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Visible ASCII only, as a Structured Field string (draft-ietf-httpapi-idempotency-key-header) holds. */
const KEY = /^[\x21-\x7e]+$/;

/**
 * The store options of a write request: `{}` without the header, else `{idempotencyKey}` (a hex
 * SHA-256 of the method, path, body and key). Throws a 400 `invalid_request` AdminError when the
 * header is empty, longer than 255 characters or not visible ASCII.
 */
export function writeOptions(req: Request): WriteOptions {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return {};
  // A Structured Field string is quoted ("…"); a bare token is accepted too.
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY.test(key)) {
    throw new AdminError(400, "invalid_request", `${IDEMPOTENCY_HEADER}: 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters`);
  }
  const body = JSON.stringify(req.body ?? null);
  const scoped = createHash("sha256").update(`${req.method}\n${req.baseUrl}${req.path}\n${body}\n${key}`).digest("hex");
  return { idempotencyKey: scoped };
}

/**
 * The App ID of `POST /admin/projects` without one, when the request carries an idempotency key:
 * derived from the key, so a repeat names the same project instead of creating a second one.
 * Undefined without a key (the App ID is then random).
 */
export function idempotentAppId(options: WriteOptions): string | undefined {
  if (options.idempotencyKey === undefined) return undefined;
  return createHash("sha256").update(`app-id\n${options.idempotencyKey}`).digest("hex").slice(0, 32);
}
