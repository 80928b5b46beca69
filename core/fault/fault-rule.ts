/**
 * Fault rules of the simulator (`/admin/faults`; docs/protocol.md, "Admin API"): what a rule matches,
 * when it fires and what it does. Plain data; {@link FaultSet} decides, the gateway applies.
 */
import type { FailureReason } from "../errors.js";

/** The operations a rule can match: the WebSocket upgrade, and the three requests. */
export const FAULT_OPS = ["connect", "login", "renewToken", "logout"] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

/** The action types. */
export const FAULT_ACTION_TYPES = ["delay", "fail", "never_reply", "drop", "kick"] as const;
export type FaultActionType = (typeof FAULT_ACTION_TYPES)[number];

/**
 * What a fired rule does:
 * - `delay`: the request is decided `ms` milliseconds (wall clock) later; frames that follow on the
 *   same connection wait behind it, in order. The client may time out first.
 * - `fail`: the request is refused with `reason`, mapped to the profile's code by the wire-code table.
 * - `never_reply`: the request is swallowed; the client meets its own timeout.
 * - `drop`: the socket is destroyed without a close frame (the client sees an unexplained drop).
 * - `kick`: as banned: a live session ends with the ban sequence and close 4502; a login is refused
 *   with reason `banned`, then closed with 4502; a connect is accepted, then closed with 4502.
 */
export type FaultAction =
  | { readonly type: "delay"; readonly ms: number }
  | { readonly type: "fail"; readonly reason: FailureReason }
  | { readonly type: "never_reply" }
  | { readonly type: "drop" }
  | { readonly type: "kick" };

/** Longest delay a rule may ask for, ms. */
export const MAX_FAULT_DELAY_MS = 600_000;
/** Most rules held at once. */
export const MAX_FAULT_RULES = 1000;

/** A rule as the admin gives it (validated by the admin route). */
export interface FaultRuleSpec {
  /** One operation or several. */
  readonly op: FaultOp | readonly FaultOp[];
  /** Only this App ID (compared case-insensitively). Never matches `connect`, which has none. */
  readonly appId?: string | undefined;
  /** Only uids matching this glob or `/regex/` (see uid-pattern.ts). Never matches `connect`. */
  readonly uid?: string | undefined;
  /**
   * Fire from the nth matching occurrence on (1 = the first), counted from the rule's creation;
   * `count` then defaults to 1, so `nth: 2` alone is "the 2nd one". Exclusive with `probability`.
   */
  readonly nth?: number | undefined;
  /** Fire with this probability per matching occurrence, drawn from the rule's own seeded generator. */
  readonly probability?: number | undefined;
  /** The seed of the rule's generator (u32). Default: the rule's sequence number. */
  readonly seed?: number | undefined;
  /** Fire at most this many times, then the rule is removed. Default: unlimited (1 with `nth`). */
  readonly count?: number | undefined;
  /** Remove the rule this many seconds after its creation, on the simulated clock. */
  readonly ttlSeconds?: number | undefined;
  readonly action: FaultAction;
}

/** A rule as the admin API shows it. */
export interface FaultRuleView {
  readonly id: string;
  readonly op: FaultOp | readonly FaultOp[];
  readonly appId: string | null;
  readonly uid: string | null;
  readonly nth: number | null;
  readonly probability: number | null;
  readonly seed: number | null;
  /** The firing limit (null: unlimited). */
  readonly count: number | null;
  readonly ttlSeconds: number | null;
  /** Simulated Unix seconds. */
  readonly createdAt: number;
  /** Simulated Unix seconds at which the rule is removed, or null. */
  readonly expiresAt: number | null;
  /** Matching occurrences seen so far. */
  readonly seen: number;
  /** Times it decided an outcome. */
  readonly fired: number;
  readonly action: FaultAction;
}

/** A rule that fired: which one, and what to do. */
export interface FiredFault {
  readonly id: string;
  readonly action: FaultAction;
}
