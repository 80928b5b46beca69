/**
 * The token timers of every session: the
 * will-expire push `willExpireSeconds` before a token's last valid second, then the expiry one
 * second after it. One scheduler for all sessions (core/session/expiry-scheduler.ts), one system
 * timer for the earliest entry, driven by the simulated clock: a clock that jumps fires
 * everything due, in time order, before the jump returns.
 *
 * Each session is queued at most once (the scheduler's heap holds the connection itself, its
 * `timer…` fields say when and what), and taken out eagerly when the session renews, logs out or
 * closes: no closed connection stays reachable from here (docs/robustness.md).
 */
import { ExpiryScheduler } from "../../core/session/expiry-scheduler.js";
import type { SimulatedClock } from "../clock/simulated-clock.js";
import type { Connection } from "./connection.js";

const MAX_TIMER_MS = 2 ** 31 - 1;
/** `conn.timerTag`: what the entry does when it fires. */
const WARN = 0;
const EXPIRE = 1;

/** What the timers do to a session; both run inside {@link SessionTimers.pump}. */
export interface SessionTimerActions {
  /** Push `tokenPrivilegeWillExpire` (`now`: Unix seconds). */
  warn(conn: Connection, now: number): void;
  /** End the session as `session_token_expired`; must cancel the connection's timer (close does). */
  expire(conn: Connection): void;
}

export class SessionTimers {
  private readonly scheduler = new ExpiryScheduler<Connection>();
  private readonly clock: SimulatedClock;
  private readonly willExpireSeconds: number;
  private readonly actions: SessionTimerActions;
  private driver: ReturnType<typeof setTimeout> | null = null;
  private driverAt: number | undefined;
  private readonly unsubscribeClock: () => void;

  constructor(clock: SimulatedClock, willExpireSeconds: number, actions: SessionTimerActions) {
    this.clock = clock;
    this.willExpireSeconds = willExpireSeconds;
    this.actions = actions;
    this.unsubscribeClock = clock.onJump(() => this.pump());
  }

  /** Entries pending (at most one per logged-in session with an expiring token). */
  get size(): number {
    return this.scheduler.size;
  }

  /**
   * (Re-)arms the timer of a logged-in session for its current token: the will-expire push first;
   * when it fires, the expiry. RTM 1.x with a 006 token gets none: that SDK neither warns nor
   * kicks a connected session for a 006 token.
   */
  arm(conn: Connection): void {
    this.cancel(conn);
    if (conn.expiresAt === null) return;
    if (conn.profile === "rtm1" && conn.tokenVersion === "006") return;
    const now = this.clock.nowSeconds();
    this.scheduler.schedule(conn, Math.max(now, conn.expiresAt - this.willExpireSeconds), WARN);
    this.pump();
  }

  /** Removes the session's pending entry, if any (renew, logout, close). */
  cancel(conn: Connection): void {
    this.scheduler.cancel(conn);
  }

  /** Fires every due entry in order, then sets one system timer for the next due one. */
  pump(): void {
    const now = this.clock.nowSeconds();
    for (let conn = this.scheduler.popDue(now); conn !== undefined; conn = this.scheduler.popDue(now)) {
      if (conn.phase !== "logged_in" || conn.expiresAt === null) continue;
      if (conn.timerTag === WARN) {
        // Expired when now > expiresAt: the first expired second is expiresAt + 1. Queued now,
        // it is taken in this same loop when the clock has already jumped past it.
        this.scheduler.schedule(conn, conn.expiresAt + 1, EXPIRE);
        this.actions.warn(conn, now);
      } else {
        this.actions.expire(conn);
      }
    }
    this.armDriver();
  }

  /** Drops every entry and the system timer; stops following the clock. */
  shutdown(): void {
    this.unsubscribeClock();
    if (this.driver !== null) clearTimeout(this.driver);
    this.driver = null;
    this.scheduler.clear();
  }

  private armDriver(): void {
    const next = this.scheduler.nextAt();
    if (next === this.driverAt && this.driver !== null) return;
    if (this.driver !== null) clearTimeout(this.driver);
    this.driver = null;
    this.driverAt = undefined;
    // A frozen clock only moves through jumps, which pump() on their own.
    if (next === undefined || this.clock.frozen) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next * 1000 - this.clock.nowMillis()));
    this.driverAt = next;
    this.driver = setTimeout(() => {
      this.driver = null;
      this.driverAt = undefined;
      this.pump();
    }, delay);
    this.driver.unref();
  }
}
