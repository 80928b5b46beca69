/**
 * THE one mapping from a reason to what each SDK profile sees (docs/reasons.md is generated from
 * it; why each code: docs/agora-behaviour.md, "Login"). The domain never carries a number: RTM
 * 1.x swaps 5 and 6 between login and renewToken, so one reason maps to different numbers per
 * operation.
 *
 * Typed as `Record<FailureReason, …>` with `satisfies`: adding a reason without mapping it
 * fails the compile.
 */
import type { FailureReason } from "../../core/errors.js";
import type { CloseCode, Rtm2Reason } from "../../core/protocol/wire.js";
import { CLOSE } from "../../core/protocol/wire.js";

/** One numeric code with its SDK name. */
export interface CodeName {
  readonly code: number;
  readonly name: string;
}

// RTM 1.x LOGIN_ERR_CODE
const L1 = {
  UNKNOWN: { code: 1, name: "LOGIN_ERR_UNKNOWN" },
  REJECTED: { code: 2, name: "LOGIN_ERR_REJECTED" },
  INVALID_ARGUMENT: { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT" },
  INVALID_APP_ID: { code: 4, name: "LOGIN_ERR_INVALID_APP_ID" },
  INVALID_TOKEN: { code: 5, name: "LOGIN_ERR_INVALID_TOKEN" },
  TOKEN_EXPIRED: { code: 6, name: "LOGIN_ERR_TOKEN_EXPIRED" },
  ALREADY_LOGIN: { code: 8, name: "LOGIN_ERR_ALREADY_LOGIN" },
  TIMEOUT: { code: 9, name: "LOGIN_ERR_TIMEOUT" },
  TOO_OFTEN: { code: 10, name: "LOGIN_ERR_TOO_OFTEN" },
  ABORTED_BY_LOGOUT: { code: 201, name: "LOGIN_ERR_ABORTED_BY_LOGOUT" },
} as const satisfies Record<string, CodeName>;

// RTM 1.x RENEW_TOKEN_ERR_CODE: note TOKEN_EXPIRED = 5, INVALID_TOKEN = 6.
const R1 = {
  FAILURE: { code: 1, name: "RENEW_TOKEN_ERR_FAILURE" },
  INVALID_ARGUMENT: { code: 2, name: "RENEW_TOKEN_ERR_INVALID_ARGUMENT" },
  REJECTED: { code: 3, name: "RENEW_TOKEN_ERR_REJECTED" },
  TOO_OFTEN: { code: 4, name: "RENEW_TOKEN_ERR_TOO_OFTEN" },
  TOKEN_EXPIRED: { code: 5, name: "RENEW_TOKEN_ERR_TOKEN_EXPIRED" },
  INVALID_TOKEN: { code: 6, name: "RENEW_TOKEN_ERR_INVALID_TOKEN" },
  USER_NOT_LOGGED_IN: { code: 102, name: "RENEW_TOKEN_ERR_USER_NOT_LOGGED_IN" },
  ABORTED_BY_LOGOUT: { code: 201, name: "RENEW_TOKEN_ERR_ABORTED_BY_LOGOUT" },
} as const satisfies Record<string, CodeName>;

// RTM 1.x LOGOUT_ERR_CODE
const O1 = {
  REJECTED: { code: 1, name: "LOGOUT_ERR_REJECTED" },
  USER_NOT_LOGGED_IN: { code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN" },
} as const satisfies Record<string, CodeName>;

// RTM 2.x error codes, named with the RTM_ERROR_ prefix (docs/protocol.md, "Replies").
const E2 = {
  NOT_LOGIN: { code: -10002, name: "RTM_ERROR_NOT_LOGIN" },
  INVALID_APP_ID: { code: -10003, name: "RTM_ERROR_INVALID_APP_ID" },
  INVALID_TOKEN: { code: -10005, name: "RTM_ERROR_INVALID_TOKEN" },
  INVALID_USER_ID: { code: -10006, name: "RTM_ERROR_INVALID_USER_ID" },
  TOKEN_EXPIRED: { code: -10009, name: "RTM_ERROR_TOKEN_EXPIRED" },
  LOGIN_NO_SERVER_RESOURCES: { code: -10010, name: "RTM_ERROR_LOGIN_NO_SERVER_RESOURCES" },
  LOGIN_TIMEOUT: { code: -10011, name: "RTM_ERROR_LOGIN_TIMEOUT" },
  LOGIN_REJECTED: { code: -10012, name: "RTM_ERROR_LOGIN_REJECTED" },
  LOGIN_NOT_AUTHORIZED: { code: -10015, name: "RTM_ERROR_LOGIN_NOT_AUTHORIZED" },
  INCONSISTENT_APPID: { code: -10016, name: "RTM_ERROR_INCONSISTENT_APPID" },
  DUPLICATE_OPERATION: { code: -10017, name: "RTM_ERROR_DUPLICATE_OPERATION" },
  OPERATION_RATE_EXCEED_LIMITATION: { code: -10021, name: "RTM_ERROR_OPERATION_RATE_EXCEED_LIMITATION" },
  LOGIN_CANCELED: { code: -10023, name: "RTM_ERROR_LOGIN_CANCELED" },
  NOT_CONNECTED: { code: -10025, name: "RTM_ERROR_NOT_CONNECTED" },
} as const satisfies Record<string, CodeName>;

/** What one reason means on the wire. */
export interface WireMapping {
  /** RTM 1.x login reply code. */
  readonly rtm1Login: CodeName;
  /** RTM 1.x renewToken reply code (5 and 6 swapped against login). */
  readonly rtm1Renew: CodeName;
  /** RTM 1.x logout reply code. */
  readonly rtm1Logout: CodeName;
  /** RTM 2.x login reply code. */
  readonly rtm2Login: CodeName;
  /** RTM 2.x renewToken reply code. */
  readonly rtm2Renew: CodeName;
  /** RTM 2.x link-state reason when a login fails or a session ends for this reason. */
  readonly rtm2LinkReason: Rtm2Reason;
  /** For reasons that end a live session: the close code. */
  readonly close: CloseCode | null;
  /** True when retrying later, unchanged, can succeed. */
  readonly retryable: boolean;
  /** HTTP status when the admin API reports this reason (explain, token checks). */
  readonly http: number;
}

/** Token problems: 1.x login 5 / renew 6, 2.x -10005. */
const invalidToken = {
  rtm1Login: L1.INVALID_TOKEN,
  rtm1Renew: R1.INVALID_TOKEN,
  rtm1Logout: O1.REJECTED,
  rtm2Login: E2.INVALID_TOKEN,
  rtm2Renew: E2.INVALID_TOKEN,
  rtm2LinkReason: "INVALID_TOKEN",
  close: null,
  retryable: false,
  http: 401,
} as const satisfies WireMapping;

/** Expired: 1.x login 6 / renew 5, 2.x -10009. */
const expired = {
  ...invalidToken,
  rtm1Login: L1.TOKEN_EXPIRED,
  rtm1Renew: R1.TOKEN_EXPIRED,
  rtm2Login: E2.TOKEN_EXPIRED,
  rtm2Renew: E2.TOKEN_EXPIRED,
  rtm2LinkReason: "TOKEN_EXPIRED",
} as const satisfies WireMapping;

const sessionEnd = (close: CloseCode, rtm2LinkReason: Rtm2Reason): WireMapping => ({
  rtm1Login: L1.REJECTED,
  rtm1Renew: R1.FAILURE,
  rtm1Logout: O1.REJECTED,
  rtm2Login: E2.LOGIN_REJECTED,
  rtm2Renew: E2.LOGIN_REJECTED,
  rtm2LinkReason,
  close,
  retryable: close < 4500,
  http: 409,
});

const unavailable = {
  rtm1Login: L1.UNKNOWN,
  rtm1Renew: R1.FAILURE,
  rtm1Logout: O1.REJECTED,
  rtm2Login: E2.LOGIN_NO_SERVER_RESOURCES,
  rtm2Renew: E2.LOGIN_REJECTED,
  rtm2LinkReason: "LOGIN_REJECTED",
  close: null,
  retryable: true,
  http: 503,
} as const satisfies WireMapping;

/** The table (docs/reasons.md, "Login codes"; sources per row: docs/agora-behaviour.md, "Login"). */
export const WIRE_CODES = {
  malformed: invalidToken,
  unsupported_version: invalidToken,
  invalid_signature: invalidToken,
  // 1.x: 5 — the certificate of the client's App ID cannot verify it; 2.x: -10016.
  app_id_mismatch: { ...invalidToken, rtm2Login: E2.INCONSISTENT_APPID, rtm2Renew: E2.INCONSISTENT_APPID, rtm2LinkReason: "INCONSISTENT_APP_ID" },
  // 1.x Web: an RTC token is an unknown server code → 2 REJECTED; 2.x: -10015.
  not_rtm_token: { ...invalidToken, rtm1Login: L1.REJECTED, rtm2Login: E2.LOGIN_NOT_AUTHORIZED, rtm2Renew: E2.INVALID_TOKEN, rtm2LinkReason: "LOGIN_NOT_AUTHORIZED" },
  // 1.x Web maps the server's "uid does not match the token" to 3 (native 1.x: undocumented); renew: 6.
  uid_mismatch: { ...invalidToken, rtm1Login: L1.INVALID_ARGUMENT },
  token_expired: expired,
  privilege_expired: expired,
  // Certificate project, no token: 5 / -10005 (docs/agora-behaviour.md, "Auth modes").
  token_required: invalidToken,
  // App-ID project, a real token: 1.x 5, 2.x -10003 (docs/agora-behaviour.md, "Auth modes"); a 2.x renew gets the mapped login error.
  token_not_accepted: { ...invalidToken, rtm2Login: E2.INVALID_APP_ID, rtm2Renew: E2.INVALID_APP_ID, rtm2LinkReason: "LOGIN_REJECTED", http: 400 },
  unknown_app_id: {
    ...invalidToken,
    rtm1Login: L1.INVALID_APP_ID,
    rtm2Login: E2.INVALID_APP_ID,
    rtm2Renew: E2.INVALID_APP_ID,
    rtm2LinkReason: "LOGIN_REJECTED",
    http: 404,
  },
  invalid_uid: {
    ...invalidToken,
    rtm1Login: L1.INVALID_ARGUMENT,
    rtm1Renew: R1.INVALID_ARGUMENT,
    rtm2Login: E2.INVALID_USER_ID,
    rtm2Renew: E2.INVALID_USER_ID,
    rtm2LinkReason: "INVALID_USER_ID",
    http: 400,
  },
  // 1.x: 8 while CONNECTING/CONNECTED/ABORTED; 2.x Web 2.3.0: -10017 for a login while one is pending.
  already_logged_in: {
    ...invalidToken,
    rtm1Login: L1.ALREADY_LOGIN,
    rtm2Login: E2.DUPLICATE_OPERATION,
    rtm2Renew: E2.DUPLICATE_OPERATION,
    rtm2LinkReason: "LOGIN_REJECTED",
    http: 409,
  },
  // 1.x renew/logout before login: 102; 2.x renew: -10025 NOT_CONNECTED.
  not_logged_in: {
    ...invalidToken,
    rtm1Login: L1.REJECTED,
    rtm1Renew: R1.USER_NOT_LOGGED_IN,
    rtm1Logout: O1.USER_NOT_LOGGED_IN,
    rtm2Login: E2.NOT_LOGIN,
    rtm2Renew: E2.NOT_CONNECTED,
    rtm2LinkReason: "LOGIN_REJECTED",
    http: 409,
  },
  // 1.x: login 10, renew 4; 2.x: -10021.
  too_often: {
    ...invalidToken,
    rtm1Login: L1.TOO_OFTEN,
    rtm1Renew: R1.TOO_OFTEN,
    rtm2Login: E2.OPERATION_RATE_EXCEED_LIMITATION,
    rtm2Renew: E2.OPERATION_RATE_EXCEED_LIMITATION,
    rtm2LinkReason: "OPERATION_RATE_EXCEED_LIMITATION",
    retryable: true,
    http: 429,
  },
  // Session ends (docs/protocol.md, "Remote login and kicks"): 1.x ABORTED/REMOTE_LOGIN, BANNED_BY_SERVER, TOKEN_EXPIRED; 2.x FAILED/SERVER_REJECT.
  remote_login: sessionEnd(CLOSE.remoteLogin, "SAME_UID_LOGIN"),
  banned: sessionEnd(CLOSE.banned, "KICKED_OUT_BY_SERVER"),
  session_token_expired: { ...sessionEnd(CLOSE.sessionTokenExpired, "TOKEN_EXPIRED"), rtm1Login: L1.TOKEN_EXPIRED, rtm2Login: E2.TOKEN_EXPIRED },
  // 2.x: a login still pending when the client logs out, or logs in again, fails with -10023
  // (docs/agora-behaviour.md, "Login"). 1.x Web instead lets the login settle first; its 201 codes
  // exist in the SDK enums and are what a 1.x client would show if it were ever raised.
  login_canceled: {
    ...invalidToken,
    rtm1Login: L1.ABORTED_BY_LOGOUT,
    rtm1Renew: R1.ABORTED_BY_LOGOUT,
    rtm2Login: E2.LOGIN_CANCELED,
    rtm2Renew: E2.LOGIN_CANCELED,
    rtm2LinkReason: "LOGIN_REJECTED",
    retryable: true,
    http: 409,
  },
  fault_injected: { ...unavailable, rtm1Login: L1.REJECTED, rtm2Login: E2.LOGIN_REJECTED, retryable: false, http: 409 },
  // The gateway could not decide: never an accept (1.x UNKNOWN / renew FAILURE; 2.x no server resources).
  store_unavailable: unavailable,
  internal_error: { ...unavailable, rtm2Login: E2.LOGIN_REJECTED, retryable: false, http: 500 },
} as const satisfies Record<FailureReason, WireMapping>;

/** The INVALID_ARGUMENT code of an operation, for frames whose fields are missing or mistyped (docs/reasons.md, "Argument errors"). */
export const ARGUMENT_ERROR: Readonly<Record<"rtm1" | "rtm2", Readonly<Record<"login" | "renewToken", CodeName>>>> = {
  rtm1: { login: L1.INVALID_ARGUMENT, renewToken: R1.INVALID_ARGUMENT },
  // 2.x: a token of the wrong type is -10005 (docs/agora-behaviour.md, "The token argument"); a bad uid is -10006 (mapped through invalid_uid).
  rtm2: { login: E2.INVALID_TOKEN, renewToken: E2.INVALID_TOKEN },
};

/** The client-side timeouts' codes, for the SDK (docs/reasons.md, "Client-side codes"). */
export const TIMEOUT_CODES = { rtm1Login: L1.TIMEOUT, rtm2Login: E2.LOGIN_TIMEOUT } as const;
