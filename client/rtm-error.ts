/**
 * The error every failed client call rejects with: the SDK profile's numeric code and name (as the
 * gateway sent them, or as the client chose them for a client-side failure), the stable reason and
 * the operation. Messages never carry tokens.
 */
import type { Reason } from "../core/errors.js";
import type { Op } from "../core/protocol/wire.js";

/** Reasons only the client produces: it gave up waiting, or the socket went away. */
export const CLIENT_ONLY_REASONS = ["login_timeout", "renew_timeout", "connection_closed"] as const;
/** A reason only the client produces (never sent by the gateway). */
export type ClientOnlyReason = (typeof CLIENT_ONLY_REASONS)[number];

/**
 * Every reason an {@link RtmError} can carry: the gateway vocabulary (docs/reasons.md) plus
 * the client-only reasons. The gateway may add reasons later; an older client passes them through
 * unchanged, so a value outside this union is possible at run time.
 */
export type ClientReason = Reason | ClientOnlyReason;

/** The fields of an {@link RtmError}. */
export interface RtmErrorInit {
  /** The profile's numeric code, e.g. 5 (`LOGIN_ERR_INVALID_TOKEN`) or -10005. */
  readonly code: number;
  /** The SDK error name, e.g. `LOGIN_ERR_INVALID_TOKEN` or `RTM_ERROR_INVALID_TOKEN`. */
  readonly name: string;
  /** The stable reason string. */
  readonly reason: ClientReason;
  /** Human text, never a secret. */
  readonly message: string;
  /** The operation that failed. */
  readonly op: Op;
}

/**
 * A refused or failed call. `name` is the SDK error name (not `"RtmError"`), so a test can assert
 * `{ code: 5, name: "LOGIN_ERR_INVALID_TOKEN", reason: "invalid_signature" }` directly; use
 * `instanceof RtmError` or {@link isRtmError} to recognise the class.
 */
export class RtmError extends Error {
  /** The profile's numeric code. */
  readonly code: number;
  /** The SDK error name (`LOGIN_ERR_*`, `RENEW_TOKEN_ERR_*`, `LOGOUT_ERR_*`, `RTM_ERROR_*`). */
  override readonly name: string;
  /** The stable reason (gateway reason or client-only reason). */
  readonly reason: ClientReason;
  /** The operation that failed. */
  readonly op: Op;

  constructor(init: RtmErrorInit) {
    super(init.message);
    this.code = init.code;
    this.name = init.name;
    this.reason = init.reason;
    this.op = init.op;
  }
}

/** True when `value` is an {@link RtmError}. */
export function isRtmError(value: unknown): value is RtmError {
  return value instanceof RtmError;
}
