import type { ParsedToken } from "../token/parsed-token.js";
import { signedWith } from "./signed-with.js";

/** A certificate of the login's project that is enabled but not yet verifying tokens. */
export interface PendingCertificate {
  /** The 32-character certificate. A secret: used to check a MAC, never shown. */
  readonly value: string;
  /** When it becomes active, Unix seconds; null when not known (the CLI). */
  readonly activeAt: number | null;
}

/** Evidence that a refused token was signed with a certificate since deleted. */
export interface DeletedCertificateMatch {
  /** When the certificate was deleted, Unix seconds (the simulated clock); null when not known. */
  readonly deletedAt: number | null;
}

/**
 * The HintFacts port: what the world-dependent hints need to know beyond the token and the login
 * (docs/hints.md). Every method is a read with no side effect, called only after a decision, and
 * never for a decision. Implementations: the gateway's (gateway/sessions/hint-facts.ts, from the
 * certificate store and the journal), the CLI's ({@link listedHintFacts}, from its options), and
 * {@link NO_FACTS}.
 */
export interface HintFacts {
  /** True when `appId` names a project this gateway knows (in any state). */
  knowsProject(appId: string): boolean;
  /** The certificates of project `appId` that are enabled but pending at `now` (none: empty). */
  pendingCertificates(appId: string, now: number): readonly PendingCertificate[];
  /**
   * Evidence that `token`, presented for `uid` on project `appId`, was signed with a certificate
   * of that project since deleted; null when there is none. Implementations keep no deleted
   * certificate's value (docs/hints.md, `deleted_certificate`).
   */
  deletedCertificate(appId: string, token: ParsedToken, uid: string): DeletedCertificateMatch | null;
}

/** Knows nothing: only the hints that need no world facts fire. */
export const NO_FACTS: HintFacts = Object.freeze({
  knowsProject: () => false,
  pendingCertificates: () => [],
  deletedCertificate: () => null,
});

/** Facts stated as lists, as the CLI's options give them (`rtm-auth token verify`). */
export interface ListedFacts {
  /** App IDs of other projects of the user (`--known-app-id`). */
  readonly knownAppIds?: readonly string[];
  /** Certificates enabled but still pending (`--pending-certificate`). */
  readonly pendingCertificates?: readonly string[];
  /** Certificates the user deleted (`--deleted-certificate`): the user holds their values. */
  readonly deletedCertificates?: readonly string[];
}

/**
 * HintFacts from lists. A deleted certificate given by value is checked by its MAC: the CLI's user
 * holds the value, unlike the gateway, which keeps none (its deletion time is not known here).
 */
export function listedHintFacts(facts: ListedFacts): HintFacts {
  const known = new Set((facts.knownAppIds ?? []).map((a) => a.toLowerCase()));
  const pending = (facts.pendingCertificates ?? []).map((value) => ({ value, activeAt: null }));
  const deleted = facts.deletedCertificates ?? [];
  return {
    knowsProject: (appId) => known.has(appId.toLowerCase()),
    pendingCertificates: () => pending,
    deletedCertificate: (_appId, token, uid) => (deleted.some((c) => signedWith(token, uid, c)) ? { deletedAt: null } : null),
  };
}
