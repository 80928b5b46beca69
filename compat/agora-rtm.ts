/**
 * `rtm-auth-gateway/compat/agora-rtm`: the login part of Agora's RTM 2.x Web SDK (`agora-rtm`
 * 2.3.0), backed by the gateway, to be swapped in for the real package with one alias line in an
 * app's test setup (docs/compat.md). The `RTM` constructor with its config, `login({ token })`,
 * `logout`, `renewToken`, `addEventListener` / `removeEventListener` for `linkState`,
 * `tokenPrivilegeWillExpire`, `token` and (RTM 2.1 and 2.2) `status`, `RTMBaseError` and the SDK's
 * constants behave as the SDK's; the codes, event sequences and timings are the gateway's `rtm2`
 * profile through the project's client SDK (docs/reasons.md, docs/protocol.md). Publishing,
 * subscriptions, stream channels, presence, storage, locks and history reject (or throw, for the
 * synchronous `createStreamChannel`) with {@link RtmNotEmulatedError}.
 *
 * Where the gateway is: {@link connectRtmEmulator} or the `RTM_AUTH_EMULATOR_URL` variable, read at
 * each login.
 */
import { isRtmError } from "../client/rtm-error.js";
import { GatewayLink } from "./gateway-link.js";
import { ListenerRegistry, type AnyListener } from "./listeners.js";
import { rejectNotEmulated, RtmNotEmulatedError } from "./not-emulated.js";
import { AreaCode, ConstantsType, TokenEventReason, type AreaCodeName, type EncryptionMode, type ServiceType } from "./rtm2-constants.js";
import { RTMBaseError, toRtm2Error } from "./rtm2-error.js";
import { toLinkStateEvent, toStatusEvent, type LinkStateEvent, type RTMConnectionStatusChangeEvent, type TokenEvent } from "./rtm2-events.js";

export { connectRtmEmulator, RtmEmulatorConfigError } from "./emulator.js";
export { RtmNotEmulatedError } from "./not-emulated.js";
export { ConstantsType } from "./rtm2-constants.js";
export type {
  AreaCodeName,
  ConnectionChangeReason,
  ConnectionState,
  EncryptionMode,
  LinkOperation,
  LinkState,
  LinkStateChangeReasonCode,
  ServiceType,
  TokenEventType,
} from "./rtm2-constants.js";
export { RTMBaseError } from "./rtm2-error.js";
export type { ErrorInfo, IErrorInfo } from "./rtm2-error.js";
export type { LinkStateEvent, RTMConnectionStatusChangeEvent, TokenEvent } from "./rtm2-events.js";

const SDK = "agora-rtm";

/** `RTMConfig.privateConfig` (accepted; there are no private access points here). */
export interface PrivateConfig {
  serviceType: ServiceType[];
  accessPointHosts: string[];
  eventUploadHosts?: string[];
  logUploadHosts?: string[];
  originDomains?: string[];
  domainMode?: 1 | 2;
}

/**
 * The constructor's configuration: the fields of 2.3.0's `RTMConfig`, plus `token` (RTM 2.1's
 * config token, used by a `login()` given none). Only `token` changes anything: encryption,
 * presence, logging, proxies and heartbeats have no meaning against the gateway. `logLevel` is
 * checked; the compat module never logs (tokens included).
 */
export interface RTMConfig {
  token?: string;
  encryptionMode?: EncryptionMode;
  salt?: Uint8Array;
  cipherKey?: string;
  presenceTimeout?: number;
  logUpload?: boolean;
  cloudProxy?: boolean;
  useStringUserId?: boolean;
  logLevel?: "debug" | "info" | "warn" | "error" | "none";
  heartbeatInterval?: number;
  privateConfig?: PrivateConfig;
}

/** `login()`'s options. */
export interface LoginOptions {
  /** A 006/007 token; omitted (and no config token) or "" for an App ID login. */
  token?: string;
}
/** `renewToken()`'s options; `channelName` (a stream channel's token) is not emulated. */
export interface RenewTokenOptions {
  channelName?: string;
}
/** Every response carries the time of the answer, in ms: here the gateway's simulated clock. */
export interface BaseResponse {
  timestamp: number;
}
export type LoginResponse = BaseResponse;
export type LogoutResponse = BaseResponse;
export type RenewTokenResponse = BaseResponse;

