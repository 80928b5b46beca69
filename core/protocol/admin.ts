/**
 * The admin API's response shapes (gateway-protocol.md §3), as types shared by the gateway that
 * serves them and the client package that reads them. Types only: no I/O.
 */
import type { CertificateSlot } from "../certificate/active-certificate.js";
import type { AuthMode } from "../certificate/project.js";
import type { Hint } from "../diagnostics/hint-codes.js";
import type { Reason } from "../errors.js";
import type { Described } from "../token/describe-token.js";
import type { Profile } from "./wire.js";

/** One certificate as the admin API shows it (the value included: that is the point of the call). */
export interface CertificateView {
  readonly value: string;
  readonly status: "pending" | "active";
  readonly enabledAt: number;
  readonly activeAt: number;
}

/** A project as `GET /admin/projects/:appId` shows it, at one instant of the simulated clock. */
export interface ProjectView {
  readonly appId: string;
  readonly mode: AuthMode;
  readonly noCertificate: boolean;
  readonly certificates: { readonly primary: CertificateView | null; readonly secondary: CertificateView | null };
}

/** The simulated clock (`GET /admin/clock`). */
export interface ClockView {
  readonly now: number;
  readonly frozen: boolean;
}

/** `POST /admin/explain`: the decision a login would get now. */
export interface Explanation {
  readonly decision: "accept" | "refuse";
  readonly reason: Reason;
  /** The reply code and name the profile's client would get (null when accepted). */
  readonly code: number | null;
  readonly name: string | null;
  readonly failedCheck: string | null;
  /** Private detail of the refusal (never a secret). */
  readonly detail: string | null;
  readonly mode: AuthMode | null;
  readonly credential: "appid" | "token";
  /** Which certificate verified the token. */
  readonly slot: CertificateSlot | null;
  readonly expiresAt: number | null;
  /** Every decoded field of the token, or null (no token, or not decodable). */
  readonly token: Record<string, Described> | null;
  /** Diagnostic hints (docs/hints.md): codes from a closed list, each with a sentence; never part of the decision. */
  readonly hints: readonly Hint[];
  readonly now: number;
}

/** Operations a decision is about: a fault may decide a `connect`; `session_end` ends a live session. */
export type DecisionOp = "connect" | "login" | "renewToken" | "logout" | "session_end";
/** Outcomes: `unanswered` (a fault swallowed the request), `dropped` (a fault destroyed the socket). */
export type DecisionResult = "accepted" | "refused" | "ended" | "unanswered" | "dropped";

/**
 * One decision of the gateway (a login, renew or logout answered, a session ended, or a fault's
 * outcome), as the metrics and the journal see it. Carries no token and no certificate.
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
  /** Time spent deciding, wall-clock milliseconds (a delay fault included). */
  readonly latencyMs: number;
  /** The first failed check, for refusals. */
  readonly failedCheck: string | null;
  /** The close code sent, for ended sessions. */
  readonly closeCode: number | null;
  /** The fault rule that decided (or delayed) this outcome, if any. */
  readonly faultId?: string | null;
}

/** One journal entry (`GET /admin/journal`): a decision, its sequence number and its wall-clock time. */
export interface JournalEntry extends Omit<Decision, "faultId"> {
  /** 1 for the first decision since start or reset, then +1 per decision. */
  readonly seq: number;
  /** Wall clock at the decision, Unix milliseconds. */
  readonly wallTime: number;
  /** The fault rule that decided or delayed this outcome, or null. */
  readonly faultId: string | null;
  /**
   * Logins and renews: the token's identity (32 hex characters, a digest of its signed content;
   * docs/tokens.md), the same for every malleated string of one token. Null when no token was
   * given, it could not be decoded, an earlier check refused the request, and for other ops.
   */
  readonly tokenId: string | null;
}
