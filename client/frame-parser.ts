/**
 * Classifies one frame from the gateway: a reply (has a positive integer `id` and a boolean `ok`),
 * a known event, or something to ignore. Never throws: text that is not JSON, binary data, JSON
 * that is not an object, unknown events and malformed replies are all "ignored".
 */
import type {
  ConnectionStateChangedEvent,
  LinkStateEvent,
  TokenExpiredEvent,
  TokenPrivilegeWillExpireEvent,
  WireError,
} from "../core/protocol/wire.js";
import { RTM1_REASON, RTM1_STATE, RTM2_STATE } from "../core/protocol/wire.js";

/** A reply, reduced to what the client needs. */
export type ParsedReply =
  | { readonly kind: "reply"; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: "reply"; readonly id: number; readonly ok: false; readonly error: WireError };

/** A known event, as received. */
export type ParsedEvent =
  | { readonly kind: "connectionStateChanged"; readonly event: ConnectionStateChangedEvent }
  | { readonly kind: "linkState"; readonly event: LinkStateEvent }
  | { readonly kind: "tokenPrivilegeWillExpire"; readonly event: TokenPrivilegeWillExpireEvent }
  | { readonly kind: "tokenExpired"; readonly event: TokenExpiredEvent };

/** What one frame is. */
export type ParsedFrame = ParsedReply | ParsedEvent | { readonly kind: "ignored" };

const IGNORED = { kind: "ignored" } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasKey(table: object, key: unknown): boolean {
  return typeof key === "string" && Object.prototype.hasOwnProperty.call(table, key);
}

/** Parses the `data` of a message event (only strings are gateway frames). */
export function parseServerFrame(data: unknown): ParsedFrame {
  if (typeof data !== "string") return IGNORED;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return IGNORED;
  }
  if (!isRecord(frame)) return IGNORED;
  if ("id" in frame) return parseReply(frame);
  return parseEvent(frame);
}

function parseReply(frame: Record<string, unknown>): ParsedFrame {
  const { id, ok } = frame;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return IGNORED;
  if (ok === true) return { kind: "reply", id, ok: true, result: frame["result"] };
  if (ok !== false) return IGNORED;
  const error = frame["error"];
  if (!isRecord(error)) return IGNORED;
  const { code, name, reason, message } = error;
  if (typeof code !== "number" || typeof name !== "string" || typeof reason !== "string") return IGNORED;
  return {
    kind: "reply",
    id,
    ok: false,
    // A newer gateway may send a reason this client does not list; it is passed through.
    error: { code, name, reason: reason as WireError["reason"], message: typeof message === "string" ? message : "" },
  };
}

function parseEvent(frame: Record<string, unknown>): ParsedFrame {
  switch (frame["event"]) {
    case "connectionStateChanged":
      if (!hasKey(RTM1_STATE, frame["state"]) || !hasKey(RTM1_REASON, frame["reason"])) return IGNORED;
      return { kind: "connectionStateChanged", event: frame as unknown as ConnectionStateChangedEvent };
    case "linkState":
      if (!hasKey(RTM2_STATE, frame["currentState"])) return IGNORED;
      return { kind: "linkState", event: frame as unknown as LinkStateEvent };
    case "tokenPrivilegeWillExpire":
      return { kind: "tokenPrivilegeWillExpire", event: frame as unknown as TokenPrivilegeWillExpireEvent };
    case "tokenExpired":
      return { kind: "tokenExpired", event: frame as unknown as TokenExpiredEvent };
    default:
      return IGNORED;
  }
}
