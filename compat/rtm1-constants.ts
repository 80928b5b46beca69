/**
 * The constants `agora-rtm-sdk` 1.x exports on its default export, with the values its typings
 * declare (`RtmStatusCode` in the package's `index.d.ts`; test/compat/types/sdk-types.ts checks
 * them against the installed package). Only `ConnectionState` and `ConnectionChangeReason` are ever
 * seen in an event here; the others exist so that app code reading them keeps working.
 */
import { nameTable } from "./name-table.js";

export const ConnectionState = nameTable(["DISCONNECTED", "CONNECTING", "CONNECTED", "RECONNECTING", "ABORTED"]);
export const ConnectionChangeReason = nameTable([
  "LOGIN",
  "LOGIN_SUCCESS",
  "LOGIN_FAILURE",
  "LOGIN_TIMEOUT",
  "INTERRUPTED",
  "LOGOUT",
  "BANNED_BY_SERVER",
  "REMOTE_LOGIN",
  "TOKEN_EXPIRED",
]);
export const LocalInvitationState = nameTable(["IDLE", "SENT_TO_REMOTE", "RECEIVED_BY_REMOTE", "ACCEPTED_BY_REMOTE", "REFUSED_BY_REMOTE", "CANCELED", "FAILURE"]);
export const RemoteInvitationState = nameTable(["INVITATION_RECEIVED", "ACCEPT_SENT_TO_LOCAL", "REFUSED", "ACCEPTED", "CANCELED", "FAILURE"]);
export const LocalInvitationFailureReason = nameTable(["UNKNOWN", "PEER_NO_RESPONSE", "INVITATION_EXPIRE", "PEER_OFFLINE", "NOT_LOGGEDIN"]);
export const RemoteInvitationFailureReason = nameTable(["UNKNOWN", "PEER_OFFLINE", "ACCEPT_FAILURE", "INVITATION_EXPIRE"]);
export const PeerOnlineState = nameTable(["ONLINE", "UNREACHABLE", "OFFLINE"]);
export const PeerSubscriptionOption = nameTable(["ONLINE_STATUS"]);
export const MessageType = nameTable(["TEXT", "RAW"]);
export const AreaCode = nameTable(["GLOBAL", "INDIA", "JAPAN", "ASIA", "EUROPE", "CHINA", "NORTH_AMERICA"]);

/** A 1.x connection state, e.g. `"CONNECTED"`. */
export type ConnectionStateName = keyof typeof ConnectionState;
/** A 1.x connection change reason, e.g. `"REMOTE_LOGIN"`. */
export type ConnectionChangeReasonName = keyof typeof ConnectionChangeReason;
/** A 1.x area code, e.g. `"GLOBAL"`. */
export type AreaCodeName = keyof typeof AreaCode;

/** Which log levels the 1.x SDK prints (`RtmConfig.logFilter`). */
export interface LogFilterType {
  error: boolean;
  warn: boolean;
  info: boolean;
  track: boolean;
  debug: boolean;
}

function logFilter(error: boolean, warn: boolean, info: boolean): LogFilterType {
  return Object.freeze({ error, warn, info, track: false, debug: false });
}

export const LOG_FILTER_OFF = logFilter(false, false, false);
export const LOG_FILTER_ERROR = logFilter(true, false, false);
export const LOG_FILTER_WARNING = logFilter(true, true, false);
export const LOG_FILTER_INFO = logFilter(true, true, true);

/** The prefix the 1.x SDK gives the peer message that ends a call (a constant of its default export). */
export const END_CALL_PREFIX = "AgoraRTMLegacyEndcallCompatibleMessagePrefix";
