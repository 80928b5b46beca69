/**
 * The client SDK of the gateway, shaped like the RTM client: `login`, `renewToken`, `logout`, the
 * connection state and its events, for one profile (`rtm1` or `rtm2`). It speaks the wire protocol
 * of docs/protocol.md and adds what the real SDKs do on the client side: the login and renew
 * timeouts, and a state change when the socket goes away without the gateway saying why.
 *
 * Every failed call rejects its own promise with an {@link RtmError}; the client never leaves a
 * rejected promise unhandled of its own and never logs (tokens included).
 */
import type {
  ConnectionStateChangedEvent,
  EmptyResult,
  LinkStateEvent,
  LoginResult,
  Op,
  Profile,
  RenewResult,
  TokenExpiredEvent,
  TokenPrivilegeWillExpireEvent,
} from "../core/protocol/wire.js";
import { PROFILES } from "../core/protocol/wire.js";
import { clientCode, DEFAULT_LOGIN_TIMEOUT_MS, DEFAULT_RENEW_TIMEOUT_MS, type LocalReason } from "./client-codes.js";
import { Connection, type CloseInfo, type PendingCall } from "./connection.js";
import { parseServerFrame } from "./frame-parser.js";
import {
  connectionLostChange,
  initialState,
  localLogoutChange,
  loginTimeoutChange,
  type RtmConnectionState,
  type StateChange,
} from "./local-events.js";
import { RtmError } from "./rtm-error.js";
import { TypedEmitter, type Listener } from "./typed-emitter.js";
import { openWebSocket, type WebSocketConstructor } from "./websocket-like.js";

/** Options of {@link createRtmClient}. */
export interface RtmClientOptions {
  /** The gateway endpoint, e.g. `ws://127.0.0.1:8080/rtm`. */
  readonly url: string;
  /** The App ID sent with every login. */
  readonly appId: string;
  /** The SDK profile (default `rtm1`): decides codes, names and which state events apply. */
  readonly profile?: Profile;
  /** Client-side login timeout; default 12 000 ms (rtm1, code 9) or 10 000 ms (rtm2, code -10011). */
  readonly loginTimeoutMs?: number;
  /** Client-side renew timeout; default 20 000 ms (rtm1, code 1) or 10 000 ms (rtm2, code -10026). */
  readonly renewTimeoutMs?: number;
  /** The WebSocket class to use (default: `ws`, per-message deflate off). */
  readonly WebSocketImpl?: WebSocketConstructor;
}

/** Arguments of {@link RtmClient.login}. */
export interface LoginOptions {
  /** The user id (checked by the gateway: docs/agora-behaviour.md, "User ids"). */
  readonly uid: string;
  /** A 006/007 token; omit or `null` for an App ID login. */
  readonly token?: string | null;
}

/** The result of a ping. */
export type PingResult = EmptyResult;

/** Payload of the `closed` event: the socket's close code and reason text. */
export interface ClosedEvent {
  readonly code: number;
  readonly reason: string;
}

/** The events of an {@link RtmClient}, by name. */
export interface RtmClientEvents {
  /** RTM 1.x state change (from the gateway, or synthesised by the client; see {@link RtmClient}). */
  connectionStateChanged: ConnectionStateChangedEvent;
  /** RTM 2.x link state change (from the gateway, or synthesised by the client). */
  linkState: LinkStateEvent;
  /** The session's token expires soon (server-pushed). */
  tokenPrivilegeWillExpire: TokenPrivilegeWillExpireEvent;
  /** The session's token expired (server-pushed). */
  tokenExpired: TokenExpiredEvent;
  /** A socket closed, for whatever reason (gateway close codes: 4001, 4002, 4500–4503; logout: 1000). */
  closed: ClosedEvent;
}

/**
 * A client of the gateway.
 *
 * State: `state` is what the last state event of the profile said (rtm1 `connectionStateChanged`,
 * rtm2 `linkState`; events of the other profile are emitted but do not change it). It starts at
 * rtm1 `DISCONNECTED` / rtm2 `IDLE`. Besides the gateway's events the client emits these itself:
 * - login timeout: rtm1 `DISCONNECTED`/`LOGIN_TIMEOUT`; rtm2 `FAILED`, op `LOGIN`, `LOGIN_TIMEOUT`;
 * - the socket dropped without the client closing it while the state was in progress or logged
 *   in: rtm1 `ABORTED`/`INTERRUPTED` (from CONNECTING: `DISCONNECTED`/`LOGIN_FAILURE`); rtm2
 *   `FAILED`, op `SERVER_REJECT`, reason `UNKNOWN` (from CONNECTING: op `LOGIN`, `LOGIN_REJECTED`).
 *   After the gateway's own terminal events (remote login, ban, expiry) nothing is added;
 * - `logout()` with no socket from a non-initial state: rtm1 `DISCONNECTED`/`LOGOUT`; rtm2 `IDLE`,
 *   op `LOGOUT`, `LOGOUT`.
 * `close()` emits no state change. The client never reconnects by itself.
 *
 * Listeners run synchronously; a listener that throws throws into the socket's event dispatch.
 */
