/**
 * The state changes the client emits by itself, when the gateway cannot tell it (no reply in time,
 * the socket dropped, logout with no socket). Shapes are those of the gateway's events
 * (docs/protocol.md, "State events").
 */
import type {
  ConnectionStateChangedEvent,
  LinkStateEvent,
  Profile,
  Rtm1Reason,
  Rtm1State,
  Rtm2Operation,
  Rtm2Reason,
  Rtm2State,
} from "../core/protocol/wire.js";
import { RTM1_REASON, RTM1_STATE, RTM2_REASON } from "../core/protocol/wire.js";

/** The connection state of either profile. */
export type RtmConnectionState = Rtm1State | Rtm2State;

/** A state change of the client's profile, ready to apply and emit. */
export type StateChange =
  | { readonly kind: "connectionStateChanged"; readonly event: ConnectionStateChangedEvent }
  | { readonly kind: "linkState"; readonly event: LinkStateEvent };

/** The state before any event: rtm1 `DISCONNECTED`, rtm2 `IDLE`. */
export function initialState(profile: Profile): RtmConnectionState {
  return profile === "rtm1" ? "DISCONNECTED" : "IDLE";
}

/** An RTM 1.x `connectionStateChanged` event with its numeric codes. */
export function rtm1Change(state: Rtm1State, reason: Rtm1Reason): StateChange {
  return {
    kind: "connectionStateChanged",
    event: { event: "connectionStateChanged", state, reason, stateCode: RTM1_STATE[state], reasonCode: RTM1_REASON[reason] },
  };
}

/** An RTM 2.x `linkState` event with its numeric reason code. */
export function rtm2Change(previousState: Rtm2State, currentState: Rtm2State, operation: Rtm2Operation, reason: Rtm2Reason): StateChange {
  return {
    kind: "linkState",
    event: { event: "linkState", currentState, previousState, operation, reasonCode: RTM2_REASON[reason], reason },
  };
}

/** Login got no reply in time: rtm1 DISCONNECTED/LOGIN_TIMEOUT; rtm2 FAILED, op LOGIN, LOGIN_TIMEOUT. */
export function loginTimeoutChange(profile: Profile, current: RtmConnectionState): StateChange {
  return profile === "rtm1"
    ? rtm1Change("DISCONNECTED", "LOGIN_TIMEOUT")
    : rtm2Change(current as Rtm2State, "FAILED", "LOGIN", "LOGIN_TIMEOUT");
}

/**
 * The socket dropped without the client asking, and the last event left the state "in progress"
 * or "logged in" (the gateway announces its own session ends — remote login, ban, expiry — with an
 * event before it closes, so after those the state is already ABORTED/FAILED and nothing is added).
 * The client does not reconnect, so it reports the closest terminal pair:
 *
 * - rtm1, CONNECTED or RECONNECTING → `ABORTED` / `INTERRUPTED` (what Web 1.x shows for a drop it
 *   cannot explain, an unknown server kick);
 * - rtm1, CONNECTING → `DISCONNECTED` / `LOGIN_FAILURE` (the login failed);
 * - rtm2, CONNECTED, DISCONNECTED or SUSPENDED → `FAILED`, op `SERVER_REJECT`, reason `UNKNOWN` (0):
 *   `FAILED`/`SERVER_REJECT` is the documented pair for every server-side end; none of the
 *   documented reasons (SAME_UID_LOGIN, TOKEN_EXPIRED, KICKED_OUT_BY_SERVER, LOGIN_TOO_FREQUENT)
 *   is true of an unexplained drop, so the reason is UNKNOWN;
 * - rtm2, CONNECTING → `FAILED`, op `LOGIN`, `LOGIN_REJECTED` (the 2.x Web fallback for a failed login);
 * - initial or terminal states (DISCONNECTED, ABORTED, IDLE, FAILED) → nothing.
 */
export function connectionLostChange(profile: Profile, current: RtmConnectionState): StateChange | null {
  if (profile === "rtm1") {
    if (current === "CONNECTED" || current === "RECONNECTING") return rtm1Change("ABORTED", "INTERRUPTED");
    if (current === "CONNECTING") return rtm1Change("DISCONNECTED", "LOGIN_FAILURE");
    return null;
  }
  if (current === "CONNECTED" || current === "DISCONNECTED" || current === "SUSPENDED") {
    return rtm2Change(current, "FAILED", "SERVER_REJECT", "UNKNOWN");
  }
  if (current === "CONNECTING") return rtm2Change(current, "FAILED", "LOGIN", "LOGIN_REJECTED");
  return null;
}

/**
 * `logout()` with no socket while the state is not the initial one (after a kick, an expiry, a
 * timeout or `close()`): the SDKs leave the terminal state locally — rtm1 → `DISCONNECTED` /
 * `LOGOUT` (Web 1.6.0 resets ABORTED this way), rtm2 → `IDLE`, op `LOGOUT`, `LOGOUT`.
 */
export function localLogoutChange(profile: Profile, current: RtmConnectionState): StateChange {
  return profile === "rtm1" ? rtm1Change("DISCONNECTED", "LOGOUT") : rtm2Change(current as Rtm2State, "IDLE", "LOGOUT", "LOGOUT");
}
