/**
 * The client SDK of rtm-auth-gateway: an RTM-shaped client (`createRtmClient`) and a lean login
 * cycle for load tests (`leanLoginCycle`). It depends only on the shared wire types.
 */
export { createRtmClient } from "./rtm-client.js";
export type {
  ClosedEvent,
  LoginOptions,
  PingResult,
  RtmClient,
  RtmClientEvents,
  RtmClientOptions,
} from "./rtm-client.js";
export { RtmError, isRtmError, CLIENT_ONLY_REASONS } from "./rtm-error.js";
export type { ClientOnlyReason, ClientReason, RtmErrorInit } from "./rtm-error.js";
export { DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_RENEW_TIMEOUT_MS } from "./client-codes.js";
export type { RtmConnectionState } from "./local-events.js";
export type { Listener } from "./typed-emitter.js";
export type { CloseEventLike, WebSocketConstructor, WebSocketLike } from "./websocket-like.js";
export { leanLoginCycle, LEAN_LOGIN_TIMEOUT_MS } from "./lean-client.js";
export type { LeanLoginOutcome } from "./lean-client.js";
export type {
  ConnectionStateChangedEvent,
  LinkStateEvent,
  LoginResult,
  Profile,
  RenewResult,
  Rtm1Reason,
  Rtm1State,
  Rtm2Operation,
  Rtm2Reason,
  Rtm2State,
  TokenExpiredEvent,
  TokenPrivilegeWillExpireEvent,
} from "../core/protocol/wire.js";
export { CLOSE, closeIsRetryable } from "../core/protocol/wire.js";
