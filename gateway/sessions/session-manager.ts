/**
 * Binds connections to the auth rules and the RTM session lifecycle (docs/protocol.md;
 * docs/agora-behaviour.md, "Login"): login, renewToken, logout, remote login, kicks, and the token timers
 * of every session in one scheduler driven by the injected clock.
 *
 * Every error is caught in exactly one place ({@link SessionManager.handle}); known reasons are
 * mapped through the wire-code table, anything else is logged and answered `internal_error`.
 * Fault rules (`/admin/faults`) are applied before the policies run, only while any exist.
 */
import { randomBytes } from "node:crypto";
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import { HINTED_REASONS, messageWithHints, NO_FACTS, tokenHints, type Hint, type HintFacts } from "../../core/diagnostics/index.js";
import { AuthError, reasonMessage, type FailureReason } from "../../core/errors.js";
import type { FiredFault } from "../../core/fault/fault-rule.js";
import { CLOSE, type Profile, type ServerEvent } from "../../core/protocol/wire.js";
import { LocalLoginBroadcast, type LoginBroadcast } from "../../core/session/login-broadcast.js";
import type { SessionInfo } from "../../core/session/session.js";
import { decide, type AuthContext, type PolicySettings, type Refusal } from "../../policies/index.js";
import type { SimulatedClock } from "../clock/simulated-clock.js";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { parseFrame, VIOLATION_RULE, type ParsedFrame } from "../protocol/messages.js";
import {
  initialState,
  loggedOut,
  loginFailed,
  loginStarted,
  loginSucceeded,
  sessionEnded,
  type SessionEndReason,
  type Transition,
} from "../protocol/profile-events.js";
import { ARGUMENT_ERROR, WIRE_CODES, type CodeName } from "../protocol/wire-codes.js";
import type { Transport } from "../ws/transport.js";
import { Connection } from "./connection.js";
import { DeadlineQueue } from "./deadline-queue.js";
import { FaultInjector, type HeldFrame } from "./faults.js";
import { IdentityIndex } from "./identity-index.js";
import { policySettings } from "./policy-settings.js";
import { SessionTimers } from "./session-timers.js";
import { ShadowTargets, type ShadowOutcome } from "./shadow.js";
import type { Decision, DecisionObserver } from "./decision.js";
import { DecisionEvents, type SessionEventObserver } from "./decision-events.js";
import { loginReplyJson } from "../protocol/replies.js";

type Op = "login" | "renewToken" | "logout";

/** Refusals the SDKs detect locally, before any state change (docs/protocol.md, "Login"). */
const SILENT_REFUSALS: ReadonlySet<FailureReason> = new Set(["already_logged_in", "too_often", "login_canceled"]);

export interface SessionManagerDeps {
  readonly config: GatewayConfig;
  readonly clock: SimulatedClock;
  readonly store: CertificateStore;
  /** Tells other gateways about logins here, and hears theirs (remote login across gateways). */
  readonly broadcast?: LoginBroadcast;
  readonly logger: Logger;
  /** Hears every decision (metrics, journal). */
  readonly observers?: readonly DecisionObserver[];
  /** Hears session events that are not decisions: will-expire pushes and closes (metrics). */
  readonly sessionObservers?: readonly SessionEventObserver[];
  /** What the diagnostic hints of refusals may read beyond the token (docs/hints.md); absent: token-only hints. */
  readonly hintFacts?: HintFacts;
}

export type { SessionEvent, SessionEventObserver } from "./decision-events.js";

export class SessionManager {
  private readonly config: GatewayConfig;
  private readonly clock: SimulatedClock;
  private readonly store: CertificateStore;
  private readonly logger: Logger;
  private readonly events: DecisionEvents;
  private readonly settings: PolicySettings;
  /** The facts the diagnostic hints read (refusals here, and explain). */
  readonly hintFacts: HintFacts;
  /** Every open connection; the logged-in ones are the sessions (no second table: memory per session counts). */
  private readonly connections = new Set<Connection>();
  /** Logged-in connections now. */
  private sessionTotal = 0;
  private readonly identities = new IdentityIndex();
  /** The token timers of every session (will-expire, expiry), on the simulated clock. */
  private readonly timers: SessionTimers;
  private readonly broadcast: LoginBroadcast;
  private readonly unsubscribeBroadcast: () => void;
  private readonly sessionPrefix: string;
  private sessionSeq = 0;
  /** Login deadlines of unauthenticated connections (close 4001); null when switched off. */
  private readonly deadlines: DeadlineQueue | null;
  private readonly lookupProject: (appId: string, now: number) => ReturnType<CertificateStore["auth"]>;
  /**
   * The fault rules (`/admin/faults`; docs/protocol.md, "Admin API"). Checked before the policies run;
   * with no rule, `faults.armed` is false and a request costs that one check.
   */
  readonly faults: FaultInjector;
  /** The fault rule behind the frame being handled (a delayed or failed one), for its decision. */
  private frameFault: string | null = null;
  /** Shadow targets per project (docs/migration.md): every login and renew is decided again against them. */
  readonly shadows: ShadowTargets;
  /** The shadow outcome of the login or renew being handled, for its decision. */
  private frameShadow: ShadowOutcome | null = null;
  /** Delayed logins that were canceled meanwhile (their timer must not handle them). */
  private readonly canceledLogins = new WeakSet<HeldFrame>();