/** The emulated events of an {@link RTMClient} and their listeners. */
export interface RTMClientEventMap {
  /** The link state changed (the gateway's `linkState`, or the client SDK's own). */
  linkState: (linkState: LinkStateEvent) => void;
  /** The session's token expires in `WILL_EXPIRE_SECONDS` (30 s by default); `channelName` is "" (the login token). */
  tokenPrivilegeWillExpire: (channelName: string) => void;
  /** 2.3's token event: `WILL_EXPIRE`, right after `tokenPrivilegeWillExpire`. */
  token: (tokenEvent: TokenEvent) => void;
  /** RTM 2.1 and 2.2's connection status, alongside `linkState` (docs/compat.md, "Events"). */
  status: (connectionStatus: RTMConnectionStatusChangeEvent) => void;
}

const LOG_LEVELS: ReadonlySet<unknown> = new Set(["debug", "info", "warn", "error", "none"]);

/** Throws a TypeError for a config the SDK could not take: not an object, a non-string token, an unknown log level. */
function checkConfig(config: unknown): RTMConfig {
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null) {
    throw new TypeError(`${SDK} compat: the RTM constructor's rtmConfig must be an object (RTMConfig) or omitted; got ${config === null ? "null" : typeof config}`);
  }
  const { token, logLevel } = config as { token?: unknown; logLevel?: unknown };
  if (token !== undefined && typeof token !== "string") throw new TypeError(`${SDK} compat: rtmConfig.token must be a string; got ${typeof token}`);
  if (logLevel !== undefined && !LOG_LEVELS.has(logLevel)) {
    throw new TypeError(`${SDK} compat: rtmConfig.logLevel must be one of debug, info, warn, error, none; got ${JSON.stringify(logLevel)}`);
  }
  return config as RTMConfig;
}

/** An object whose methods all reject with {@link RtmNotEmulatedError} naming `service.method`. */
function notEmulatedService<const M extends readonly string[]>(service: string, methods: M): { readonly [K in M[number]]: (...args: unknown[]) => Promise<never> } {
  const out: Record<string, (...args: unknown[]) => Promise<never>> = {};
  for (const method of methods) out[method] = () => rejectNotEmulated(SDK, `${service}.${method}`);
  return Object.freeze(out) as { readonly [K in M[number]]: (...args: unknown[]) => Promise<never> };
}

/**
 * The 2.x client, as `new AgoraRTM.RTM(appId, userId, rtmConfig)` creates it: one user, fixed at
 * creation. Each login opens a socket to the gateway, and logout closes it. The App ID and the user
 * id are checked by the gateway at login (the SDK checks their form in the constructor already;
 * here a bad one is refused by `login()` with the same code: docs/compat.md, "Differences").
 */
export class RTMClient {
  /** Not emulated: every method rejects. */
  readonly presence = notEmulatedService("presence", ["whoNow", "getOnlineUsers", "whereNow", "getUserChannels", "setState", "getState", "removeState"]);
  /** Not emulated: every method rejects. */
  readonly storage = notEmulatedService("storage", [
    "setChannelMetadata",
    "getChannelMetadata",
    "removeChannelMetadata",
    "updateChannelMetadata",
    "setUserMetadata",
    "getUserMetadata",
    "removeUserMetadata",
    "updateUserMetadata",
    "subscribeUserMetadata",
    "unsubscribeUserMetadata",
  ]);
  /** Not emulated: every method rejects. */
  readonly lock = notEmulatedService("lock", ["setLock", "removeLock", "acquireLock", "releaseLock", "revokeLock", "getLock"]);
  /** Not emulated: every method rejects. */
  readonly history = notEmulatedService("history", ["getMessages"]);

  private readonly userId: string;
  private readonly config: RTMConfig;
  private readonly link: GatewayLink;
  private readonly listenersByEvent = new ListenerRegistry();

  constructor(appId: string, userId: string, rtmConfig?: RTMConfig) {
    this.config = checkConfig(rtmConfig);
    this.userId = userId;
    this.link = new GatewayLink(appId, "rtm2", {
      linkState: (e) => {
        const timestamp = this.link.nowMs();
        this.listenersByEvent.emit("linkState", toLinkStateEvent(e, timestamp));
        const status = toStatusEvent(e, timestamp);
        if (status !== null) this.listenersByEvent.emit("status", status);
      },
      tokenPrivilegeWillExpire: () => {
        this.listenersByEvent.emit("tokenPrivilegeWillExpire", "");
        const event: TokenEvent = { timestamp: this.link.nowMs(), eventType: "WILL_EXPIRE", reason: TokenEventReason.WILL_EXPIRE, affectedResources: { messageChannels: [] } };
        this.listenersByEvent.emit("token", event);
      },
    });
  }

