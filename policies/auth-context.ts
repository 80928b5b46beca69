import type { CertificateSlot } from "../core/certificate/active-certificate.js";
import type { ProjectAuth } from "../core/certificate/project.js";
import type { FailureReason } from "../core/errors.js";
import type { Profile } from "../core/protocol/wire.js";
import type { RateLimiter } from "../core/session/rate-window.js";
import type { UidQuirks } from "../core/session/uid-rules.js";
import type { ParsedToken } from "../core/token/parsed-token.js";
import type { TokenLimits } from "../core/token/token-limits.js";
import type { VerifiedToken } from "../core/token/verified-token.js";

/** Switches for behaviours rtm-semantics.md §13 leaves open. Each has a documented default in gateway/config.ts. */
export interface PolicySettings {
  /**
   * `spec` (default): token-formats.md §4 order, signature before expiry.
   * `legacy`: Agora's observed order (Tools #234), an expired token reports expiry even when
   * its signature or uid binding is also wrong.
   */
  readonly checkOrder: "spec" | "legacy";
  /** `enforce` (default, token-formats.md §2.7) or `ignore`: only the 006 24-hour `ts` counts, as Agora's RTM service did. */
  readonly privilege006: "enforce" | "ignore";
  readonly uidQuirks: UidQuirks;
  readonly tokenLimits: TokenLimits;
}

/** The session-level facts a policy may read. */
export interface SessionFacts {
  readonly loggedIn: boolean;
  /** Calls (login and renew) on this connection, for TOO_OFTEN. */
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
  /** Unix seconds, from the injected clock. */
  readonly now: number;
  readonly nowMs: number;
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
  /** The first failed check's name, for explain. */
  failedCheck?: string;
}

/** One named rule. `check` returns undefined to pass, or a refusal. It never touches a socket. */
export interface AuthPolicy {
  readonly name: string;
  readonly appliesTo: ReadonlyArray<"login" | "renewToken">;
  check(ctx: AuthContext): Refusal | undefined;
}
