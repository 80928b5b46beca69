/**
 * The link of one compat client to the gateway: the project's own client SDK
 * (`client/rtm-client.ts`) for one App ID and profile, created at the first login against the
 * emulator URL of that moment (docs/compat.md, "Pointing at the gateway"), on the platform's
 * WebSocket where there is one. The codes, event sequences and client-side timeouts are therefore
 * exactly those of the client SDK; the compat modules only reshape them into each SDK's API.
 */
import { createRtmClient, type RtmClient } from "../client/rtm-client.js";
import type { WebSocketConstructor } from "../client/websocket-like.js";
import type {
  ConnectionStateChangedEvent,
  LinkStateEvent,
  LoginResult,
  Profile,
  RenewResult,
  TokenPrivilegeWillExpireEvent,
} from "../core/protocol/wire.js";
import { configuredEmulatorUrl, requireEmulatorUrl } from "./emulator.js";

/** What a link reports, as the client SDK emits it. */
export interface LinkHandlers {
  readonly connectionStateChanged?: (event: ConnectionStateChangedEvent) => void;
  readonly linkState?: (event: LinkStateEvent) => void;
  readonly tokenPrivilegeWillExpire?: (event: TokenPrivilegeWillExpireEvent) => void;
  readonly tokenExpired?: () => void;
}

/**
 * The platform's WebSocket class (browsers, Deno, Node 22 and later), or undefined on Node 20, where
 * the client SDK then uses the `ws` package. In a browser bundle `ws` resolves to its own browser
 * entry (package.json "exports", condition "browser"), which holds no WebSocket code.
 */
export function platformWebSocket(): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === "function" ? (candidate as WebSocketConstructor) : undefined;
}

/** One compat client's connection to the gateway, and its estimate of the gateway's clock. */
export class GatewayLink {
  private client: RtmClient | null = null;
  private clientUrl: string | null = null;
  /** The gateway's simulated clock minus the local one, in ms, as of the last frame that told it. */
  private offsetMs = 0;

  private readonly appId: string;
  private readonly profile: Profile;
  private readonly handlers: LinkHandlers;

  constructor(appId: string, profile: Profile, handlers: LinkHandlers) {
    this.appId = appId;
    this.profile = profile;
    this.handlers = handlers;
  }

  /**
   * Logs in through the client SDK. Rejects with its RtmError, or with RtmEmulatorConfigError when no
   * gateway is set. A changed emulator URL gets a new client SDK instance (the old one is closed,
   * without a state event).
   */
  async login(uid: string, token: string | null): Promise<LoginResult> {
    const url = requireEmulatorUrl();
    if (this.client === null || this.clientUrl !== url) await this.replaceClient(url);
    const result = await this.client!.login({ uid, token });
    this.observeServerSeconds(result.serverTime);
    return result;
  }

  /** Renews the session's token; rejects with the client SDK's RtmError (not logged in included). */
  async renewToken(token: string): Promise<RenewResult> {
    const result = await this.currentClient().renewToken(token);
    this.observeServerSeconds(result.serverTime);
    return result;
  }

  /** Logs out; what happens without a session is the client SDK's answer for the profile. */
  logout(): Promise<void> {
    return this.currentClient().logout();
  }

  /** The gateway's simulated clock now, in ms (wall clock plus the last known offset). */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  private observeServerSeconds(seconds: number): void {
    if (Number.isFinite(seconds)) this.offsetMs = seconds * 1000 - Date.now();
  }

  /**
   * The client SDK instance, creating one when there is none yet: before any login, a renew or a
   * logout never opens a socket, so the URL is only recorded (none set yet: "", replaced at login).
   */
  private currentClient(): RtmClient {
    if (this.client === null) this.client = this.createClient(configuredEmulatorUrl() ?? "");
    return this.client;
  }

  private async replaceClient(url: string): Promise<void> {
    const old = this.client;
    this.client = this.createClient(url);
    if (old !== null) await old.close();
  }

  private createClient(url: string): RtmClient {
    const WebSocketImpl = platformWebSocket();
    const client = createRtmClient({ url, appId: this.appId, profile: this.profile, ...(WebSocketImpl === undefined ? {} : { WebSocketImpl }) });
    this.clientUrl = url;
    const live = () => this.client === client;
    client.on("connectionStateChanged", (e) => {
      if (live()) this.handlers.connectionStateChanged?.(e);
    });
    client.on("linkState", (e) => {
      if (live()) this.handlers.linkState?.(e);
    });
    client.on("tokenPrivilegeWillExpire", (e) => {
      if (!live()) return;
      this.observeServerSeconds(e.expiresAt - e.remainingSeconds);
      this.handlers.tokenPrivilegeWillExpire?.(e);
    });
    client.on("tokenExpired", () => {
      if (live()) this.handlers.tokenExpired?.();
    });
    return client;
  }
}