  /**
   * Logs the user in with `options.token`, else the config's `token`, else none (an App ID login; the
   * App ID itself as the token also means none). Resolves `{ timestamp }` once the gateway accepted,
   * after `linkState` `IDLE`→`CONNECTING` and `CONNECTING`→`CONNECTED`. Rejects with an
   * {@link RTMBaseError} (e.g. -10005, -10009, -10011 after 10 s without an answer), or with
   * RtmEmulatorConfigError when no gateway is set. Logged in already as this user: resolves at once.
   */
  async login(options?: LoginOptions): Promise<LoginResponse> {
    const token = (typeof options === "object" && options !== null ? options.token : undefined) ?? this.config.token ?? null;
    try {
      const result = await this.link.login(this.userId, token);
      return { timestamp: result.serverTime * 1000 };
    } catch (error) {
      throw isRtmError(error) ? toRtm2Error("login", error) : error;
    }
  }

  /** Logs out (`linkState` to `IDLE`, operation `LOGOUT`); resolves also when not logged in. */
  async logout(): Promise<LogoutResponse> {
    try {
      await this.link.logout();
      return { timestamp: this.link.nowMs() };
    } catch (error) {
      throw isRtmError(error) ? toRtm2Error("logout", error) : error;
    }
  }

  /**
   * Gives the session a new token; the expiry timers start again from it. Rejects with -10025 when not
   * connected, -10005 for an invalid token, -10009 for an expired one, -10026 after 10 s without an
   * answer. A stream channel's token (`options.channelName`) is not emulated.
   */
  async renewToken(token: string, options?: RenewTokenOptions): Promise<RenewTokenResponse> {
    if (options?.channelName !== undefined) return rejectNotEmulated(SDK, "renewToken({ channelName })");
    try {
      const result = await this.link.renewToken(token);
      return { timestamp: result.serverTime * 1000 };
    } catch (error) {
      throw isRtmError(error) ? toRtm2Error("renewToken", error) : error;
    }
  }

  /** Adds a listener. Any event name is accepted; the emulated ones are those of {@link RTMClientEventMap}. */
  addEventListener<EventName extends keyof RTMClientEventMap>(eventName: EventName, listener: RTMClientEventMap[EventName]): void {
    this.listenersByEvent.add(eventName, listener as AnyListener);
  }

  /** Removes the most recent registration of `listener`. */
  removeEventListener<EventName extends keyof RTMClientEventMap>(eventName: EventName, listener: RTMClientEventMap[EventName]): void {
    this.listenersByEvent.remove(eventName, listener as AnyListener);
  }

  // ---- not emulated (docs/compat.md, "What is not emulated") ----

  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  publish(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "publish");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  subscribe(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "subscribe");
  }
  /** Not emulated: rejects with {@link RtmNotEmulatedError}. */
  unsubscribe(..._args: unknown[]): Promise<never> {
    return rejectNotEmulated(SDK, "unsubscribe");
  }
  /** Not emulated: throws {@link RtmNotEmulatedError}. */
  createStreamChannel(..._args: unknown[]): never {
    throw new RtmNotEmulatedError(SDK, "createStreamChannel");
  }
}

const parameters = new Map<unknown, unknown>();

/** Keeps `value` under `key` for {@link getParameter}; no parameter changes what the emulator does. */
export function setParameter(key: any, value: any): void {
  parameters.set(key, value);
}

/** The value last given to {@link setParameter} for `key`, else undefined. */
export function getParameter(key: any): any {
  return parameters.get(key);
}

/** Accepted and checked (a non-empty list of area codes); there are no regions to choose from here. */
export function setArea(options: { areaCodes: AreaCodeName[]; excludedArea?: AreaCodeName }): void {
  const codes = (options as { areaCodes?: unknown } | null)?.areaCodes;
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => typeof c === "string" && Object.hasOwn(AreaCode, c))) {
    throw new RTMBaseError("setArea", `Invalid area config: areaCodes must be one or more of ${Object.keys(AreaCode).join(", ")}`, "RtmInvalidArgumentError");
  }
}

/** Names the emulator: the build is rtm-auth-gateway's, not Agora's. */
export const BUILD = "rtm-auth-gateway-compat";
/** The SDK version whose API is emulated. */
export const VERSION = "2.3.0";
/** The client class, as the default export's `RTM`. */
export const RTM = RTMClient;
/** The constants, as the default export's `constantsType`. */
export const constantsType = ConstantsType;

/**
 * The default export: the SDK's `AgoraRTM`, as far as it is emulated. Its members are also named
 * exports, as a bundler's CommonJS interop offers them from the real package.
 */
const AgoraRTM = Object.freeze({
  BUILD,
  RTM,
  VERSION,
  setArea,
  constantsType,
  getParameter,
  setParameter,
  RTMBaseError,
});

export default AgoraRTM;
