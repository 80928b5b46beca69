/**
 * The admin API's response shapes (docs/protocol.md, "Admin API"), as types shared by the gateway that
 * serves them and the client package that reads them. Types only: no I/O.
 */
import type { CertificateSlot } from "../certificate/active-certificate.js";
import type { AuthMode, CohortMark } from "../certificate/project.js";
import type { Hint } from "../diagnostics/hint-codes.js";
import type { Reason } from "../errors.js";
import type { FinalStep, Guard, RolloutPlan, RolloutStatus, RolloutTransition, StageCounts } from "../rollout/rollout.js";
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
  /** The token's identity as the journal records it (docs/tokens.md, "Token identity"), or null (no token, or not decodable). */
  readonly tokenId: string | null;
  /** Diagnostic hints (docs/hints.md): codes from a closed list, each with a sentence; never part of the decision. */
  readonly hints: readonly Hint[];
  /** The outcome against the project's shadow target, or null when it has none (docs/migration.md). */
  readonly shadow: ShadowOutcome | null;
  /** The rollout stage whose cohort the uid is in, or null (docs/rollouts.md): the decision was made against the rollout's target. */
  readonly cohort: CohortMark | null;
  readonly now: number;
}

/**
 * Operations a decision is about: a fault may decide a `connect`; `session_end` ends a live
 * session; `rollout` is a transition of a project's staged rollout (docs/rollouts.md).
 */
export type DecisionOp = "connect" | "login" | "renewToken" | "logout" | "session_end" | "rollout";
/**
 * Outcomes: `unanswered` (a fault swallowed the request), `dropped` (a fault destroyed the socket),
 * `transition` (a rollout moved; its `rollout` field says how).
 */
export type DecisionResult = "accepted" | "refused" | "ended" | "unanswered" | "dropped" | "transition";

/**
 * One decision of the gateway (a login, renew or logout answered, a session ended, or a fault's
 * outcome), as the metrics and the journal see it. Carries no token and no certificate.
 */
export interface Decision {
  readonly op: DecisionOp;
  readonly result: DecisionResult;
  readonly reason: Reason;
  /** The client's profile; null for a rollout transition. */
  readonly profile: Profile | null;
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
  /** The outcome against the project's shadow target, when one is set (docs/migration.md); the client saw only the real one. */
  readonly shadow?: ShadowOutcome | null;
  /** The rollout stage whose cohort the uid was in (docs/rollouts.md), when one was. */
  readonly cohort?: CohortMark | null;
  /** For op `rollout`: the transition (its cause, stages, status and, for a guard, the figures it tripped on). */
  readonly rollout?: RolloutTransition;
}

/** A project's shadow target (`PUT /admin/projects/:appId/shadow`; docs/migration.md). */
export type ShadowTarget = { readonly target: "token_only" } | { readonly target: "delete_certificate"; readonly slot: "primary" | "secondary" };