  constructor(deps: SessionManagerDeps) {
    this.config = deps.config;
    this.clock = deps.clock;
    this.store = deps.store;
    this.logger = deps.logger;
    this.events = new DecisionEvents(deps.observers ?? [], deps.sessionObservers ?? [], deps.logger);
    this.hintFacts = deps.hintFacts ?? NO_FACTS;
    this.settings = policySettings(deps.config);
    this.lookupProject = (appId, now) => this.store.auth(appId, now);
    this.faults = new FaultInjector(deps.clock);
    this.shadows = new ShadowTargets(deps.store);
    this.deadlines =
      deps.config.loginDeadlineSeconds === 0
        ? null
        : new DeadlineQueue(deps.config.loginDeadlineSeconds * 1000, (conn) => this.closeConnection(conn, CLOSE.loginDeadline, "no login within the deadline"));
    this.timers = new SessionTimers(deps.clock, deps.config.willExpireSeconds, {
      warn: (conn, now) => {
        const expiresAt = conn.expiresAt as number;
        this.sendEvent(conn, { event: "tokenPrivilegeWillExpire", expiresAt, remainingSeconds: Math.max(0, expiresAt - now) });
        this.events.session({ type: "will_expire" });
      },
      expire: (conn) => this.endSession(conn, "session_token_expired"),
    });
    this.broadcast = deps.broadcast ?? new LocalLoginBroadcast(randomBytes(4).toString("hex"));
    this.sessionPrefix = this.broadcast.origin;
    // Newest wins across gateways too: a login elsewhere kicks ours, only the session it replaced when named (docs/agora-behaviour.md, "Remote login").
    this.unsubscribeBroadcast = this.broadcast.onRemoteLogin((login) => {
      const conn = this.identities.get(login.appId, login.uid);
      const id = conn === undefined ? undefined : this.sessionId(conn);
      if (conn !== undefined && id !== login.sessionId && (login.replaces === undefined || id === login.replaces)) this.endSession(conn, "remote_login");
    });
    this.broadcast.trackSessions?.(() => this.list());
  }

  /** After a swap of `appId`'s certificates ("Set as primary"): each session's slot follows its certificate. */
  swapSlots(appId: string): void {
    for (const conn of this.connections) if (conn.phase === "logged_in" && conn.appId === appId && conn.slot !== null) conn.slot = conn.slot === "primary" ? "secondary" : "primary";
  }

