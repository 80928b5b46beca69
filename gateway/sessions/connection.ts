import type { CertificateSlot } from "../../core/certificate/active-certificate.js";
import type { Profile } from "../../core/protocol/wire.js";
import type { Scheduled } from "../../core/session/expiry-scheduler.js";
import { newRing, ringHit, type RateLimiter, type RateMethod, type Ring } from "../../core/session/rate-window.js";
import type { SessionInfo, SessionPhase } from "../../core/session/session.js";
import type { VisibleState } from "../protocol/profile-events.js";
import type { Transport } from "../ws/transport.js";
import type { HeldFrame } from "./faults.js";

/** A connection's state that few connections ever need (call windows, the ping budget, a held login), kept out of the object every connection pays for. */
interface RareState {
  /** Login's call window, from its second call on (see {@link Connection.hit}). */
  loginRing: Ring | null;
  renewRing: Ring | null;
  logoutRing: Ring | null;
  /** Ping budget (a token bucket of one second's worth), from the first ping: tokens left (may go below 0), when last spent (ms). */
  ping: { tokens: number; at: number } | null;
  /** See {@link Connection.pendingLogin}. */
  pendingLogin: HeldFrame | null;
}

/**
 * One WebSocket connection and, once logged in, its session. Kept flat and small on purpose:
 * the idle-memory benchmark compares a logged-in session with a bare `ws` connection, so there
 * is no nested session object, no per-connection closure, and the session id is derived from a
 * number rather than stored as a string.
 */
export class Connection implements RateLimiter, Scheduled {
  readonly transport: Transport;
  phase: SessionPhase = "awaiting_login";
  profile: Profile = "rtm1";
  /** The state the client shows, as the events we sent say. */
  visible: VisibleState = "DISCONNECTED";
  // The session's pending token timer: the connection itself is the entry of the timers' heap
  // (core/session/expiry-scheduler.ts), which keeps these four fields (timerIndex -1: none).
  timerAt = 0;
  timerSeq = 0;
  /** What the pending timer does when it fires (session-timers.ts). */
  timerTag = 0;
  timerIndex = -1;
  /**
   * When the pending login deadline falls (performance.now() ms, rounded up to a whole ms: a small
   * integer, which V8 keeps in the object itself rather than in a heap number of its own), or 0
   * when none is pending.
   */
  deadlineAt = 0;
  /** Neighbours in the login-deadline queue (an intrusive list: leaving it is O(1)). */
  deadlinePrev: Connection | null = null;
  deadlineNext: Connection | null = null;

  // TOO_OFTEN: one window per method, as the SDKs keep them (docs/fidelity.md, "Rate windows"), each
  // allowing `rateLimit` calls per 1000 ms. A ring is allocated at its method's first call, except
  // login's: most connections log in once, so its first call is kept as one number and the ring
  // made (with that call replayed into it) only at a second login on the connection. The first call
  // of an empty window is always allowed, so the replay gives the ring exactly the state it would
  // have had; a logged-in idle session keeps no ring (docs/robustness.md).
  private readonly rateLimit: number;
  /**
   * The time of the connection's only login call so far, in whole ms (rounded down), or -1: before
   * its ring exists. A whole number, because V8 keeps a small integer in the object itself but a
   * fraction (or NaN) in a 16-byte heap number of its own, which every idle session would pay for
   * (docs/robustness.md, "Memory per session"). The SDKs time their windows in whole ms too.
   */
  private firstLoginAt = -1;
  /** What few connections need (call windows, the ping budget, a held login), in one object made at first need. */
  private rare: RareState | null = null;

  // The session, valid while phase === "logged_in".
  /** Sequence number of the session on this gateway; the session id is `${origin}-${seq in base 36}`. */
  sessionSeq = 0;
  appId = "";
  uid = "";
  credential: "appid" | "token" = "appid";
  tokenVersion: "006" | "007" | null = null;
  slot: CertificateSlot | null = null;
  expiresAt: number | null = null;
  loggedInAt = 0;

  /** `callsPerSecond`: calls of each method allowed per 1000 ms (CALLS_PER_SECOND), a positive integer. */
  constructor(transport: Transport, callsPerSecond: number) {
    this.transport = transport;
    this.rateLimit = callsPerSecond;
  }

  /**
   * Records a call of `method` at `monotonicMs` (the gateway's monotonic clock, never the
   * simulated one); false when it is one too many within 1000 ms for that method, or closer than
   * `minSpacingMs` to the method's previous call.
   */
  hit(method: RateMethod, monotonicMs: number, minSpacingMs = 0): boolean {
    if (method === "login" && (this.rare === null || this.rare.loginRing === null)) {
      if (this.firstLoginAt < 0) {
        // The first call of an empty window: always allowed (ringHit would say so too).
        this.firstLoginAt = Math.floor(monotonicMs);
        return true;
      }
      const ring = newRing(this.rateLimit);
      ringHit(ring, this.firstLoginAt);
      this.firstLoginAt = -1;
      this.rareState().loginRing = ring;
    }
    const rare = this.rareState();
    let ring: Ring;
    if (method === "login") ring = rare.loginRing as Ring;
    else if (method === "renewToken") ring = rare.renewRing ??= newRing(this.rateLimit);
    else ring = rare.logoutRing ??= newRing(this.rateLimit);
    return ringHit(ring, monotonicMs, minSpacingMs);
  }

  /**
   * Spends one ping of the budget (a token bucket of `perSecond` tokens refilled continuously;
   * `nowMs` from a monotonic wall clock). Returns 0 while within budget, else the milliseconds
   * until the bucket is back to zero: the time the gateway stops reading this peer.
   */
  spendPing(nowMs: number, perSecond: number): number {
    const rare = this.rareState();
    const b = (rare.ping ??= { tokens: perSecond, at: nowMs });
    b.tokens = Math.min(perSecond, b.tokens + ((nowMs - b.at) * perSecond) / 1000) - 1;
    b.at = nowMs;
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens * 1000) / perSecond);
  }

  /** A login a fault holds (delayed or never answered): a 2.x logout or new login cancels it. Kept in the rare state. */
  get pendingLogin(): HeldFrame | null {
    return this.rare === null ? null : this.rare.pendingLogin;
  }

  set pendingLogin(frame: HeldFrame | null) {
    if (frame !== null || this.rare !== null) this.rareState().pendingLogin = frame;
  }

  private rareState(): RareState {
    return (this.rare ??= { loginRing: null, renewRing: null, logoutRing: null, ping: null, pendingLogin: null });
  }

  /** The session as the admin API and journal see it. */
  info(sessionId: string): SessionInfo {
    return {
      sessionId,
      appId: this.appId,
      uid: this.uid,
      profile: this.profile,
      credential: this.credential,
      tokenVersion: this.tokenVersion,
      slot: this.slot,
      expiresAt: this.expiresAt,
      loggedInAt: this.loggedInAt,
    };
  }
}