export interface RtmClient {
  /** The profile of every login of this client. */
  readonly profile: Profile;
  /** The connection state as the events last said. */
  readonly state: RtmConnectionState;
  /**
   * Opens a socket if none is open and logs in. Resolves with the reply's `result`; rejects with
   * the gateway's refusal, or `login_timeout` (closing the socket), or `connection_closed`.
   */
  login(options: LoginOptions): Promise<LoginResult>;
  /**
   * Renews the session's token. Rejects with the gateway's refusal, `renew_timeout` (the socket stays
   * open), `connection_closed`, or — with no socket — `not_logged_in` (rtm1 102, rtm2 -10025).
   */
  renewToken(token: string): Promise<RenewResult>;
  /**
   * Logs out; after the gateway's success reply closes the socket with 1000 and resolves once it has
   * closed (like the Web SDKs). With no socket: rtm2 resolves; rtm1 rejects with 102 `not_logged_in`
   * unless the state is ABORTED (or otherwise not initial), which it resets locally.
   */
  logout(): Promise<void>;
  /** Asks the gateway for its time; rejects with `connection_closed` when there is no socket. */
  ping(): Promise<PingResult>;
  /** Closes the socket (1000) and rejects every pending call with `connection_closed`; resolves once closed. */
  close(): Promise<void>;
  /** Adds a listener. */
  on<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient;
  /** Adds a listener for the next occurrence only. */
  once<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient;
  /** Removes a listener. */
  off<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient;
}

/** Creates a client. Throws a TypeError for an unknown profile or a bad timeout. */
export function createRtmClient(options: RtmClientOptions): RtmClient {
  const profile = options.profile ?? "rtm1";
  if (!(PROFILES as readonly string[]).includes(profile)) throw new TypeError(`unknown profile: ${String(profile)}`);
  const loginTimeoutMs = checkTimeout("loginTimeoutMs", options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS[profile]);
  const renewTimeoutMs = checkTimeout("renewTimeoutMs", options.renewTimeoutMs ?? DEFAULT_RENEW_TIMEOUT_MS[profile]);
  return new GatewayRtmClient({ ...options, profile, loginTimeoutMs, renewTimeoutMs });
}

