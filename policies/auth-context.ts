import type { CertificateSlot } from "../core/certificate/active-certificate.js";
import type { CohortMark, ProjectAuth } from "../core/certificate/project.js";
import type { FailureReason } from "../core/errors.js";
import type { Profile } from "../core/protocol/wire.js";
import type { RateLimiter } from "../core/session/rate-window.js";
import type { UidQuirks } from "../core/session/uid-rules.js";
import type { ParsedToken } from "../core/token/parsed-token.js";
import type { TokenLimits } from "../core/token/token-limits.js";
import type { VerifiedToken } from "../core/token/verified-token.js";

/**
 * The settings the checks run with. The behaviour switches are set together by the fidelity
 * preset, each overridable (gateway/config.ts; the table of switches × presets: docs/fidelity.md).
 */
export interface PolicySettings {
  /**
   * `spec` (preset documented): docs/tokens.md order, signature before expiry.
   * `legacy` (preset observed): Agora's observed order (AgoraIO/Tools #234), a token failing its
   * signature, uid binding or RTM grant reports its expiry first when a time has passed.
   */
  readonly checkOrder: "spec" | "legacy";
  /** `enforce` (preset documented) or `ignore` (observed): only the 006 24-hour `ts` limits a correctly signed 006 token. */
  readonly privilege006: "enforce" | "ignore";
  /** Accept a 006 RTC-join token whose channel is the login account (preset observed; AgoraIO/RTM #128, #129). */
  readonly accept006RtcAsRtm: boolean;
  /** RTM 1.x: least milliseconds between two logins of a connection, else too_often (0 = none; observed: 500, Web 1.6.0). */
  readonly rtm1LoginSpacingMs: number;
  readonly uidQuirks: UidQuirks;
  readonly tokenLimits: TokenLimits;
  /**
   * The lifetime cap, seconds: a token's effective expiry is at most its issue time plus this
   * (MAX_TOKEN_LIFETIME_SECONDS, docs/token-lifetime.md). `0` or absent: no cap.
   */
  readonly maxTokenLifetimeSeconds?: number;
}

/** The session-level facts a policy may read. */
export interface SessionFacts {
  readonly loggedIn: boolean;
  /** The connection's call windows, one per method, for TOO_OFTEN. */
  readonly rate: RateLimiter;
  /** For renew: the session's identity. */
  readonly appId: string | null;
  readonly uid: string | null;
}

/** A refusal: the reason, and a private detail for logs and explain. */
export interface Refusal {
  readonly reason: FailureReason;
  readonly detail: string;
}

/**
 * Everything one login or renew decision reads, and what the checks found. Policies fill the
 * output fields (`project`, `verified`, `slot`) as they pass.
 */
export interface AuthContext {
  readonly op: "login" | "renewToken";
  readonly profile: Profile;
  readonly appId: string;
  readonly uid: string;
  /** The token, already normalised: null means "no token" (null, omitted, "", and for rtm2 the App ID itself). */
  readonly token: string | null;
  /** Unix seconds, from the injected (simulated) clock: token times are judged against this. */
  readonly now: number;
  /**
   * Milliseconds of the gateway's real monotonic clock (`performance.now()`), read only by the
   * rate windows: freezing or moving the simulated clock does not pace them (docs/fidelity.md).
   */
  readonly monotonicMs: number;
  readonly session: SessionFacts;
  readonly settings: PolicySettings;
  /** Reads the project's auth view from the store's local copy; throws StoreUnavailable when it cannot. */
  readonly lookupProject: (appId: string, now: number) => ProjectAuth | undefined;
  project?: ProjectAuth;
  verified?: VerifiedToken;
  slot?: CertificateSlot;
  /**
   * The token as decoded by the token check, verified or not (absent when no token was given, it
   * could not be decoded, or an earlier check decided). Read only for its identity (docs/tokens.md).
   */
  decodedToken?: ParsedToken;
  /** The rollout stage whose cohort the uid is in (set by rollout-cohort), for the decision and the guards. */
  cohort?: CohortMark;
  /** The first failed check's name, for explain. */
  failedCheck?: string;
}

/** One named rule. `check` returns undefined to pass, or a refusal. It never touches a socket. */
export interface AuthPolicy {
  readonly name: string;
  readonly appliesTo: ReadonlyArray<"login" | "renewToken">;
  check(ctx: AuthContext): Refusal | undefined;
}
