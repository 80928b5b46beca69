/**
 * `rtm-auth-gateway/compat/agora-rtm-sdk`: the login part of Agora's RTM 1.x Web SDK
 * (`agora-rtm-sdk` 1.5.1), backed by the gateway, to be swapped in for the real package with one
 * alias line in an app's test setup (docs/compat.md). `createInstance`, `login`, `logout`,
 * `renewToken`, the `ConnectionStateChanged`, `TokenExpired` and `TokenPrivilegeWillExpire` events,
 * and the SDK's constants behave as the SDK's; the codes, event sequences and timings are the
 * gateway's `rtm1` profile through the project's client SDK (docs/reasons.md, docs/protocol.md).
 * Messaging, channels, invitations and attributes reject (or throw, for the synchronous ones) with
 * {@link RtmNotEmulatedError}.
 *
 * Where the gateway is: {@link connectRtmEmulator} or the `RTM_AUTH_EMULATOR_URL` variable, read at
 * each login.
 */
import { isRtmError, type RtmError } from "../client/rtm-error.js";
import { rtm1ErrorClass, type SdkErrorClass } from "./error-classes.js";
import { GatewayLink } from "./gateway-link.js";
import { ListenerRegistry, type AnyListener } from "./listeners.js";
import { rejectNotEmulated, RtmNotEmulatedError } from "./not-emulated.js";
import {
  AreaCode,
  ConnectionChangeReason,
  ConnectionState,
  END_CALL_PREFIX,
  LocalInvitationFailureReason,
  LocalInvitationState,
  LOG_FILTER_ERROR,
  LOG_FILTER_INFO,
  LOG_FILTER_OFF,
  LOG_FILTER_WARNING,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
  type AreaCodeName,
  type ConnectionChangeReasonName,
  type ConnectionStateName,
  type LogFilterType,
} from "./rtm1-constants.js";

export { connectRtmEmulator, RtmEmulatorConfigError } from "./emulator.js";
export {
  AreaCode,
  ConnectionChangeReason,
  ConnectionState,
  END_CALL_PREFIX,
  LocalInvitationFailureReason,
  LocalInvitationState,
  LOG_FILTER_ERROR,
  LOG_FILTER_INFO,
  LOG_FILTER_OFF,
  LOG_FILTER_WARNING,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
} from "./rtm1-constants.js";
export { RtmNotEmulatedError } from "./not-emulated.js";
export type { AreaCodeName, ConnectionChangeReasonName, ConnectionStateName, LogFilterType } from "./rtm1-constants.js";

const SDK = "agora-rtm-sdk";

/** `createInstance`'s configuration (1.x `RtmConfig`). Accepted and checked; logging and proxies do not apply here. */
export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
}

/** The emulated events of an {@link RtmClient}, with the 1.x listener signatures. */
export interface RtmClientEvents {
  /** The connection state changed (the gateway's `connectionStateChanged`, or the client SDK's own). */
  ConnectionStateChanged: (newState: ConnectionStateName, reason: ConnectionChangeReasonName) => void;
  /** The session's token expired (007 tokens; docs/agora-behaviour.md, "Token expiry"), before `ABORTED`/`TOKEN_EXPIRED`. */
  TokenExpired: () => void;
  /** The session's token expires in `WILL_EXPIRE_SECONDS` (30 s by default): renew it now. */
  TokenPrivilegeWillExpire: () => void;
}

/** A listener's arguments, as the SDK's `ListenerType` spreads them. */
type ListenerArgs<E extends keyof RtmClientEvents> = Parameters<RtmClientEvents[E]>;

/**
 * A failed 1.x call: `name` is the SDK's error class for that kind of failure (docs/compat.md,
 * "Error classes"), `code` the 1.x code of the operation (e.g. 5 `LOGIN_ERR_INVALID_TOKEN`), the
 * message the gateway's text. Two fields the SDK does not have: `codeName`, the code's name in the
 * SDK's enums, and `gatewayReason`, the gateway's stable reason (docs/reasons.md). The real SDK does
 * not export its error classes; this one is exported for tests.
 */
export class AgoraRtmError extends Error {
  override readonly name: SdkErrorClass;
  /** The 1.x code of the failed operation. */
  readonly code: number;
  /** The name of `code` in the SDK's enums, e.g. `LOGIN_ERR_INVALID_TOKEN`. */
  readonly codeName: string;
  /** The gateway's (or client SDK's) reason, e.g. `invalid_signature`, `login_timeout`. */
  readonly gatewayReason: string;

