/**
 * The wire protocol of docs/protocol.md, as types and constants shared by the gateway and
 * the client SDK. Pure data: no I/O. Every frame is one JSON object in a UTF-8 text frame.
 */
import type { Reason } from "../errors.js";

/** The SDK profile a session speaks: RTM 1.x (default) or RTM 2.x. */
export const PROFILES = ["rtm1", "rtm2"] as const;
export type Profile = (typeof PROFILES)[number];

/** The WebSocket path of the gateway. */
export const RTM_PATH = "/rtm";

// ---- requests (client → gateway) ----

export interface LoginRequest {
  readonly id: number;
  readonly op: "login";
  readonly appId: string;
  readonly uid: string;
  readonly token?: string | null;
  readonly profile?: Profile;
}
export interface RenewTokenRequest {
  readonly id: number;
  readonly op: "renewToken";
  readonly token: string;
}
export interface LogoutRequest {
  readonly id: number;
  readonly op: "logout";
}
export interface PingRequest {
  readonly id: number;
  readonly op: "ping";
}
export type Request = LoginRequest | RenewTokenRequest | LogoutRequest | PingRequest;
export type Op = Request["op"];
export const OPS: readonly Op[] = ["login", "renewToken", "logout", "ping"];

// ---- replies (gateway → client) ----

/** The error of a refused request: the profile's numeric code and name, and the stable reason. */
export interface WireError {
  readonly code: number;
  readonly name: string;
  readonly reason: Reason;
  readonly message: string;
}

export interface LoginResult {
  readonly sessionId: string;
  readonly appId: string;
  readonly uid: string;
  readonly credential: "appid" | "token";
  readonly tokenVersion: "006" | "007" | null;
  /** The last valid second of the token (earlier of token and RTM-privilege expiry); null for an App ID login. */
  readonly expiresAt: number | null;
  readonly serverTime: number;
}
export interface RenewResult {
  readonly expiresAt: number | null;
  readonly tokenVersion: "006" | "007";
  readonly serverTime: number;
}
export interface EmptyResult {
  readonly serverTime: number;
}

export type OkReply =
  | { readonly id: number; readonly ok: true; readonly op: "login"; readonly result: LoginResult }
  | { readonly id: number; readonly ok: true; readonly op: "renewToken"; readonly result: RenewResult }
  | { readonly id: number; readonly ok: true; readonly op: "logout" | "ping"; readonly result: EmptyResult };
export interface ErrorReply {
  readonly id: number;
  readonly ok: false;
  readonly op: Op;
  readonly error: WireError;
}
export type Reply = OkReply | ErrorReply;

// ---- events (gateway → client, no id) ----

/** RTM 1.x connection states (docs/protocol.md, "State events"). */
export const RTM1_STATE = { DISCONNECTED: 1, CONNECTING: 2, CONNECTED: 3, RECONNECTING: 4, ABORTED: 5 } as const;
export type Rtm1State = keyof typeof RTM1_STATE;
/** RTM 1.x connection change reasons (docs/protocol.md, "State events"). */
export const RTM1_REASON = {
  LOGIN: 1,
  LOGIN_SUCCESS: 2,
  LOGIN_FAILURE: 3,
  LOGIN_TIMEOUT: 4,
  INTERRUPTED: 5,
  LOGOUT: 6,
  BANNED_BY_SERVER: 7,
  REMOTE_LOGIN: 8,
  TOKEN_EXPIRED: 9,
} as const;
export type Rtm1Reason = keyof typeof RTM1_REASON;

/** RTM 2.x link states (docs/protocol.md, "State events"). */
export const RTM2_STATE = { IDLE: 0, CONNECTING: 1, CONNECTED: 2, DISCONNECTED: 3, SUSPENDED: 4, FAILED: 5 } as const;
export type Rtm2State = keyof typeof RTM2_STATE;
/** RTM 2.x link operations. */
export const RTM2_OPERATION = {
  LOGIN: 0,
  LOGOUT: 1,
  JOIN: 2,
  LEAVE: 3,
  SERVER_REJECT: 4,
  AUTO_RECONNECT: 5,
  RECONNECTED: 6,
  HEARTBEAT_TIMEOUT: 7,
  SERVER_TIMEOUT: 8,
  NETWORK_CHANGE: 9,
} as const;
export type Rtm2Operation = keyof typeof RTM2_OPERATION;
/** RTM 2.x link state reason codes used by the auth handshake (docs/protocol.md, "State events"). */
export const RTM2_REASON = {
  UNKNOWN: 0,
  LOGIN: 1,
  LOGIN_SUCCESS: 2,
  LOGIN_TIMEOUT: 3,
  LOGIN_NOT_AUTHORIZED: 4,
  LOGIN_REJECTED: 5,
  RELOGIN: 6,
  LOGOUT: 7,
  INVALID_TOKEN: 16,
  TOKEN_EXPIRED: 17,
  INCONSISTENT_APP_ID: 18,
  INVALID_USER_ID: 20,
  OPERATION_RATE_EXCEED_LIMITATION: 24,
  SAME_UID_LOGIN: 27,
  KICKED_OUT_BY_SERVER: 28,
  LOGIN_TOO_FREQUENT: 37,
} as const;
export type Rtm2Reason = keyof typeof RTM2_REASON;

export interface ConnectionStateChangedEvent {
  readonly event: "connectionStateChanged";
  readonly state: Rtm1State;
  readonly reason: Rtm1Reason;
  readonly stateCode: number;
  readonly reasonCode: number;
}
export interface LinkStateEvent {
  readonly event: "linkState";
  readonly currentState: Rtm2State;
  readonly previousState: Rtm2State;
  readonly operation: Rtm2Operation;
  readonly reasonCode: number;
  readonly reason: Rtm2Reason;
}
export interface TokenPrivilegeWillExpireEvent {
  readonly event: "tokenPrivilegeWillExpire";
  readonly expiresAt: number;
  readonly remainingSeconds: number;
}
export interface TokenExpiredEvent {
  readonly event: "tokenExpired";
}
export type ServerEvent = ConnectionStateChangedEvent | LinkStateEvent | TokenPrivilegeWillExpireEvent | TokenExpiredEvent;

/** Anything the gateway sends. */
export type ServerFrame = Reply | ServerEvent;

// ---- close codes (docs/protocol.md, "Close codes") ----

/** 4000–4499: the client may reconnect; 4500–4999: it should not without a change. */
export const CLOSE = {
  /** Message too big (ws closes with it when a frame exceeds the limit). */
  tooBig: 1009,
  loginDeadline: 4001,
  shuttingDown: 4002,
  protocolViolation: 4500,
  remoteLogin: 4501,
  banned: 4502,
  sessionTokenExpired: 4503,
} as const;
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** True for close codes after which a client may reconnect as it is. */
export function closeIsRetryable(code: number): boolean {
  return code >= 4000 && code < 4500;
}
