/**
 * The memory behind the `deleted_certificate` hint (docs/hints.md): which certificate sat in which
 * slot of a project when, and which certificates were deleted, with each certificate known only
 * by a salted hash, never by its value.
 *
 * A MAC can only be checked with the certificate itself, so once a certificate is deleted nothing
 * can tell that a *new* token was signed with it. What can be told is that a token the journal saw
 * accepted (its `tokenId` and certificate slot) was accepted through a certificate deleted since.
 * Positions are journal sequence numbers: a snapshot recorded when the journal's newest entry was
 * `seq` holds for the decisions recorded after it (seq + 1 on), until the next snapshot. At a
 * deletion the caller resolves the journal's accepted decisions against the snapshots once and
 * attaches the token identities that used the deleted certificate ({@link addEvidence}); a refusal
 * then costs one set lookup per remembered deletion ({@link deletedFor}).
 *
 * Bounds: per project at most {@link MAX_SNAPSHOTS} snapshots and {@link MAX_DELETED} deleted
 * certificates (oldest dropped first), each with at most the journal's size of token identities,
 * and nothing the journal no longer covers ({@link prune}). Projects are those of the certificate
 * store, whose size the admin API controls; a project that is removed is forgotten.
 */
import { createHmac } from "node:crypto";

/** Snapshots kept per project (each is one certificate change). */
export const MAX_SNAPSHOTS = 64;
/** Deleted certificates remembered per project. */
export const MAX_DELETED = 16;

/** A project's certificate values (null when the slot is empty), as a change left them. */
export interface CertificateValues {
  readonly primary: string | null;
  readonly secondary: string | null;
}

interface Snapshot {
  /** The journal's newest seq when this state began: it holds for decisions with a larger seq. */
  readonly seq: number;
  readonly primary: string | null;
  readonly secondary: string | null;
}

interface Deleted {
  readonly fingerprint: string;
  /** Unix seconds (simulated clock) at which the deletion was seen. */
  readonly deletedAt: number;
  /** The journal's newest seq at the deletion: decisions up to it may have used the certificate. */
  readonly seq: number;
  /** Identities (`tokenId`) of the tokens the journal saw accepted through it. */
  readonly tokenIds: Set<string>;
}

interface ProjectHistory {
  snapshots: Snapshot[];
  deleted: Deleted[];
}

export class CertificateHistory {
  private readonly salt: Uint8Array;
  private readonly projects = new Map<string, ProjectHistory>();
  /** The largest seq recorded: a smaller one later means the journal was emptied. */
  private highestSeq = 0;

  /** `salt`: random bytes chosen once per process (at least 16), the key of every fingerprint. */
  constructor(salt: Uint8Array) {
    if (salt.length < 16) throw new RangeError("the fingerprint salt must be at least 16 bytes");
    this.salt = salt;
  }

  /** A certificate's fingerprint: HMAC-SHA256 keyed by the process salt, 32 hex characters. */
  fingerprint(value: string): string {
    return createHmac("sha256", this.salt).update(value, "latin1").digest("hex").slice(0, 32);
  }

  /** Projects remembered. */
  get size(): number {
    return this.projects.size;
  }

  /**
   * Records project `appId` as a change left it (`values` undefined: the project is gone) when the
   * journal's newest entry is `seq`, at `now` (Unix seconds). A value present before and absent now
   * is remembered as deleted. Returns the fingerprints deleted by this change (usually none).
   */
  record(appId: string, values: CertificateValues | undefined, seq: number, now: number): readonly string[] {
    this.noticeReset(seq);
    if (values === undefined) {
      this.projects.delete(appId);
      return [];
    }
    const next = {
      seq,
      primary: values.primary === null ? null : this.fingerprint(values.primary),
      secondary: values.secondary === null ? null : this.fingerprint(values.secondary),
    };
    const h = this.projects.get(appId);
    if (h === undefined) {
      this.projects.set(appId, { snapshots: [next], deleted: [] });
      return [];
    }
    const last = h.snapshots[h.snapshots.length - 1] as Snapshot;
    if (last.primary === next.primary && last.secondary === next.secondary) return [];
    const deleted: string[] = [];
    for (const gone of [last.primary, last.secondary]) {
      if (gone !== null && gone !== next.primary && gone !== next.secondary) {
        h.deleted.push({ fingerprint: gone, deletedAt: now, seq, tokenIds: new Set() });
        if (h.deleted.length > MAX_DELETED) h.deleted.shift();
        deleted.push(gone);
      }
    }
    h.snapshots.push(next);
    if (h.snapshots.length > MAX_SNAPSHOTS) h.snapshots.shift();
    return deleted;
  }

  /** True when a deleted certificate of `appId` is remembered. */
  hasDeleted(appId: string): boolean {
    return (this.projects.get(appId)?.deleted.length ?? 0) > 0;
  }

  /**
   * The fingerprint of the certificate in `slot` for the decision with journal seq `seq`, or null
   * when the slot was empty then or the history does not reach back that far.
   */
  fingerprintAt(appId: string, slot: "primary" | "secondary", seq: number): string | null {
    const snapshots = this.projects.get(appId)?.snapshots;
    if (snapshots === undefined) return null;
    for (let i = snapshots.length - 1; i >= 0; i--) {
      const s = snapshots[i] as Snapshot;
      if (s.seq < seq) return s[slot];
    }
    return null;
  }

  /**
   * Records that the token `tokenId` was accepted, in the decision with journal seq `seq`, through
   * the certificate `fingerprint` of `appId`, deleted since (a decision after the deletion cannot
   * have used it: ignored). The caller adds at most one identity per journal entry.
   */
  addEvidence(appId: string, fingerprint: string, seq: number, tokenId: string): void {
    const d = this.projects.get(appId)?.deleted.findLast((x) => x.fingerprint === fingerprint);
    if (d !== undefined && seq <= d.seq) d.tokenIds.add(tokenId);
  }

  /** When the token `tokenId` was accepted through a certificate of `appId` deleted since: its deletion; else null. */
  deletedFor(appId: string, tokenId: string): { readonly deletedAt: number } | null {
    const d = this.projects.get(appId)?.deleted.find((x) => x.tokenIds.has(tokenId));
    return d === undefined ? null : { deletedAt: d.deletedAt };
  }

  /**
   * Forgets what the journal no longer covers, its oldest entry being `oldestSeq`: snapshots that
   * no remaining entry falls in (the one in force at `oldestSeq` stays), and deletions no
   * remaining entry precedes.
   */
  prune(appId: string, oldestSeq: number): void {
    const h = this.projects.get(appId);
    if (h === undefined) return;
    while (h.snapshots.length > 1 && (h.snapshots[1] as Snapshot).seq < oldestSeq) h.snapshots.shift();
    h.deleted = h.deleted.filter((d) => d.seq >= oldestSeq);
  }

  /**
   * The journal restarted (its seq went back): every position is void. Each project keeps its
   * current certificates, as of seq 0, and forgets its deletions.
   */
  noticeReset(seq: number): void {
    if (seq >= this.highestSeq) {
      this.highestSeq = seq;
      return;
    }
    this.highestSeq = seq;
    for (const h of this.projects.values()) {
      const last = h.snapshots[h.snapshots.length - 1] as Snapshot;
      h.snapshots = [{ ...last, seq: 0 }];
      h.deleted = [];
    }
  }
}
