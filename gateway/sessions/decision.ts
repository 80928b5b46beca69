import type { CertificateSlot } from "../../core/certificate/active-certificate.js";
import type { AuthMode } from "../../core/certificate/project.js";
import type { Reason } from "../../core/errors.js";
import type { DecisionOp, DecisionResult } from "../../core/protocol/admin.js";
import type { Profile } from "../../core/protocol/wire.js";

/**
 * One decision of the gateway (a login, renew or logout answered, or a session ended), as the
 * metrics and the journal see it. Carries no token and no certificate.
 *
 * A fault rule can decide too (gateway-protocol.md §3, `/admin/faults`): then `faultId` names it,
 * `op` may be `connect` (the WebSocket upgrade), and `result` may be `unanswered` (the request was
 * swallowed) or `dropped` (the socket was destroyed without a close frame).
 */
export interface Decision {
  readonly op: DecisionOp;
  readonly result: DecisionResult;
  readonly reason: Reason;
  readonly profile: Profile;
  readonly appId: string;
  readonly uid: string;
  readonly mode: AuthMode | null;
  readonly credential: "appid" | "token" | null;
  readonly tokenVersion: "006" | "007" | null;
  readonly slot: CertificateSlot | null;
  readonly sessionId: string | null;
  /** The (simulated) clock at the decision, Unix seconds. */
  readonly at: number;
  /** Time spent deciding, milliseconds (wall clock). */
  readonly latencyMs: number;
  /** The first failed check, for refusals. */
  readonly failedCheck: string | null;
  /** The close code sent, for ended sessions. */
  readonly closeCode: number | null;
  /** The fault rule that decided (or delayed) this outcome, if any. */
  readonly faultId?: string | null;
}

/** Receives every decision; must be cheap and must not throw. */
export type DecisionObserver = (d: Decision) => void;
