/**
 * Where the session manager's decisions and session events go: the registered observers (metrics,
 * readiness, rollouts, journal, a test's recorder), each called in turn. An observer that throws
 * is logged and the others still run: observing never changes what the client was answered.
 */
import type { ParsedToken } from "../../core/token/parsed-token.js";
import type { Logger } from "../logger.js";
import type { Decision, DecisionObserver } from "./decision.js";

/** A session event: a token warning pushed, or a connection closed (logged in or not). */
export type SessionEvent = { readonly type: "will_expire" } | { readonly type: "closed"; readonly code: number; readonly loggedIn: boolean };
/** Receives every session event; must be cheap and must not throw. */
export type SessionEventObserver = (e: SessionEvent) => void;

export class DecisionEvents {
  private readonly observers: readonly DecisionObserver[];
  private readonly sessionObservers: readonly SessionEventObserver[];
  private readonly logger: Logger;

  constructor(observers: readonly DecisionObserver[], sessionObservers: readonly SessionEventObserver[], logger: Logger) {
    this.observers = observers;
    this.sessionObservers = sessionObservers;
    this.logger = logger;
  }

  /** True when some observer receives decisions (a decision need not be built otherwise). */
  get observed(): boolean {
    return this.observers.length > 0;
  }

  /** Hands `d` (and the decoded token of a login or renew, if any) to every decision observer. */
  decision(d: Decision, decodedToken: ParsedToken | null = null): void {
    for (const o of this.observers) {
      try {
        o(d, decodedToken);
      } catch (err) {
        this.logger.error({ err }, "decision observer failed");
      }
    }
  }

  /** Hands `e` to every session observer. */
  session(e: SessionEvent): void {
    for (const o of this.sessionObservers) {
      try {
        o(e);
      } catch (err) {
        this.logger.error({ err }, "session observer failed");
      }
    }
  }
}
