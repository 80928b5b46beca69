/**
 * Which error class of the Web SDKs a failure is shown as (the error's `name`), per SDK generation
 * (docs/compat.md, "Error classes"). The code itself is always the gateway's (or the client SDK's, for
 * a failure decided on the client side); this only names the class the SDK raises for that kind of
 * failure, as their shipped code does: local argument checks, authentication refusals, calls in the
 * wrong state, rate limits, timeouts, and everything else ("unavailable").
 */
import type { RtmError } from "../client/rtm-error.js";

/** The error class names the Web SDKs use for login, renewToken and logout failures. */
export type SdkErrorClass =
  | "RtmInvalidArgumentError"
  | "RtmUnauthenticatedError"
  | "RtmInvalidStatusError"
  | "RtmInvokeTooOftenError"
  | "RtmTimeoutError"
  | "RtmUnavailableError";

/** Reasons both generations report as an authentication refusal. */
const AUTH_REASONS: ReadonlySet<string> = new Set([
  "invalid_signature",
  "uid_mismatch",
  "token_expired",
  "privilege_expired",
  "token_required",
  "token_not_accepted",
  "unknown_app_id",
]);

/** Token checks the 2.x Web SDK makes itself before sending (version, App ID inside, decoding). */
const RTM2_LOCAL_TOKEN_REASONS: ReadonlySet<string> = new Set(["malformed", "unsupported_version", "app_id_mismatch"]);

/** The reasons of a call in the wrong state, a rate limit and a client-side timeout: the same in both. */
function commonClass(reason: string): SdkErrorClass | null {
  if (reason === "too_often") return "RtmInvokeTooOftenError";
  if (reason === "login_timeout" || reason === "renew_timeout") return "RtmTimeoutError";
  if (reason === "not_logged_in") return "RtmInvalidStatusError";
  if (reason === "invalid_uid") return "RtmInvalidArgumentError";
  return null;
}

/**
 * RTM 1.x (`agora-rtm-sdk`): an argument the SDK checks itself (a token that is not a string: code
 * `…_INVALID_ARGUMENT` with reason `malformed`) is `RtmInvalidArgumentError`; a second login is
 * `RtmInvalidStatusError`; the token, App ID and auth-mode refusals are `RtmUnauthenticatedError`
 * (the 1.x SDK also reports a 007 token for another uid, code 3, this way); an RTC token (code 2,
 * a refusal the SDK does not know) and every other failure are `RtmUnavailableError`.
 */
export function rtm1ErrorClass(error: RtmError): SdkErrorClass {
  const common = commonClass(error.reason);
  if (common !== null) return common;
  if (error.reason === "already_logged_in") return "RtmInvalidStatusError";
  if (error.reason === "malformed") return error.name.endsWith("_INVALID_ARGUMENT") ? "RtmInvalidArgumentError" : "RtmUnauthenticatedError";
  if (AUTH_REASONS.has(error.reason) || error.reason === "unsupported_version" || error.reason === "app_id_mismatch") return "RtmUnauthenticatedError";
  return "RtmUnavailableError";
}

/**
 * RTM 2.x (`agora-rtm`): the token problems the SDK finds by reading the token itself (malformed,
 * unsupported version, another App ID) are `RtmInvalidArgumentError`; the service's refusals
 * (signature, uid, expiry, auth mode, App ID, no RTM privilege) are `RtmUnauthenticatedError`; a
 * login for another identity (-10017) and every other failure are `RtmUnavailableError`.
 */
export function rtm2ErrorClass(error: RtmError): SdkErrorClass {
  const common = commonClass(error.reason);
  if (common !== null) return common;
  if (RTM2_LOCAL_TOKEN_REASONS.has(error.reason)) return "RtmInvalidArgumentError";
  if (AUTH_REASONS.has(error.reason) || error.reason === "not_rtm_token") return "RtmUnauthenticatedError";
  return "RtmUnavailableError";
}
