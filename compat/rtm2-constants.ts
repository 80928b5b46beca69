/**
 * The constants and event vocabularies of `agora-rtm` 2.x (2.3.0's `agora-rtm.d.ts`; the
 * connection-status names of the `status` event come from 2.1 and 2.2, which still had it).
 * test/compat/types/sdk-types.ts checks every value and union against the installed package.
 */
import { nameTable } from "./name-table.js";

export const MessageType = nameTable(["STRING", "BINARY"]);
export const LegacyAreaCode = nameTable(["CN", "NA", "EU", "AS", "JP", "IN", "GLOB", "OC", "SA", "AF", "KR", "US", "OVS"]);
export const AreaCode = nameTable(["GLOBAL", "INDIA", "JAPAN", "ASIA", "EUROPE", "CHINA", "NORTH_AMERICA"]);

/** A 2.x area code, e.g. `"GLOBAL"`. */
export type AreaCodeName = keyof typeof AreaCode;

/** The SDK's channel types as numbers, with the reverse mapping a TypeScript numeric enum has. */
export const ChannelTypeEnum = Object.freeze({ MESSAGE: 1, STREAM: 2, USER: 3, 1: "MESSAGE", 2: "STREAM", 3: "USER" } as const);

/** The `reason` text of a `linkState` event, by its `reasonCode` (the SDK's `LinkStateChangeReasonDescription`). */
export const LinkStateChangeReasonDescription = Object.freeze({
  UNKNOWN: "Unknown",
  LOGIN: "Perform login operation",
  LOGIN_SUCCESS: "Login success",
  LOGIN_TIMEOUT: "Login timeout",
  LOGIN_NOT_AUTHORIZED: "Login not authorized",
  LOGIN_REJECTED: "Login rejected",
  RELOGIN: "Perform login operation again",
  LOGOUT: "Logout success",
  AUTO_RECONNECT: "Reconnecting",
  RECONNECT_TIMEOUT: "Reconnect timeout",
  RECONNECT_SUCCESS: "Reconnect success",
  JOIN: "Perform join operation",
  JOIN_SUCCESS: "Join channel success",
  JOIN_FAILED: "Join channel failed",
  REJOIN: "Perform join operation again",
  LEAVE: "Leave channel success",
  INVALID_TOKEN: "Invalid token",
  TOKEN_EXPIRED: "Token expired",
  INCONSISTENT_APP_ID: "Inconsistent app ID",
  INVALID_CHANNEL_NAME: "Invalid channel name",
  INVALID_USER_ID: "Invalid user id",
  NOT_INITIALIZED: "Not initialized",
  RTM_SERVICE_NOT_CONNECTED: "RTM service not connected",
  CHANNEL_INSTANCE_EXCEED_LIMITATION: "Channel instance exceed limitation",
  OPERATION_RATE_EXCEED_LIMITATION: "Operation rate exceed limitation",
  CHANNEL_IN_ERROR_STATE: "Channel in error state",
  PRESENCE_NOT_CONNECTED: "Presence not connected",
  SAME_UID_LOGIN: "The same uid login on another device",
  KICKED_OUT_BY_SERVER: "Kicked out by server",
  KEEP_ALIVE_TIMEOUT: "Keep alive timeout",
  CONNECTION_ERROR: "Connection error",
  PRESENCE_NOT_READY: "Presence not ready",
  NETWORK_CHANGE: "Network change",
  SERVICE_NOT_SUPPORTED: "Service not supported",
  STREAM_CHANNEL_NOT_AVAILABLE: "Stream channel not available",
  STORAGE_NOT_AVAILABLE: "Storage service is not available",
  LOCK_NOT_AVAILABLE: "Lock service is not available",
  LOGIN_TOO_FREQUENT: "Login operation is too frequent",
} as const);

/** The `reason` text of a `token` event, by its `eventType` (the SDK's `TokenEventReason`). */
export const TokenEventReason = Object.freeze({
  WILL_EXPIRE: "The token is about to expire",
  READ_PERMISSION_REVOKED: "The token read permission is revoked",
} as const);

/** The SDK's `ConstantsType` (also the default export's `constantsType`). */
export const ConstantsType = Object.freeze({
  AreaCode,
  ChannelTypeEnum,
  LegacyAreaCode,
  LinkStateChangeReasonDescription,
  MessageType,
  TokenEventReason,
});

/** A link state of the `linkState` event. */
export type LinkState = "IDLE" | "CONNECTING" | "CONNECTED" | "DISCONNECTED" | "SUSPENDED" | "FAILED";
/** The operation of a `linkState` event. */
export type LinkOperation =
  | "LOGIN"
  | "LOGOUT"
  | "JOIN"
  | "LEAVE"
  | "SERVER_REJECT"
  | "AUTO_RECONNECT"
  | "RECONNECTED"
  | "HEARTBEAT_TIMEOUT"
  | "SERVER_TIMEOUT"
  | "NETWORK_CHANGE";
/** The `reasonCode` of a `linkState` event: a name, e.g. `"SAME_UID_LOGIN"`. */
export type LinkStateChangeReasonCode = keyof typeof LinkStateChangeReasonDescription;
/** The service a `linkState` event is about (always `MESSAGE` here). */
export type ServiceType = "MESSAGE" | "STREAM";
/** The `eventType` of a `token` event. */
export type TokenEventType = keyof typeof TokenEventReason;
/** The encryption modes of `RTMConfig` (accepted; nothing is encrypted here). */
export type EncryptionMode = "NONE" | "AES_128_GCM" | "AES_256_GCM";

/** The connection state of the `status` event (RTM 2.1 and 2.2 Web). */
export type ConnectionState = "DISCONNECTED" | "CONNECTING" | "RECONNECTING" | "CONNECTED" | "FAILED";
/** The reason of the `status` event (RTM 2.1 and 2.2 Web). */
export type ConnectionChangeReason =
  | "CONNECTING"
  | "LOGIN_SUCCESS"
  | "REJECTED_BY_SERVER"
  | "LOST"
  | "INTERRUPTED"
  | "LOGOUT"
  | "SAME_UID_LOGIN"
  | "TOKEN_EXPIRED"
  | "PRESENCE_NOT_READY";
