/**
 * The state events each SDK profile shows for the handshake (docs/protocol.md,
 * "State events"), as pre-serialisable objects. The gateway tracks the state the client shows
 * so `previousState` is right.
 */
import type { FailureReason } from "../../core/errors.js";
import {
  RTM1_REASON,
  RTM1_STATE,
  RTM2_REASON,
  type Profile,
  type Rtm1Reason,
  type Rtm1State,
  type Rtm2Operation,
  type Rtm2Reason,
  type Rtm2State,
  type ServerEvent,
} from "../../core/protocol/wire.js";
import { WIRE_CODES } from "./wire-codes.js";

/** The state a client of either profile shows. */
export type VisibleState = Rtm1State | Rtm2State;

/** The initial state per profile. */
export function initialState(profile: Profile): VisibleState {
  return profile === "rtm1" ? "DISCONNECTED" : "IDLE";
}

function rtm1(state: Rtm1State, reason: Rtm1Reason): ServerEvent {
  return { event: "connectionStateChanged", state, reason, stateCode: RTM1_STATE[state], reasonCode: RTM1_REASON[reason] };
}

function rtm2(previousState: VisibleState, currentState: Rtm2State, operation: Rtm2Operation, reason: Rtm2Reason): ServerEvent {
  return {
    event: "linkState",
    currentState,
    previousState: previousState as Rtm2State,
    operation,
    reasonCode: RTM2_REASON[reason],
    reason,
  };
}

/** One state change: the event to send (also pre-serialised as UTF-8) and the state the client then shows. */
export interface Transition {
  readonly event: ServerEvent;
  readonly state: VisibleState;
  readonly json: Buffer;
}

// Transitions are few and fixed per (kind, profile, from, reason): each is built and serialised
// once, then found through nested maps keyed by the (interned) strings themselves: no key string
// and no closure is made on the login path. Each kind also remembers the transition it returned
// last: a load of one profile asks for the same one every time, and three string comparisons cost
// less than three map lookups.
type Made = { event: ServerEvent; state: VisibleState };
type Builder = (profile: Profile, from: VisibleState, reason: string) => Made;
class Transitions {
  private readonly build: Builder;
  private readonly byProfile = new Map<Profile, Map<VisibleState, Map<string, Transition>>>();
  private lastProfile: Profile | null = null;
  private lastFrom: VisibleState | null = null;
  private lastReason: string | null = null;
  private last: Transition | null = null;

  constructor(build: Builder) {
    this.build = build;
  }

  get(profile: Profile, from: VisibleState, reason: string): Transition {
    if (profile === this.lastProfile && from === this.lastFrom && reason === this.lastReason) return this.last as Transition;
    let byFrom = this.byProfile.get(profile);
    if (byFrom === undefined) this.byProfile.set(profile, (byFrom = new Map()));
    let byReason = byFrom.get(from);
    if (byReason === undefined) byFrom.set(from, (byReason = new Map()));
    let t = byReason.get(reason);
    if (t === undefined) {
      const { event, state } = this.build(profile, from, reason);
      t = Object.freeze({ event, state, json: Buffer.from(JSON.stringify(event), "utf8") });
      byReason.set(reason, t);
    }
    this.lastProfile = profile;
    this.lastFrom = from;
    this.lastReason = reason;
    this.last = t;
    return t;
  }
}

/** `login()` started: 1.x CONNECTING/LOGIN; 2.x →CONNECTING (LOGIN, or RELOGIN from FAILED). */
export function loginStarted(profile: Profile, from: VisibleState): Transition {
  return loginStartedTransitions.get(profile, from, "");
}
function loginStartedEvent(profile: Profile, from: VisibleState): Made {
  if (profile === "rtm1") return { event: rtm1("CONNECTING", "LOGIN"), state: "CONNECTING" };
  return { event: rtm2(from, "CONNECTING", "LOGIN", from === "FAILED" ? "RELOGIN" : "LOGIN"), state: "CONNECTING" };
}

/** The server accepted: 1.x CONNECTED/LOGIN_SUCCESS; 2.x CONNECTING→CONNECTED (LOGIN_SUCCESS). */
export function loginSucceeded(profile: Profile, from: VisibleState): Transition {
  return loginSucceededTransitions.get(profile, from, "");
}
function loginSucceededEvent(profile: Profile, from: VisibleState): Made {
  if (profile === "rtm1") return { event: rtm1("CONNECTED", "LOGIN_SUCCESS"), state: "CONNECTED" };
  return { event: rtm2(from, "CONNECTED", "LOGIN", "LOGIN_SUCCESS"), state: "CONNECTED" };
}

/** The server refused: 1.x DISCONNECTED/LOGIN_FAILURE; 2.x →FAILED (op LOGIN, reason from the error). */
export function loginFailed(profile: Profile, from: VisibleState, reason: FailureReason): Transition {
  return loginFailedTransitions.get(profile, from, reason);
}
function loginFailedEvent(profile: Profile, from: VisibleState, reason: FailureReason): Made {
  if (profile === "rtm1") return { event: rtm1("DISCONNECTED", "LOGIN_FAILURE"), state: "DISCONNECTED" };
  return { event: rtm2(from, "FAILED", "LOGIN", WIRE_CODES[reason].rtm2LinkReason), state: "FAILED" };
}

/** `logout()`: 1.x DISCONNECTED/LOGOUT; 2.x →IDLE (op LOGOUT, LOGOUT). */
export function loggedOut(profile: Profile, from: VisibleState): Transition {
  return loggedOutTransitions.get(profile, from, "");
}
function loggedOutEvent(profile: Profile, from: VisibleState): Made {
  if (profile === "rtm1") return { event: rtm1("DISCONNECTED", "LOGOUT"), state: "DISCONNECTED" };
  return { event: rtm2(from, "IDLE", "LOGOUT", "LOGOUT"), state: "IDLE" };
}

const RTM1_END: Record<SessionEndReason, Rtm1Reason> = {
  remote_login: "REMOTE_LOGIN",
  banned: "BANNED_BY_SERVER",
  session_token_expired: "TOKEN_EXPIRED",
};

/** Why the gateway ends a live session. */
export type SessionEndReason = "remote_login" | "banned" | "session_token_expired";

/** The server ended the session: 1.x →ABORTED with the reason; 2.x →FAILED (op SERVER_REJECT). */
export function sessionEnded(profile: Profile, from: VisibleState, reason: SessionEndReason): Transition {
  return sessionEndedTransitions.get(profile, from, reason);
}
function sessionEndedEvent(profile: Profile, from: VisibleState, reason: SessionEndReason): Made {
  if (profile === "rtm1") return { event: rtm1("ABORTED", RTM1_END[reason]), state: "ABORTED" };
  return { event: rtm2(from, "FAILED", "SERVER_REJECT", WIRE_CODES[reason].rtm2LinkReason), state: "FAILED" };
}

const loginStartedTransitions = new Transitions(loginStartedEvent);
const loginSucceededTransitions = new Transitions(loginSucceededEvent);
const loginFailedTransitions = new Transitions(loginFailedEvent as Builder);
const loggedOutTransitions = new Transitions(loggedOutEvent);
const sessionEndedTransitions = new Transitions(sessionEndedEvent as Builder);