function checkTimeout(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

interface ResolvedOptions {
  readonly url: string;
  readonly appId: string;
  readonly profile: Profile;
  readonly loginTimeoutMs: number;
  readonly renewTimeoutMs: number;
  readonly WebSocketImpl?: WebSocketConstructor | undefined;
}

/** What a call does when its client-side timeout fires. */
interface CallTimeout {
  readonly ms: number;
  readonly reason: "login_timeout" | "renew_timeout";
}

const CLIENT_CLOSE = 1000;

const LOCAL_MESSAGES: Readonly<Record<LocalReason, string>> = {
  login_timeout: "The login got no reply in time.",
  renew_timeout: "The token renewal got no reply in time.",
  connection_closed: "The connection to the gateway closed.",
  not_logged_in: "Not logged in.",
};

class GatewayRtmClient implements RtmClient {
  readonly profile: Profile;

  private readonly options: ResolvedOptions;
  private readonly events = new TypedEmitter<RtmClientEvents>();
  private current: RtmConnectionState;
  private connection: Connection | null = null;
  private nextId = 1;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.profile = options.profile;
    this.current = initialState(options.profile);
  }

  get state(): RtmConnectionState {
    return this.current;
  }

  login({ uid, token }: LoginOptions): Promise<LoginResult> {
    let connection: Connection;
    try {
      connection = this.connectionForLogin();
    } catch {
      // The socket could not even be created (e.g. a malformed URL).
      return Promise.reject(this.localError("login", "connection_closed"));
    }
    const fields = { appId: this.options.appId, uid, token: token ?? null, profile: this.profile };
    return this.call<LoginResult>(connection, "login", fields, { ms: this.options.loginTimeoutMs, reason: "login_timeout" });
  }

  renewToken(token: string): Promise<RenewResult> {
    const connection = this.usableConnection();
    if (connection === null) return Promise.reject(this.localError("renewToken", "not_logged_in"));
    return this.call<RenewResult>(connection, "renewToken", { token }, { ms: this.options.renewTimeoutMs, reason: "renew_timeout" });
  }

  async logout(): Promise<void> {
    const connection = this.usableConnection();
    if (connection === null) {
      if (this.current !== initialState(this.profile)) this.applyChange(localLogoutChange(this.profile, this.current));
      else if (this.profile === "rtm1") throw this.localError("logout", "not_logged_in");
      return;
    }
    await this.call<EmptyResult>(connection, "logout", {});
    // The gateway's LOGOUT state event may still be in flight: keep listening until the close.
    this.closeConnection(connection, true);
    await connection.closed;
  }

  ping(): Promise<PingResult> {
    const connection = this.usableConnection();
    if (connection === null) return Promise.reject(this.localError("ping", "connection_closed"));
    return this.call<PingResult>(connection, "ping", {});
  }

  async close(): Promise<void> {
    const connection = this.connection;
    if (connection === null) return;
    this.closeConnection(connection);
    await connection.closed;
  }

  on<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient {
    this.events.on(event, listener);
    return this;
  }

  once<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient {
    this.events.once(event, listener);
    return this;
  }

  off<K extends keyof RtmClientEvents>(event: K, listener: Listener<RtmClientEvents, K>): RtmClient {
    this.events.off(event, listener);
    return this;
  }

  // ---- internals ----

  private usableConnection(): Connection | null {
    const connection = this.connection;
    return connection !== null && connection.usable ? connection : null;
  }

  private connectionForLogin(): Connection {
    const existing = this.usableConnection();
    if (existing !== null) return existing;
    const socket = openWebSocket(this.options.url, this.options.WebSocketImpl);
    const connection = new Connection(socket, {
      onMessage: (conn, data) => this.onMessage(conn, data),
      onClose: (conn, info) => this.onClose(conn, info),
    });
    this.connection = connection;
    return connection;
  }

  /** Sends one request on `connection`; the promise settles on its reply, its timeout or the socket's close. */
  private call<T>(connection: Connection, op: Op, fields: Record<string, unknown>, timeout?: CallTimeout): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const call: PendingCall = { op, resolve: (result) => resolve(result as T), reject, timer: undefined };
      connection.pending.set(id, call);
      if (timeout !== undefined) {
        call.timer = setTimeout(() => this.onTimeout(connection, id, call, timeout), timeout.ms);
      }
      if (!connection.send(JSON.stringify({ id, op, ...fields }))) {
        connection.pending.delete(id);
        clearTimeout(call.timer);
        reject(this.localError(op, "connection_closed"));
      }
    });
  }

  private onTimeout(connection: Connection, id: number, call: PendingCall, timeout: CallTimeout): void {
    if (connection.pending.get(id) !== call) return;
    connection.pending.delete(id);
    call.reject(this.localError(call.op, timeout.reason));
    if (call.op === "login") {
      this.closeConnection(connection);
      this.applyChange(loginTimeoutChange(this.profile, this.current));
    }
  }

  /**
   * Client-side close: pending calls are rejected now, not when the close handshake ends. Unless
   * `keepEvents`, late state events of the socket are ignored (a login that timed out must not turn
   * CONNECTED afterwards).
   */
  private closeConnection(connection: Connection, keepEvents = false): void {
    if (this.connection === connection) this.connection = null;
    if (!keepEvents) connection.muted = true;
    connection.close(CLIENT_CLOSE, "");
    this.rejectPending(connection);
  }

  private rejectPending(connection: Connection): void {
    for (const call of connection.takePending()) call.reject(this.localError(call.op, "connection_closed"));
  }

  private onMessage(connection: Connection, data: unknown): void {
    const frame = parseServerFrame(data);
    switch (frame.kind) {
      case "ignored":
        return;
      case "reply": {
        const call = connection.pending.get(frame.id);
        if (call === undefined) return;
        connection.pending.delete(frame.id);
        clearTimeout(call.timer);
        if (frame.ok) call.resolve(frame.result);
        else call.reject(new RtmError({ ...frame.error, op: call.op }));
        return;
      }
      default:
        // Events of a socket the client gave up on, or has already replaced, are stale.
        if (connection.muted || (this.connection !== null && this.connection !== connection)) return;
        if (frame.kind === "connectionStateChanged" || frame.kind === "linkState") this.applyChange(frame);
        else if (frame.kind === "tokenPrivilegeWillExpire") this.events.emit("tokenPrivilegeWillExpire", frame.event);
        else this.events.emit("tokenExpired", frame.event);
    }
  }

  private onClose(connection: Connection, info: CloseInfo): void {
    const wasCurrent = this.connection === connection;
    if (wasCurrent) this.connection = null;
    this.rejectPending(connection);
    if (!connection.clientClosed && (wasCurrent || this.connection === null)) {
      const change = connectionLostChange(this.profile, this.current);
      if (change !== null) this.applyChange(change);
    }
    this.events.emit("closed", { code: info.code, reason: info.reason });
  }

  /** Updates `state` from a change of the client's profile, then emits the change. */
  private applyChange(change: StateChange): void {
    if (change.kind === "connectionStateChanged") {
      if (this.profile === "rtm1") this.current = change.event.state;
      this.events.emit("connectionStateChanged", change.event);
    } else {
      if (this.profile === "rtm2") this.current = change.event.currentState;
      this.events.emit("linkState", change.event);
    }
  }

  private localError(op: Op, reason: LocalReason): RtmError {
    const { code, name } = clientCode(this.profile, op, reason);
    return new RtmError({ code, name, reason, message: LOCAL_MESSAGES[reason], op });
  }
}
