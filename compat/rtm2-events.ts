/**
 * The 2.x events, made from the gateway's `linkState` events (docs/compat.md, "Events"):
 *
 * - `linkState`: the SDK's payload, with `reasonCode` the reason's name and `reason` its
 *   `LinkStateChangeReasonDescription` text, `serviceType` `MESSAGE`, no channels, not resumed;
 * - `status`: the connection status event of RTM 2.1 and 2.2 Web (gone in 2.3), for apps written
 *   against those versions, mapped as those SDKs raise it alongside their link state: a login
 *   starting is `CONNECTING`/`CONNECTING`, its success `CONNECTED`/`LOGIN_SUCCESS`, its failure
 *   `DISCONNECTED` with `LOST` (timeout), `TOKEN_EXPIRED` or `REJECTED_BY_SERVER`, a logout
 *   `DISCONNECTED`/`LOGOUT`, a server-side end `FAILED` with `SAME_UID_LOGIN`, `TOKEN_EXPIRED`, or
 *   `INTERRUPTED` for any other cause (a kick, a dropped connection). A uid refused before connecting
 *   (`IDLE` to `FAILED`) raises no `status` event: those SDKs check the uid before they announce
 *   `CONNECTING`.
 */
import type { LinkStateEvent as WireLinkStateEvent } from "../core/protocol/wire.js";
import {
  LinkStateChangeReasonDescription,
  type ConnectionChangeReason,
  type ConnectionState,
  type LinkOperation,
  type LinkState,
  type LinkStateChangeReasonCode,
  type ServiceType,
  type TokenEventType,
} from "./rtm2-constants.js";

/** The payload of the `linkState` event. */
export interface LinkStateEvent {
  timestamp: number;
  currentState: LinkState;
  previousState: LinkState;
  serviceType: ServiceType;
  operation: LinkOperation;
  reason: string;
  reasonCode: LinkStateChangeReasonCode;
  affectedChannels: string[];
  unrestoredChannels: string[];
  isResumed: boolean;
}

/** The payload of the `token` event. */
export interface TokenEvent {
  timestamp: number;
  eventType: TokenEventType;
  reason: string;
  affectedResources: {
    messageChannels: string[];
  };
}

/** The payload of the `status` event (RTM 2.1 and 2.2 Web). */
export interface RTMConnectionStatusChangeEvent {
  state: ConnectionState;
  reason: ConnectionChangeReason;
  timestamp: number;
}

/** The SDK's `linkState` payload for one of the gateway's events, stamped `timestamp` (ms). */
export function toLinkStateEvent(event: WireLinkStateEvent, timestamp: number): LinkStateEvent {
  const reasonCode: LinkStateChangeReasonCode = Object.hasOwn(LinkStateChangeReasonDescription, event.reason) ? event.reason : "UNKNOWN";
  return {
    timestamp,
    currentState: event.currentState,
    previousState: event.previousState,
    serviceType: "MESSAGE",
    operation: event.operation,
    reason: LinkStateChangeReasonDescription[reasonCode],
    reasonCode,
    affectedChannels: [],
    unrestoredChannels: [],
    isResumed: false,
  };
}

/** The `status` payload that goes with one of the gateway's events, or null when those SDKs raise none. */
export function toStatusEvent(event: WireLinkStateEvent, timestamp: number): RTMConnectionStatusChangeEvent | null {
  const status = (state: ConnectionState, reason: ConnectionChangeReason): RTMConnectionStatusChangeEvent => ({ state, reason, timestamp });
  switch (event.currentState) {
    case "CONNECTING":
      return status("CONNECTING", "CONNECTING");
    case "CONNECTED":
      return status("CONNECTED", "LOGIN_SUCCESS");
    case "IDLE":
      return event.operation === "LOGOUT" ? status("DISCONNECTED", "LOGOUT") : null;
    case "FAILED":
      if (event.operation === "LOGIN") {
        if (event.previousState !== "CONNECTING") return null;
        if (event.reason === "LOGIN_TIMEOUT") return status("DISCONNECTED", "LOST");
        return status("DISCONNECTED", event.reason === "TOKEN_EXPIRED" ? "TOKEN_EXPIRED" : "REJECTED_BY_SERVER");
      }
      if (event.reason === "SAME_UID_LOGIN" || event.reason === "TOKEN_EXPIRED") return status("FAILED", event.reason);
      return status("FAILED", "INTERRUPTED");
    default:
      // DISCONNECTED and SUSPENDED belong to reconnection, which is not emulated.
      return null;
  }
}