/** A login or renew decided again against the shadow target. */
export interface ShadowOutcome {
  /** `token_only`, `delete_primary` or `delete_secondary`. */
  readonly target: string;
  readonly result: "accepted" | "refused";
  /** `ok`, or the reason the target would refuse it with. */
  readonly reason: string;
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

/** The steps that cannot be undone, with a readiness verdict each (docs/migration.md). */
export const MIGRATION_STEPS = ["delete_no_certificate", "delete_primary", "delete_secondary", "swap"] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** What one step would do to the window's logins and the live sessions (docs/migration.md). */
export interface StepVerdict {
  /** Accepted logins of the window that the step would have refused. */
  readonly wouldRefuse: number;
  /** `wouldRefuse` as a share of the window's accepted logins (0 when there were none). */
  readonly wouldRefuseShare: number;
  /** The reason those logins would get. */
  readonly reason: "token_required" | "invalid_signature" | "token_not_accepted" | null;
  /** Live sessions that could not log in again, or renew with a token of the same kind, after it. */
  readonly liveSessionsAffected: number;
  /** One sentence for a person. */
  readonly summary: string;
  /** Whether the step can be taken now; when not, `blockedBy` is the error code the call would get. */
  readonly allowed: boolean;
  readonly blockedBy: string | null;
}

/** The readiness report of one project (`GET /admin/projects/:appId/readiness`; docs/migration.md). */
export interface ReadinessReport {
  readonly appId: string;
  /** The window asked for, seconds. */
  readonly windowSeconds: number;
  /** The window the counts really cover: `windowSeconds` rounded out to whole 60-second buckets (at least it). */
  readonly coveredSeconds: number;
  /** Unix seconds of the simulated clock: the window is (now - windowSeconds, now]. */
  readonly now: number;
  /**
   * `cluster`: the figures of every live gateway sharing this one's Redis (each other gateway's as
   * of its last share, at most one sharing period old); `local`: this gateway's alone (no Redis, or
   * Redis could not be read: `warning` says so). docs/migration.md, "Several gateways".
   */
  readonly scope: "cluster" | "local";
  /** How many gateways' figures the report holds, this one included (1 when `local`). */
  readonly gateways: number;
  /** Why figures are missing (Redis unreachable, a gateway over the read limit, …), or null. */
  readonly warning: string | null;
  /**
   * Set when the window reaches back before this gateway started keeping figures (they live in
   * memory and start empty at each start): one sentence saying how much it really saw. Null otherwise.
   */
  readonly partial: string | null;
  /** Accepted logins in the window by credential, token version and certificate slot. */
  readonly logins: {
    readonly appid: number;
    readonly token: number;
    readonly byVersion: { readonly "006": number; readonly "007": number };
    readonly bySlot: { readonly primary: number; readonly secondary: number };
  };
  /** Refused logins in the window, reason → count. */
  readonly refused: Readonly<Record<string, number>>;
  /** Distinct uids that logged in in the window, per credential; `exact` false when estimated. */
  readonly distinctUids: { readonly appid: { count: number; exact: boolean }; readonly token: { count: number; exact: boolean } };
  /** Uids still logging in with the App ID in the window, most recent first (at most 100). */
  readonly appIdUids: ReadonlyArray<{ readonly uid: string; readonly lastLoginAt: number }>;
  /** Last accepted login with the App ID, and with a token verified by each slot (Unix seconds, ever). */
  readonly lastUse: { readonly appid: number | null; readonly primary: number | null; readonly secondary: number | null };
  /** Live sessions by credential and slot, on every gateway the report covers (`gateways`). */
  readonly liveSessions: { readonly appid: number; readonly token: number; readonly primary: number; readonly secondary: number };
  /** What each step that cannot be undone would do. */
  readonly verdicts: Readonly<Record<MigrationStep, StepVerdict>>;
  /** The shadow target now (null when none), and the window's logins it would have refused, reason → count. */
  readonly shadow: { readonly target: ShadowTarget | null; readonly refused: Readonly<Record<string, number>> };
}

/** The answer to a step called with `?dryRun=true`: its verdict, and the report behind it. Nothing changed. */
export interface DryRunResult extends StepVerdict {
  readonly dryRun: true;
  readonly step: MigrationStep;
  readonly windowSeconds: number;
  readonly readiness: ReadinessReport;
}

/** A guard of the applied stage with its judgement on the stage's counts (`RolloutView.guards`; docs/rollouts.md). */
export interface GuardView extends Guard {
  /** The cohort's decisions of the guard's `op` in this stage visit, on every gateway sharing the counts. */
  readonly decisions: number;
  /** Of them, refused with the guard's reason (any reason for `"any"`). */
  readonly refused: number;
  /** `refused / decisions` in percent, two decimals (0 when there were no decisions). */
  readonly percent: number;
  /** True once it has seen `minLogins` decisions without tripping. */
  readonly holds: boolean;
  /** True when `percent` is above `maxPercent` with at least `minLogins` decisions. */
  readonly tripped: boolean;
}

/** A project's staged rollout as the admin API serves it (`GET /admin/projects/:appId/rollout`; docs/rollouts.md). */
export interface RolloutView {
  readonly appId: string;
  /** The plan as validated, defaults filled in. */
  readonly plan: RolloutPlan;
  readonly status: RolloutStatus;
  /** The applied stage, 0-based; -1 when none is (rolled back before the first, aborted, completed). */
  readonly stage: number;
  /** The applied stage's name, or null (no stage applied). */
  readonly stageName: string | null;
  /** +1 on every transition; the compare-and-set of several gateways compares it. */
  readonly revision: number;
  /** The revision at which the applied stage was entered: the guards count the decisions since (docs/rollouts.md). */
  readonly stageRevision: number;
  /** Unix seconds on the simulated clock. */
  readonly startedAt: number;
  /** When the applied stage was entered or resumed, Unix seconds. */
  readonly stageStartedAt: number;
  readonly updatedAt: number;
  /** When the applied stage's `minSeconds` ends (Unix seconds), or null when no stage is applied. */
  readonly stageMinUntil: number | null;
  /** True at the last stage of a plan without `confirm` once its time passed with the guards holding. */
  readonly awaitingConfirmation: boolean;
  /** The real step at the end of the plan (null only for a target that has none). */
  readonly finalStep: FinalStep | null;
  /** The applied stage's counts (across gateways with Redis), or null when none is applied or they could not be read. */
  readonly counts: StageCounts | null;
  /** The applied stage's guards, judged on `counts` (empty when no stage is applied). */
  readonly guards: readonly GuardView[];
  /** The last transitions (at most 100), oldest first. */
  readonly history: readonly RolloutTransition[];
  /** The simulated clock when this view was made, Unix seconds. */
  readonly now: number;
}

/** The rollout line of a project view: where the project's rollout stands, or null when none was put. */
export interface RolloutSummary {
  readonly status: RolloutStatus;
  readonly stage: number;
  readonly stageName: string | null;
}

/**
 * The migration fields of {@link ProjectView} (declared here, merged into the interface above):
 * the project's shadow target and its rollout's summary, each null when there is none.
 */
export interface ProjectView {
  /** The shadow target (`PUT /admin/projects/:appId/shadow`; docs/migration.md), or null. */
  readonly shadow: ShadowTarget | null;
  /** The staged rollout's status and applied stage (docs/rollouts.md), or null when none was put. */
  readonly rollout: RolloutSummary | null;
}