  constructor(error: RtmError) {
    super(error.message);
    this.name = rtm1ErrorClass(error);
    this.code = error.code;
    this.codeName = error.name;
    this.gatewayReason = error.reason;
  }
}

/** The gateway's refusal reshaped as the SDK's error; anything else (a setup error) as it is. */
function toSdkError(error: unknown): unknown {
  return isRtmError(error) ? new AgoraRtmError(error) : error;
}

/** Throws a TypeError unless `config` is undefined or an object (the fields are not used). */
function checkConfig(config: unknown, what: string): void {
  if (config !== undefined && (typeof config !== "object" || config === null)) {
    throw new TypeError(`${SDK} compat: ${what} must be an object (RtmConfig) or omitted; got ${config === null ? "null" : typeof config}`);
  }
}

/**
 * The 1.x client, as `AgoraRTM.createInstance(appId)` returns it. One instance, one user at a
 * time; each login opens a socket to the gateway, and logout closes it.
 */
export class RtmClient {
  private readonly link: GatewayLink;
  private readonly listenersByEvent = new ListenerRegistry();

  /** Prefer `AgoraRTM.createInstance(appId, config)`. */
  constructor(appId: string, config?: RtmConfig) {
    checkConfig(config, "createInstance's config");
    this.link = new GatewayLink(appId, "rtm1", {
      connectionStateChanged: (e) => this.listenersByEvent.emit("ConnectionStateChanged", e.state, e.reason),
      tokenPrivilegeWillExpire: () => this.listenersByEvent.emit("TokenPrivilegeWillExpire"),
      tokenExpired: () => this.listenersByEvent.emit("TokenExpired"),
    });
  }

  /**
   * Logs `uid` in with `token` (omitted, null or "" for an App ID login). Resolves once the gateway
   * accepted, after `ConnectionStateChanged` `CONNECTING`/`LOGIN` and `CONNECTED`/`LOGIN_SUCCESS`;
   * rejects with an {@link AgoraRtmError} (e.g. code 5, 6, 8, 9 after 12 s without an answer), or
   * with RtmEmulatorConfigError when no gateway is set.
   */
  async login(options: { uid: string; token?: string }): Promise<void> {
    const { uid, token } = (typeof options === "object" && options !== null ? options : {}) as { uid: string; token?: string | null };
    try {
      await this.link.login(uid, token ?? null);
    } catch (error) {
      throw toSdkError(error);
    }
  }

  /** Logs out (`DISCONNECTED`/`LOGOUT`); rejects with code 102 when not logged in. */
  async logout(): Promise<void> {
    try {
      await this.link.logout();
    } catch (error) {
      throw toSdkError(error);
    }
  }

  /**
   * Gives the session a new token; the expiry timers start again from it. Rejects with code 102 when
   * not logged in, 6 for an invalid token, 5 for an expired one (1.x swaps them against login), 4 too often.
   */
  async renewToken(token: string): Promise<void> {
    try {
      await this.link.renewToken(token);
    } catch (error) {
      throw toSdkError(error);
    }
  }

  /** Adds a listener. Any event name is accepted; the emulated ones are those of {@link RtmClientEvents}. */
  on<E extends keyof RtmClientEvents>(eventName: E, listener: (...args: ListenerArgs<E>) => unknown): this {
    this.listenersByEvent.add(eventName, listener as AnyListener);
    return this;
  }

  /** Adds a listener for the next occurrence only. */
  once<E extends keyof RtmClientEvents>(eventName: E, listener: (...args: ListenerArgs<E>) => unknown): this {
    this.listenersByEvent.add(eventName, listener as AnyListener, true);
    return this;
  }

