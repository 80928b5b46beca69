/**
 * The gateway's answers to the HintFacts port (core/diagnostics/hint-facts.ts; docs/hints.md):
 * the projects and pending certificates of the certificate store's local copy, and for
 * `deleted_certificate` a {@link CertificateHistory} of salted certificate fingerprints, kept
 * current from the store's change notifications. When a change deletes a certificate, the
 * journal's accepted logins and renewals of that project are read once against the history, and
 * the identities of the tokens accepted through the deleted certificate are kept with it. No
 * deleted certificate's value is kept anywhere; with the journal off (`JOURNAL_SIZE=0`) no history
 * is kept either and `deleted_certificate` never fires.
 *
 * Everything here runs after a decision (a refusal, explain), never for one, and nothing runs on an
 * accepted login. A store change costs one HMAC per certificate, a deletion one pass over the
 * journal (an admin action), and a refused token one SHA-256 and a set lookup per deletion kept.
 */
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { CertificateHistory } from "../../core/diagnostics/certificate-history.js";
import type { DeletedCertificateMatch, HintFacts, PendingCertificate } from "../../core/diagnostics/hint-facts.js";
import type { ParsedToken } from "../../core/token/parsed-token.js";
import { tokenIdentity } from "../../core/token/token-identity.js";
import type { DecisionJournal } from "./journal.js";

export interface GatewayHintFactsDeps {
  readonly store: CertificateStore;
  /** The decision journal, or null when switched off. */
  readonly journal: DecisionJournal | null;
  /** The simulated clock's time, Unix seconds: when a deletion was seen. */
  readonly nowSeconds: () => number;
  /** Random bytes (16 or more) chosen once per process: the key of the certificate fingerprints. */
  readonly salt: Uint8Array;
}

export class GatewayHintFacts implements HintFacts {
  private readonly store: CertificateStore;
  private readonly journal: DecisionJournal | null;
  private readonly nowSeconds: () => number;
  private readonly history: CertificateHistory | null;
  private readonly unsubscribe: () => void;

  constructor(deps: GatewayHintFactsDeps) {
    this.store = deps.store;
    this.journal = deps.journal;
    this.nowSeconds = deps.nowSeconds;
    this.history = deps.journal === null ? null : new CertificateHistory(deps.salt);
    if (this.history === null) {
      this.unsubscribe = () => undefined;
      return;
    }
    for (const p of this.store.list()) this.record(p.appId, p);
    this.unsubscribe = this.store.onChange((appId) => this.record(appId, this.store.get(appId)));
  }

  knowsProject(appId: string): boolean {
    return this.project(appId) !== undefined;
  }

  pendingCertificates(appId: string, now: number): readonly PendingCertificate[] {
    const p = this.project(appId);
    if (p === undefined) return [];
    const out: PendingCertificate[] = [];
    for (const c of [p.primary, p.secondary]) if (c !== null && c.activeAt > now) out.push({ value: c.value, activeAt: c.activeAt });
    return out;
  }

  deletedCertificate(appId: string, token: ParsedToken, _uid: string): DeletedCertificateMatch | null {
    const journal = this.journal;
    const history = this.history;
    const key = this.project(appId)?.appId;
    if (journal === null || history === null || key === undefined) return null;
    history.noticeReset(journal.lastSeq);
    history.prune(key, journal.lastSeq - journal.capacity + 1);
    // Most refusals stop here: a project with no certificate deleted within the journal's memory.
    if (!history.hasDeleted(key)) return null;
    return history.deletedFor(key, tokenIdentity(token));
  }

  /** Stops following the store. */
  close(): void {
    this.unsubscribe();
  }

  /** The project of `appId` as stored, trying the App ID as given, then lower-cased. */
  private project(appId: string): ProjectRecord | undefined {
    return this.store.get(appId) ?? this.store.get(appId.toLowerCase());
  }

  private record(appId: string, p: ProjectRecord | undefined): void {
    const journal = this.journal as DecisionJournal;
    const history = this.history as CertificateHistory;
    const values = p === undefined ? undefined : { primary: p.primary?.value ?? null, secondary: p.secondary?.value ?? null };
    const deleted = history.record(appId, values, journal.lastSeq, this.nowSeconds());
    history.prune(appId, journal.lastSeq - journal.capacity + 1);
    if (deleted.length === 0) return;
    // Which tokens the journal saw accepted through the deleted certificate(s), once, now.
    for (const e of journal.query({ appId, result: "accepted", limit: journal.capacity })) {
      if (e.tokenId === null || e.slot === null || (e.op !== "login" && e.op !== "renewToken")) continue;
      const fingerprint = history.fingerprintAt(appId, e.slot, e.seq);
      if (fingerprint !== null && deleted.includes(fingerprint)) history.addEvidence(appId, fingerprint, e.seq, e.tokenId);
    }
  }
}
