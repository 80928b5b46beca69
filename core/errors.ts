/**
 * The one reason vocabulary (docs/reasons.md): the same string is used by the domain,
 * the wire replies, the journal, the metrics' `reason` label and `explain`.
 * A reason never changes meaning; new ones may be appended.
 */
export const REASONS = [
  "ok",
  // token checks, docs/tokens.md, "The checks, in order"
  "malformed",
  "unsupported_version",
  "app_id_mismatch",
  "invalid_signature",
  "not_rtm_token",
  "uid_mismatch",
  "token_expired",
  "privilege_expired",
  // auth mode of the project
  "token_required",
  "token_not_accepted",
  "unknown_app_id",
  "invalid_uid",
  // session state and rate rules
  "already_logged_in",
  "not_logged_in",
  "too_often",
  // why a live session ended
  "remote_login",
  "banned",
  "session_token_expired",
  "fault_injected",
  // a pending login given up because the client logged out or logged in again (RTM 2.x -10023)
  "login_canceled",
  // the gateway could not decide: never an accept
  "store_unavailable",
  "internal_error",
] as const;

/** Every decision reason, `ok` included. */
export type Reason = (typeof REASONS)[number];
/** Every refusal reason. */
export type FailureReason = Exclude<Reason, "ok">;

/** The reasons a token verifier can produce (docs/tokens.md, "The checks, in order"), in the order the checks run. */
export const TOKEN_REASONS = [
  "malformed",
  "unsupported_version",
  "app_id_mismatch",
  "invalid_signature",
  "not_rtm_token",
  "uid_mismatch",
  "token_expired",
  "privilege_expired",
] as const satisfies readonly FailureReason[];
export type TokenReason = (typeof TOKEN_REASONS)[number];

/** True when `value` is one of the known reasons. */
export function isReason(value: unknown): value is Reason {
  return typeof value === "string" && (REASONS as readonly string[]).includes(value);
}

/** Fixed, generic client-facing messages. They never carry secrets or token bytes. */
const MESSAGES: Record<FailureReason, string> = {
  malformed: "The token is malformed.",
  unsupported_version: "The token version is not supported.",
  app_id_mismatch: "The token was not issued for this App ID.",
  invalid_signature: "The token signature is invalid.",
  not_rtm_token: "The token does not grant RTM login.",
  uid_mismatch: "The token was issued for another user id.",
  token_expired: "The token has expired.",
  privilege_expired: "The token's RTM login privilege has expired.",
  token_required: "This project requires a token.",
  token_not_accepted: "This project accepts App ID authentication only; no token may be given.",
  unknown_app_id: "Unknown App ID.",
  invalid_uid: "The user id is invalid.",
  already_logged_in: "Already logged in.",
  not_logged_in: "Not logged in.",
  too_often: "Too many requests.",
  remote_login: "The same user id logged in elsewhere.",
  banned: "The session was banned.",
  session_token_expired: "The session's token has expired.",
  fault_injected: "A configured fault decided this outcome.",
  login_canceled: "The pending login was canceled by a logout or a new login.",
  store_unavailable: "The certificate store is unavailable.",
  internal_error: "Internal error.",
};

/** The generic message for a reason (safe to send to a client). */
export function reasonMessage(reason: FailureReason): string {
  return MESSAGES[reason];
}

/**
 * Base class of every domain failure. `reason` is the stable code; `detail` is private and
 * is only ever logged, never sent to a client.
 */
export class AuthError extends Error {
  readonly reason: FailureReason;
  readonly detail: string | undefined;

  constructor(reason: FailureReason, detail?: string) {
    super(MESSAGES[reason]);
    this.reason = reason;
    this.detail = detail;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** The token is not well formed (size, base64, zlib, truncation). */
export class Malformed extends AuthError {
  constructor(detail?: string) {
    super("malformed", detail);
  }
}
/** The token's version prefix is neither 006 nor 007. */
export class UnsupportedVersion extends AuthError {
  constructor(detail?: string) {
    super("unsupported_version", detail);
  }
}
/** The token was issued for another App ID. */
export class AppIdMismatch extends AuthError {
  constructor(detail?: string) {
    super("app_id_mismatch", detail);
  }
}
/** No active certificate reproduces the signature. The message is always generic. */
export class InvalidSignature extends AuthError {
  constructor(detail?: string) {
    super("invalid_signature", detail);
  }
}
/** The signature is valid but the token grants no RTM login. */
export class NotRtmToken extends AuthError {
  constructor(detail?: string) {
    super("not_rtm_token", detail);
  }
}
/** The 007 RTM service's user id differs from the login uid. */
export class UidMismatch extends AuthError {
  constructor(detail?: string) {
    super("uid_mismatch", detail);
  }
}
/** The token-level expiry has passed. Kept apart from invalid: the client should fetch a new token. */
export class TokenExpired extends AuthError {
  constructor(detail?: string) {
    super("token_expired", detail);
  }
}
/** The RTM login privilege's expiry has passed. */
export class PrivilegeExpired extends AuthError {
  constructor(detail?: string) {
    super("privilege_expired", detail);
  }
}

const TOKEN_ERROR_CLASSES: Record<TokenReason, new (detail?: string) => AuthError> = {
  malformed: Malformed,
  unsupported_version: UnsupportedVersion,
  app_id_mismatch: AppIdMismatch,
  invalid_signature: InvalidSignature,
  not_rtm_token: NotRtmToken,
  uid_mismatch: UidMismatch,
  token_expired: TokenExpired,
  privilege_expired: PrivilegeExpired,
};

/** Builds the typed error for a token reason (for callers that prefer exceptions). */
export function tokenError(reason: TokenReason, detail?: string): AuthError {
  return new TOKEN_ERROR_CLASSES[reason](detail);
}

/** The certificate store could not be read (or its copy is too stale to trust). Never an accept. */
export class StoreUnavailable extends AuthError {
  constructor(detail?: string) {
    super("store_unavailable", detail);
  }
}

/**
 * A write reached the certificate store but its outcome could not be confirmed: the reply was
 * lost (timeout, connection dropped mid-flight) and reading the outcome back failed too, so it
 * may or may not have been applied. A StoreUnavailable, so every caller that fails closed on
 * StoreUnavailable still does; the admin API answers it with 503 `outcome_unknown`, never with
 * "nothing was changed" (docs/redis.md).
 */
export class WriteOutcomeUnknown extends StoreUnavailable {}