  /** Removes the most recent registration of `listener`. */
  off<E extends keyof RtmClientEvents>(eventName: E, listener: (...args: never[]) => unknown): this {
    this.listenersByEvent.remove(eventName, listener as AnyListener);
    return this;
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners<E extends keyof RtmClientEvents>(event?: E): this {
    this.listenersByEvent.removeAll(event);
    return this;
  }

  /** The listeners of `event`. */
  listeners<E extends keyof RtmClientEvents>(event: E): Function[] {
    return this.listenersByEvent.listeners(event);
  }

  /** The listeners of `event` (no wrappers are kept: the same as {@link listeners}). */
  rawListeners<E extends keyof RtmClientEvents>(event: E): Function[] {
    return this.listenersByEvent.listeners(event);
  }

  /** The number of listeners of `event`. */
  listenerCount<E extends keyof RtmClientEvents>(event: E): number {
    return this.listenersByEvent.count(event);
  }

  /** Accepted and checked (an object); log and proxy settings have no meaning against the gateway. */
  updateConfig(config: RtmConfig): void {
    checkConfig(config, "updateConfig's config");
  }

  /** Accepted and checked (an object); log and proxy settings have no meaning against the gateway. */
  setParameters(config: RtmConfig): void {
    checkConfig(config, "setParameters' config");
  }

  // ---- not emulated (docs/compat.md, "What is not emulated") ----

  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  sendMessageToPeer(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "sendMessageToPeer");
  }
  /** Not emulated: throws {@link RtmNotEmulatedError}. */
  createChannel(..._args: unknown[]): never {
    throw new RtmNotEmulatedError(SDK, "createChannel");
  }
  /** Not emulated: throws {@link RtmNotEmulatedError}. */
  createLocalInvitation(..._args: unknown[]): never {
    throw new RtmNotEmulatedError(SDK, "createLocalInvitation");
  }
  /** Not emulated: throws {@link RtmNotEmulatedError}. */
  createMessage(..._args: unknown[]): never {
    throw new RtmNotEmulatedError(SDK, "createMessage");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  setLocalUserAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "setLocalUserAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  addOrUpdateLocalUserAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "addOrUpdateLocalUserAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  deleteLocalUserAttributesByKeys(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "deleteLocalUserAttributesByKeys");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  clearLocalUserAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "clearLocalUserAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  getUserAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "getUserAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  getUserAttributesByKeys(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "getUserAttributesByKeys");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  queryPeersOnlineStatus(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "queryPeersOnlineStatus");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  subscribePeersOnlineStatus(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "subscribePeersOnlineStatus");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  unsubscribePeersOnlineStatus(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "unsubscribePeersOnlineStatus");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  queryPeersBySubscriptionOption(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "queryPeersBySubscriptionOption");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  getChannelMemberCount(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "getChannelMemberCount");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  getChannelAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "getChannelAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  getChannelAttributesByKeys(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "getChannelAttributesByKeys");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  clearChannelAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "clearChannelAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  deleteChannelAttributesByKeys(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "deleteChannelAttributesByKeys");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  addOrUpdateChannelAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "addOrUpdateChannelAttributes");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  setChannelAttributes(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "setChannelAttributes");
  }
}

/** Creates a client for `appId` (checked by the gateway at login: an unknown one is code 4). */
export function createInstance(appId: string, config?: RtmConfig, _areaCodes?: AreaCodeName[]): RtmClient {
  return new RtmClient(appId, config);
}

/** Accepted and checked (a non-empty list of area codes); there are no regions to choose from here. */
export function setArea(areaConfig: { areaCodes: AreaCodeName[]; excludedArea?: AreaCodeName }): void {
  const codes = (areaConfig as { areaCodes?: unknown } | null)?.areaCodes;
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => typeof c === "string" && Object.hasOwn(AreaCode, c))) {
    throw new TypeError(`${SDK} compat: setArea needs { areaCodes: [one or more of ${Object.keys(AreaCode).join(", ")}] }`);
  }
}

/** The SDK version whose API is emulated. */
export const VERSION = "1.5.1";
/** Names the emulator: the build is rtm-auth-gateway's, not Agora's. */
export const BUILD = "rtm-auth-gateway-compat";

/**
 * The default export: the SDK's `AgoraRTM` namespace, as far as it is emulated. Its members are also
 * named exports, as a bundler's CommonJS interop offers them from the real package.
 */
const AgoraRTM = Object.freeze({
  LOG_FILTER_OFF,
  LOG_FILTER_ERROR,
  LOG_FILTER_INFO,
  LOG_FILTER_WARNING,
  VERSION,
  BUILD,
  END_CALL_PREFIX,
  createInstance,
  setArea,
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  LocalInvitationState,
  RemoteInvitationState,
  RemoteInvitationFailureReason,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  AreaCode,
});

export default AgoraRTM;