  /** The settings the auth checks run with (for explain). */
  get policySettings(): PolicySettings {
    return this.settings;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Logged-in sessions. */
  get sessionCount(): number {
    return this.sessionTotal;
  }

  /**
   * What the manager holds, for tests and the soak: every count must come back to zero once all
   * connections are closed (docs/robustness.md, "no retention").
   */
  retained(): { connections: number; sessions: number; timers: number; deadlines: number; heldConnections: number } {
    return {
      connections: this.connections.size,
      sessions: this.sessionTotal,
      timers: this.timers.size,
      deadlines: this.deadlines?.size ?? 0,
      heldConnections: this.faults.heldConnections,
    };
  }

  /** The open connections (the server destroys their sockets at the end of a drain). */
  openConnections(): Iterable<Connection> {
    return this.connections;
  }

  /** Registers a new connection and starts its login deadline. */
  open(transport: Transport): Connection {
    const conn = new Connection(transport, this.config.callsPerSecond);
    this.connections.add(conn);
    this.deadlines?.add(conn);
    return conn;
  }

  /** A text frame arrived. */
  onText(conn: Connection, text: string): void {
    if (conn.phase === "closed") return;
    const frame = parseFrame(text);
    if (frame.kind === "violation") {
      this.violation(conn, frame.detail);
      return;
    }
    // With no fault rule this is the only cost of the fault machinery.
    // RTM 2.x: a logout, or a new login, while a login is still pending fails that login with
    // -10023 (docs/agora-behaviour.md, "Login"). A login is only pending when a fault holds it.
    if (conn.pendingLogin !== null && conn.profile === "rtm2" && (frame.kind === "logout" || frame.kind === "login")) {
      this.cancelPendingLogin(conn, frame);
      return;
    }
    if (this.faults.armed && this.interceptFault(conn, frame)) return;
    this.handle(conn, frame, performance.now());
  }

  /** Handles one well-formed frame. The single place where errors are caught and mapped. */
  private handle(conn: Connection, frame: HeldFrame, started: number): void {
    try {
      switch (frame.kind) {
        case "login":
          this.login(conn, frame, started);
          break;
        case "renewToken":
          this.renew(conn, frame, started);
          break;
        case "logout":
          this.logout(conn, frame.id, started);
          break;
        case "ping": {
          this.send(conn, { id: frame.id, ok: true, op: "ping", result: { serverTime: this.clock.nowSeconds() } });
          // Answered all the same; past the budget the peer is not read until it has refilled.
          const waitMs = conn.spendPing(performance.now(), this.config.pingsPerSecond);
          if (waitMs > 0) conn.transport.pauseReadingFor?.("ping_budget", waitMs);
          break;
        }
      }
    } catch (err) {
      // Never crash, never leave a request unanswered.
      const reason: FailureReason = err instanceof AuthError ? err.reason : "internal_error";
      if (reason === "internal_error") this.logger.error({ err }, "unexpected error while handling a frame");
      else this.logger.warn({ reason, detail: (err as AuthError).detail }, "request refused by an unavailable dependency");
      const op: Op = frame.kind === "ping" ? "logout" : frame.kind;
      this.replyError(conn, frame.id, op, reason);
    } finally {
      this.frameShadow = null;
    }
  }

  /** A binary frame arrived: protocol violation (docs/protocol.md, "Protocol violations"). */
  onBinary(conn: Connection): void {
    this.violation(conn, "binary frame");
  }

  /**
   * The socket closed (by either side; `code` as sent or received). Forgets the connection and
   * its session. Idempotent: the gateway's own closes reach here first, then again from ws.
   */
  onClose(conn: Connection, code: number): void {
    if (conn.phase === "closed") return;
    const loggedIn = conn.phase === "logged_in";
    if (loggedIn) this.unregister(conn);
    conn.phase = "closed";
    this.timers.cancel(conn);
    this.deadlines?.remove(conn);
    this.faults.forget(conn);
    conn.pendingLogin = null;
    this.connections.delete(conn);
    this.events.session({ type: "closed", code, loggedIn });
  }

  /** Closes a connection from the gateway's side. */
  private closeConnection(conn: Connection, code: number, reason: string): void {
    this.onClose(conn, code);
    conn.transport.close(code, reason);
  }

  /** Live sessions, optionally filtered, in login order. */
  list(filter: { appId?: string; uid?: string } = {}): SessionInfo[] {
    const found: Connection[] = [];
    for (const c of this.connections) {
      if (c.phase !== "logged_in") continue;
      if (filter.appId !== undefined && c.appId !== filter.appId) continue;
      if (filter.uid !== undefined && c.uid !== filter.uid) continue;
      found.push(c);
    }
    found.sort((a, b) => a.sessionSeq - b.sessionSeq);
    return found.map((c) => c.info(this.sessionId(c)));
  }

  /** A session's id: this gateway's origin and the session's sequence number. */
  sessionId(conn: Connection): string {
    return `${this.sessionPrefix}-${conn.sessionSeq.toString(36)}`;
  }

  /** The connection of a session id of this gateway, or undefined. */
  private bySessionId(sessionId: string): Connection | undefined {
    const prefix = `${this.sessionPrefix}-`;
    if (!sessionId.startsWith(prefix)) return undefined;
    const rest = sessionId.slice(prefix.length);
    if (!/^[0-9a-z]{1,11}$/.test(rest)) return undefined;
    // A scan (an admin action, not the login path): no table by session id is kept per session.
    const seq = parseInt(rest, 36);
    for (const c of this.connections) if (c.sessionSeq === seq && c.phase === "logged_in") return c;
    return undefined;
  }

  /** Ends a session as banned (close 4502). False when no such session. */
  kick(sessionId: string): boolean {
    const conn = this.bySessionId(sessionId);
    if (conn === undefined) return false;
    this.endSession(conn, "banned");
    return true;
  }

  /** Ends the session of `appId`/`uid` on this gateway, if any, as a remote login elsewhere. */
  kickIdentity(appId: string, uid: string): boolean {
    const conn = this.identities.get(appId, uid);
    if (conn === undefined) return false;
    this.endSession(conn, "remote_login");
    return true;
  }

  /**
   * Closes every connection with 4002 (the client may reconnect, as after a restart), forgets
   * every session and cancels pending fault delays; the manager stays usable (`POST /admin/reset`).
   */
  closeAll(reason: string): void {
    this.faults.clearAll();
    for (const conn of [...this.connections]) this.closeConnection(conn, CLOSE.shuttingDown, reason);
  }

  /** Closes every connection with 4002 and stops the timers. */
  shutdown(): void {
    this.unsubscribeBroadcast();
    this.shadows.close();
    this.timers.shutdown();
    this.deadlines?.clear();
    this.faults.clearAll();
    for (const conn of [...this.connections]) {
      this.closeConnection(conn, CLOSE.shuttingDown, "gateway shutting down");
    }
  }

  // ---- operations ----

  private login(conn: Connection, f: Extract<ParsedFrame, { kind: "login" }>, started: number): void {
    const now = this.clock.nowSeconds();
    this.adoptProfile(conn, f);
    const profile = conn.profile;

    // RTM 2.x (≥ 2.2.0): a repeated login of the same identity while connected resolves at once, with no event.
    if (conn.phase === "logged_in" && profile === "rtm2" && f.appId === conn.appId && f.uid === conn.uid) {
      conn.transport.send(this.loginReply(conn, f.id, now, this.sessionId(conn)));
      return;
    }

    const appId = typeof f.appId === "string" ? f.appId : "";
    const uid = typeof f.uid === "string" ? f.uid : "";
    let token: string | null;
    if (f.token === undefined || f.token === null || f.token === "") token = null;
    else if (typeof f.token !== "string") {
      // A token of the wrong type: the operation's INVALID_ARGUMENT code, reason malformed (docs/reasons.md, "Argument errors").
      this.refuse(conn, f.id, "login", { reason: "malformed", detail: "token is not a string" }, started, now, appId, uid, true);
      return;
    } else token = profile === "rtm2" && f.token === appId ? null : f.token; // 2.x: the App ID as token = no token

    if (typeof f.appId !== "string") {
      this.refuse(conn, f.id, "login", { reason: "unknown_app_id", detail: "appId is not a string" }, started, now, "", uid, false);
      return;
    }
    if (typeof f.uid !== "string") {
      this.refuse(conn, f.id, "login", { reason: "invalid_uid", detail: "uid is not a string" }, started, now, appId, "", false);
      return;
    }

    const ctx: AuthContext = {
      op: "login",
      profile,
      appId,
      uid,
      token,
      now,
      monotonicMs: started,
      session: { loggedIn: conn.phase === "logged_in", rate: conn, appId: null, uid: null },
      settings: this.settings,
      lookupProject: this.lookupProject,
    };
    const refusal = decide(ctx);
    if (this.shadows.armed) this.frameShadow = this.shadows.decide(ctx, refusal);
    if (refusal !== undefined) {
      this.refuse(conn, f.id, "login", refusal, started, now, appId, uid, false, ctx, f.token);
      return;
    }

    // Accepted.
    this.deadlines?.remove(conn);
    const from = conn.visible;
    this.transition(conn, loginStarted(profile, from));
    conn.phase = "logged_in";
    conn.sessionSeq = ++this.sessionSeq;
    // The project's own App ID string: shared by every session of the project.
    conn.appId = ctx.project?.appId ?? appId;
    conn.uid = uid;
    conn.loggedInAt = now;
    this.applyToken(conn, ctx);
    // Newest wins: a session of the same identity elsewhere on this gateway is kicked (docs/agora-behaviour.md, "Remote login").
    const previous = this.identities.get(conn.appId, uid);
    if (previous !== undefined && previous !== conn) this.endSession(previous, "remote_login");
    this.identities.set(conn);
    this.sessionTotal++;
    const sessionId = this.sessionId(conn);
    this.broadcast.announce(conn.appId, uid, sessionId);
    this.transition(conn, loginSucceeded(profile, conn.visible));
    conn.transport.send(this.loginReply(conn, f.id, now, sessionId));
    this.timers.arm(conn);
    this.observe(conn, "login", started, now, ctx, sessionId);
  }

  /** A login on a connection without a session speaks the profile it names. */
  private adoptProfile(conn: Connection, f: Extract<ParsedFrame, { kind: "login" }>): void {
    if (conn.phase !== "logged_in" && f.profile !== conn.profile) {
      conn.profile = f.profile;
      conn.visible = initialState(f.profile);
    }
  }

  private renew(conn: Connection, f: Extract<ParsedFrame, { kind: "renewToken" }>, started: number): void {
    const now = this.clock.nowSeconds();
    const loggedIn = conn.phase === "logged_in";
    if (loggedIn && (typeof f.token !== "string" || f.token === "")) {
      this.refuse(conn, f.id, "renewToken", { reason: "malformed", detail: "token is missing or not a string" }, started, now, conn.appId, conn.uid, true);
      return;
    }
    const ctx: AuthContext = {
      op: "renewToken",
      profile: conn.profile,
      appId: conn.appId,
      uid: conn.uid,
      token: typeof f.token === "string" && f.token !== "" ? f.token : null,
      now,
      monotonicMs: started,
      session: { loggedIn, rate: conn, appId: loggedIn ? conn.appId : null, uid: loggedIn ? conn.uid : null },
      settings: this.settings,
      lookupProject: this.lookupProject,
    };
    const refusal = decide(ctx);
    if (this.shadows.armed) this.frameShadow = this.shadows.decide(ctx, refusal);
    if (refusal !== undefined) {
      // The session keeps its old token (docs/agora-behaviour.md, "renewToken").
      this.refuse(conn, f.id, "renewToken", refusal, started, now, conn.appId, conn.uid, false, ctx, f.token);
      return;
    }
    this.applyToken(conn, ctx);
    this.send(conn, {
      id: f.id,
      ok: true,
      op: "renewToken",
      result: { expiresAt: conn.expiresAt, tokenVersion: conn.tokenVersion ?? "007", serverTime: now },
    });
    this.timers.arm(conn);
    this.observe(conn, "renewToken", started, now, ctx, this.sessionId(conn));
  }

  private logout(conn: Connection, id: number, started: number): void {
    const now = this.clock.nowSeconds();
    if (conn.phase !== "logged_in") {
      // 1.x: 102 LOGOUT_ERR_USER_NOT_LOGGED_IN; 2.x: logging out while out resolves (docs/agora-behaviour.md, "Logout").
      if (conn.profile === "rtm1") {
        this.replyError(conn, id, "logout", "not_logged_in");
        this.events.decision({ ...this.baseDecision(conn, "logout", now, started), result: "refused", reason: "not_logged_in", failedCheck: "must-be-logged-in", faultId: this.frameFault });
      } else {
        this.send(conn, { id, ok: true, op: "logout", result: { serverTime: now } });
      }
      return;
    }
    // Logout has its own call window (docs/fidelity.md, "Rate windows"), on the monotonic clock as login's and renew's.
    if (!conn.hit("logout", started)) {
      this.refuse(conn, id, "logout", { reason: "too_often", detail: "more logout calls than allowed in 1 s" }, started, now, conn.appId, conn.uid, false);
      return;
    }
    const decision = { ...this.baseDecision(conn, "logout", now, started), result: "accepted" as const, reason: "ok" as const, faultId: this.frameFault };
    this.transition(conn, loggedOut(conn.profile, conn.visible));
    this.broadcast.release?.(conn.appId, conn.uid, this.sessionId(conn));
    this.unregister(conn);
    conn.phase = "awaiting_login";
    this.timers.cancel(conn);
    this.send(conn, { id, ok: true, op: "logout", result: { serverTime: now } });
    this.deadlines?.add(conn);
    this.events.decision(decision);
  }

  // ---- faults (/admin/faults): before the policies run ----

  /**
   * Applies the fault rule that decides `frame`, if any; true when the frame is taken care of.
   * While an earlier frame of the connection is delayed, later ones wait behind it, in order.
   */
  private interceptFault(conn: Connection, frame: HeldFrame): boolean {
    const faults = this.faults;
    if (faults.isHeld(conn)) {
      // Requests waiting behind a delayed one are bounded: at the bound the peer is not read.
      if (faults.queue(conn, frame) >= this.config.maxPendingRequests) conn.transport.pauseReading?.("pending_requests");
      return true;
    }
    if (frame.kind === "ping") return false;
    // A login names its identity; renew and logout act on the connection's (last) session.
    const appId = frame.kind === "login" ? (typeof frame.appId === "string" ? frame.appId : "") : conn.appId;
    const uid = frame.kind === "login" ? (typeof frame.uid === "string" ? frame.uid : "") : conn.uid;
    const fired = faults.decide(frame.kind, appId, uid);
    if (fired === undefined) return false;
    this.applyFault(conn, frame, fired, appId, uid);
    return true;
  }

  private applyFault(conn: Connection, frame: Exclude<HeldFrame, { kind: "ping" }>, fired: FiredFault, appId: string, uid: string): void {
    const started = performance.now();
    const action = fired.action;
    if (frame.kind === "login") this.adoptProfile(conn, frame);
    switch (action.type) {
      case "delay":
        this.faults.hold(conn);
        if (frame.kind === "login") conn.pendingLogin = frame;
        this.faults.later(action.ms, () => {
          // Canceled meanwhile: its hold was released then, and nothing is left to answer.
          if (this.canceledLogins.has(frame)) return;
          if (conn.pendingLogin === frame) conn.pendingLogin = null;
          const waiting = this.release(conn);
          if (conn.phase === "closed") return;
          this.withFault(fired.id, () => this.handle(conn, frame, started));
          this.drain(conn, waiting);
        });
        return;
      case "fail":
        this.withFault(fired.id, () =>
          this.refuse(conn, frame.id, frame.kind, { reason: action.reason, detail: `fault ${fired.id}` }, started, this.clock.nowSeconds(), appId, uid, false),
        );
        return;
      case "never_reply":
        if (frame.kind === "login") conn.pendingLogin = frame;
        this.events.decision(this.faultDecision(conn, frame.kind, "unanswered", started, appId, uid, fired.id, null));
        return;
      case "drop":
        this.events.decision(this.faultDecision(conn, frame.kind, "dropped", started, appId, uid, fired.id, null));
        // No close frame: the peer sees the TCP connection go (an unexplained drop; docs/protocol.md, "Close codes").
        this.onClose(conn, 1006);
        if (conn.transport.destroy !== undefined) conn.transport.destroy();
        else conn.transport.close(CLOSE.shuttingDown, "dropped");
        return;
      case "kick":
        if (conn.phase === "logged_in") {
          // A live session ends as banned: the profile's ban sequence, then 4502. The request gets no reply.
          this.endSession(conn, "banned", fired.id);
          return;
        }
        // No session to end: the request is refused as banned, then the socket closes with 4502.
        this.withFault(fired.id, () =>
          this.refuse(conn, frame.id, frame.kind, { reason: "banned", detail: `fault ${fired.id}` }, started, this.clock.nowSeconds(), appId, uid, false),
        );
        this.closeConnection(conn, CLOSE.banned, "banned");
        return;
    }
  }

  /**
   * Fails the connection's pending login with `login_canceled` (2.x -10023), then handles what
   * waited behind it and the frame that canceled it, in order.
   */
  private cancelPendingLogin(conn: Connection, by: HeldFrame): void {
    const pending = conn.pendingLogin as Extract<HeldFrame, { kind: "login" }>;
    conn.pendingLogin = null;
    this.canceledLogins.add(pending);
    const appId = typeof pending.appId === "string" ? pending.appId : "";
    const uid = typeof pending.uid === "string" ? pending.uid : "";
    const detail = by.kind === "logout" ? "logout before the login was answered" : "a new login before the login was answered";
    this.refuse(conn, pending.id, "login", { reason: "login_canceled", detail }, performance.now(), this.clock.nowSeconds(), appId, uid, false);
    const waiting = this.faults.isHeld(conn) ? this.release(conn) : [];
    waiting.push(by);
    this.drain(conn, waiting);
  }

  /** Stops holding `conn`'s frames (its delay ended) and reads the peer again. */
  private release(conn: Connection): HeldFrame[] {
    conn.transport.resumeReading?.("pending_requests");
    return this.faults.release(conn);
  }

  /** Handles the frames that waited behind a delayed one, in order, unless a new delay holds them again. */
  private drain(conn: Connection, waiting: HeldFrame[]): void {
    for (let i = 0; i < waiting.length; i++) {
      if (conn.phase === "closed") return;
      if (this.faults.isHeld(conn)) {
        this.faults.hold(conn, waiting.slice(i));
        if (waiting.length - i >= this.config.maxPendingRequests) conn.transport.pauseReading?.("pending_requests");
        return;
      }
      const frame = waiting[i] as HeldFrame;
      if (this.faults.armed && this.interceptFault(conn, frame)) continue;
      this.handle(conn, frame, performance.now());
    }
  }

  /** Runs `fn` with its decisions marked as decided (or delayed) by fault `id`. */
  private withFault(id: string, fn: () => void): void {
    this.frameFault = id;
    try {
      fn();
    } finally {
      this.frameFault = null;
    }
  }

  private faultDecision(
    conn: Connection,
    op: Decision["op"],
    result: Decision["result"],
    started: number,
    appId: string,
    uid: string,
    faultId: string,
    closeCode: number | null,
  ): Decision {
    return {
      ...this.baseDecision(conn, op, this.clock.nowSeconds(), started),
      appId,
      uid,
      result,
      reason: result === "accepted" ? "ok" : "fault_injected",
      closeCode,
      faultId,
    };
  }

  /**
   * The fault rule that decides a WebSocket upgrade, if any (the server applies it). Call only when
   * `faults.armed`.
   */
  connectFault(): FiredFault | undefined {
    return this.faults.decide("connect", null, null);
  }

  /** Records what a fault did to an upgrade (the journal's `connect` entries). */
  recordConnectFault(fired: FiredFault, result: Decision["result"], closeCode: number | null): void {
    const now = this.clock.nowSeconds();
    this.events.decision({
      op: "connect",
      result,
      reason: result === "accepted" ? "ok" : fired.action.type === "fail" ? fired.action.reason : fired.action.type === "kick" ? "banned" : "fault_injected",
      profile: "rtm1",
      appId: "",
      uid: "",
      mode: null,
      credential: null,
      tokenVersion: null,
      slot: null,
      sessionId: null,
      at: now,
      latencyMs: 0,
      failedCheck: null,
      closeCode,
      faultId: fired.id,
    });
  }

  // ---- helpers ----

  private applyToken(conn: Connection, ctx: AuthContext): void {
    const v = ctx.verified;
    if (v === undefined) {
      // An App ID login (either mode without a token, or an App-ID-only project).
      if (ctx.op === "login") {
        conn.credential = "appid";
        conn.tokenVersion = null;
        conn.slot = null;
        conn.expiresAt = null;
      }
      return;
    }
    conn.credential = "token";
    conn.tokenVersion = v.version;
    conn.slot = ctx.slot ?? null;
    conn.expiresAt = v.expiresAt;
  }

  /** The login reply's text, joined by hand (gateway/protocol/replies.ts). */
  private loginReply(conn: Connection, id: number, now: number, sessionId: string): string {
    const { appId, uid, credential, tokenVersion, expiresAt } = conn;
    return loginReplyJson(id, { sessionId, appId, uid, credential, tokenVersion, expiresAt, serverTime: now });
  }

  private refuse(
    conn: Connection,
    id: number,
    op: Op,
    refusal: Refusal,
    started: number,
    now: number,
    appId: string,
    uid: string,
    argument: boolean,
    ctx?: AuthContext,
    presented?: unknown,
  ): void {
    if (op === "login" && !argument && !SILENT_REFUSALS.has(refusal.reason)) {
      // The SDK validates the uid locally: 1.x shows no change; 2.x goes straight to FAILED (docs/agora-behaviour.md, "User ids").
      if (refusal.reason !== "invalid_uid") this.transition(conn, loginStarted(conn.profile, conn.visible));
      if (refusal.reason !== "invalid_uid" || conn.profile === "rtm2") this.transition(conn, loginFailed(conn.profile, conn.visible, refusal.reason));
    }
    this.replyError(conn, id, op, refusal.reason, argument, this.refusalHints(ctx, refusal.reason, presented));
    this.events.decision({
      op,
      result: "refused",
      reason: refusal.reason,
      profile: conn.profile,
      appId,
      uid,
      mode: ctx?.project?.mode ?? null,
      credential: ctx === undefined ? null : ctx.token === null ? "appid" : "token",
      tokenVersion: ctx?.token?.startsWith("006") ? "006" : ctx?.token?.startsWith("007") ? "007" : null,
      slot: null,
      sessionId: conn.phase === "logged_in" ? this.sessionId(conn) : null,
      at: now,
      latencyMs: performance.now() - started,
      failedCheck: ctx?.failedCheck ?? (argument ? "arguments" : null),
      closeCode: null,
      faultId: this.frameFault,
      shadow: this.frameShadow,
      cohort: ctx?.cohort ?? null,
    }, ctx?.decodedToken ?? null);
    if (refusal.reason === "internal_error" || refusal.reason === "store_unavailable") {
      this.logger.warn({ op, reason: refusal.reason, detail: refusal.detail }, "request not decided");
    }
  }

  private replyError(conn: Connection, id: number, op: Op, reason: FailureReason, argument = false, hints: readonly Hint[] = []): void {
    const code = errorCode(conn.profile, op, reason, argument);
    // Hints only add sentences to the message: code and reason stay as decided (docs/hints.md).
    const message = hints.length === 0 ? reasonMessage(reason) : messageWithHints(reasonMessage(reason), hints);
    this.send(conn, { id, ok: false, op, error: { code: code.code, name: code.name, reason, message } });
  }

  /**
   * The diagnostic hints of a refused login or renew (docs/hints.md), computed after the decision
   * and only for the reasons a token can explain; `presented` is the token as sent (for rtm2 the
   * App ID sent as a token is "no token" to the checks, yet worth a hint).
   */
  private refusalHints(ctx: AuthContext | undefined, reason: FailureReason, presented: unknown): readonly Hint[] {
    if (ctx === undefined || !HINTED_REASONS.has(reason)) return [];
    const token = typeof presented === "string" && presented !== "" ? presented : ctx.token;
    if (token === null) return [];
    const input = { token, appId: ctx.appId, uid: ctx.uid, reason, now: ctx.now, maxLifetimeSeconds: this.settings.maxTokenLifetimeSeconds ?? 0, limits: this.settings.tokenLimits };
    return tokenHints(ctx.decodedToken === undefined ? input : { ...input, parsed: ctx.decodedToken }, this.hintFacts);
  }

  /** Ends a live session: the profile's event(s), then the close code (docs/protocol.md, "State events"). */
  private endSession(conn: Connection, reason: SessionEndReason, faultId: string | null = null): void {
    const now = this.clock.nowSeconds();
    const decision: Decision = {
      ...this.baseDecision(conn, "session_end", now, performance.now()),
      result: "ended",
      reason,
      closeCode: WIRE_CODES[reason].close,
      faultId,
    };
    if (reason === "session_token_expired" && conn.profile === "rtm1") this.sendEvent(conn, { event: "tokenExpired" });
    this.transition(conn, sessionEnded(conn.profile, conn.visible, reason));
    this.closeConnection(conn, WIRE_CODES[reason].close ?? CLOSE.banned, reason);
    this.events.decision(decision);
  }

  private unregister(conn: Connection): void {
    this.sessionTotal--;
    this.identities.delete(conn);
  }

  /**
   * A protocol violation (docs/protocol.md, "Protocol violations"): one error frame naming it,
   * `{"event":"protocolViolation","violation":DETAIL,"closeCode":4500,"message":…}`, then close
   * 4500. DETAIL is one of the fixed phrases of gateway/protocol/messages.ts (or "binary frame"),
   * never an echo of what the client sent.
   */
  private violation(conn: Connection, detail: string): void {
    this.logger.debug({ detail }, "protocol violation");
    this.send(conn, { event: "protocolViolation", violation: detail, closeCode: CLOSE.protocolViolation, message: `${detail}: ${VIOLATION_RULE}` });
    this.closeConnection(conn, CLOSE.protocolViolation, "protocol violation");
  }

  // ---- output ----

  private transition(conn: Connection, t: Transition): void {
    conn.visible = t.state;
    conn.transport.send(t.json);
  }

  private sendEvent(conn: Connection, e: ServerEvent): void {
    conn.transport.send(JSON.stringify(e));
  }

  private send(conn: Connection, reply: object): void {
    // As a string: the transport encodes it straight into the request's one framed write.
    conn.transport.send(JSON.stringify(reply));
  }

  private baseDecision(conn: Connection, op: Decision["op"], now: number, started: number): Omit<Decision, "result" | "reason"> {
    return {
      op,
      profile: conn.profile,
      appId: conn.appId,
      uid: conn.uid,
      mode: null,
      credential: conn.phase === "logged_in" ? conn.credential : null,
      tokenVersion: conn.tokenVersion,
      slot: conn.slot,
      sessionId: conn.phase === "logged_in" ? this.sessionId(conn) : null,
      at: now,
      latencyMs: performance.now() - started,
      failedCheck: null,
      closeCode: null,
    };
  }

  /** An accepted login or renew, as one flat object (this runs on every login). */
  private observe(conn: Connection, op: "login" | "renewToken", started: number, now: number, ctx: AuthContext, sessionId: string): void {
    if (!this.events.observed) return;
    this.events.decision({
      op,
      result: "accepted",
      reason: "ok",
      profile: conn.profile,
      appId: conn.appId,
      uid: conn.uid,
      mode: ctx.project?.mode ?? null,
      credential: conn.credential,
      tokenVersion: conn.tokenVersion,
      slot: conn.slot,
      sessionId,
      at: now,
      latencyMs: performance.now() - started,
      failedCheck: null,
      closeCode: null,
      faultId: this.frameFault,
      shadow: this.frameShadow,
      cohort: ctx.cohort ?? null,
    }, ctx.decodedToken ?? null);
  }

}

/** The reply code of a refusal for a profile and operation (through the one table). */
export function errorCode(profile: Profile, op: Op, reason: FailureReason, argument: boolean): CodeName {
  if (argument && op !== "logout") return ARGUMENT_ERROR[profile][op];
  const m = WIRE_CODES[reason];
  if (profile === "rtm1") return op === "login" ? m.rtm1Login : op === "renewToken" ? m.rtm1Renew : m.rtm1Logout;
  return op === "renewToken" ? m.rtm2Renew : m.rtm2Login;
}
