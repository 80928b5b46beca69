/**
 * The decision journal (`GET /admin/journal`; docs/protocol.md, "Admin API"): the last `capacity`
 * decisions of the gateway in a ring, fed by a {@link DecisionObserver}. A decision is stored as
 * the object the session manager already built plus its wall-clock time, so recording costs one
 * array write and one number; entries are shaped only when read.
 *
 * With capacity 0 (`journalSize: 0`, for load tests) the composition root creates no journal and
 * registers no observer: nothing is recorded and nothing is paid.
 *
 * A login or renew that carried a decodable token is recorded with the token's identity
 * (`tokenId`, docs/tokens.md), computed here when the decision is recorded (one SHA-256 over a
 * few hundred bytes), so the login path pays nothing for it when the journal is off. The decoded
 * token reaches the observer beside the decision and is not kept. The identities are kept as raw
 * bytes in one array (16 bytes a slot: no string per decision for the garbage collector to
 * promote and later sweep) and written as hex only when an entry is read.
 */
import type { Reason } from "../../core/errors.js";
import type { JournalEntry } from "../../core/protocol/admin.js";
import type { RolloutTransition } from "../../core/rollout/rollout.js";
import { TOKEN_IDENTITY_BYTES, tokenIdentityInto } from "../../core/token/token-identity.js";
import type { Decision, DecisionObserver } from "./decision.js";

export type { JournalEntry };

/** What to return from the journal. Every given field must match. */
export interface JournalFilter {
  readonly appId?: string | undefined;
  readonly uid?: string | undefined;
  readonly op?: Decision["op"] | undefined;
  readonly result?: Decision["result"] | undefined;
  readonly reason?: Reason | undefined;
  readonly faultId?: string | undefined;
  /** Only entries with a larger sequence number. */
  readonly since?: number | undefined;
  /** At most this many entries (newest first). */
  readonly limit: number;
}

export class DecisionJournal {
  /** How many decisions are kept. */
  readonly capacity: number;
  /** Decisions recorded since start or reset (the newest entry's seq). */
  private recorded = 0;
  private readonly decisions: Array<Decision | undefined>;
  /** The token identity of each slot's decision: TOKEN_IDENTITY_BYTES bytes a slot, valid where {@link hasTokenId} is 1. */
  private readonly tokenIds: Uint8Array;
  /** 1 where the slot's decision carried a decodable token. */
  private readonly hasTokenId: Uint8Array;
  private readonly wallTimes: Float64Array;
  private readonly wallNow: () => number;

  /** Receives every decision (register it with the session manager). */
  readonly observer: DecisionObserver;

  /** `capacity` ≥ 1; `wallNow` gives the wall clock in Unix ms (injected by the composition root). */
  constructor(capacity: number, wallNow: () => number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("journal capacity must be a positive integer");
    this.capacity = capacity;
    this.decisions = new Array<Decision | undefined>(capacity).fill(undefined);
    this.tokenIds = new Uint8Array(capacity * TOKEN_IDENTITY_BYTES);
    this.hasTokenId = new Uint8Array(capacity);
    this.wallTimes = new Float64Array(capacity);
    this.wallNow = wallNow;
    this.observer = (d, decodedToken) => {
      const i = this.recorded % this.capacity;
      // The decision as it is (it holds no token); of the token, only its identity.
      this.decisions[i] = d;
      if (decodedToken === null || decodedToken === undefined) this.hasTokenId[i] = 0;
      else {
        tokenIdentityInto(decodedToken, this.tokenIds, i * TOKEN_IDENTITY_BYTES);
        this.hasTokenId[i] = 1;
      }
      this.wallTimes[i] = this.wallNow();
      this.recorded++;
    };
  }

  /**
   * Records a transition of `appId`'s staged rollout (docs/rollouts.md) as an entry with op
   * `rollout` and result `transition`, at `now` on the simulated clock.
   */
  recordRollout(appId: string, t: RolloutTransition, now: number): void {
    this.observer({
      op: "rollout",
      result: "transition",
      reason: "ok",
      profile: null,
      appId,
      uid: "",
      mode: null,
      credential: null,
      tokenVersion: null,
      slot: null,
      sessionId: null,
      at: now,
      latencyMs: 0,
      failedCheck: null,
      closeCode: null,
      rollout: t,
    });
  }

  /** The newest entry's sequence number (0 when empty). */
  get lastSeq(): number {
    return this.recorded;
  }

  /** Entries held now. */
  get size(): number {
    return Math.min(this.recorded, this.capacity);
  }

  /** Forgets every entry; the next one gets seq 1. */
  clear(): void {
    this.decisions.fill(undefined);
    this.tokenIds.fill(0);
    this.hasTokenId.fill(0);
    this.wallTimes.fill(0);
    this.recorded = 0;
  }

  /** Slot `i`'s token identity as hex, or null. */
  private tokenIdOf(i: number): string | null {
    if (this.hasTokenId[i] !== 1) return null;
    const o = i * TOKEN_IDENTITY_BYTES;
    return Buffer.from(this.tokenIds.buffer, this.tokenIds.byteOffset + o, TOKEN_IDENTITY_BYTES).toString("hex");
  }

  /** The matching entries, newest first. */
  query(filter: JournalFilter): JournalEntry[] {
    const out: JournalEntry[] = [];
    const oldest = Math.max(1, this.recorded - this.capacity + 1, (filter.since ?? 0) + 1);
    for (let seq = this.recorded; seq >= oldest && out.length < filter.limit; seq--) {
      const i = (seq - 1) % this.capacity;
      const d = this.decisions[i];
      if (d === undefined || !matches(d, filter)) continue;
      out.push(entry(seq, d, this.wallTimes[i] ?? 0, this.tokenIdOf(i)));
    }
    return out;
  }
}

function matches(d: Decision, f: JournalFilter): boolean {
  return (
    (f.appId === undefined || d.appId.toLowerCase() === f.appId.toLowerCase()) &&
    (f.uid === undefined || d.uid === f.uid) &&
    (f.op === undefined || d.op === f.op) &&
    (f.result === undefined || d.result === f.result) &&
    (f.reason === undefined || d.reason === f.reason) &&
    (f.faultId === undefined || d.faultId === f.faultId)
  );
}

function entry(seq: number, d: Decision, wallTime: number, tokenId: string | null): JournalEntry {
  return {
    seq,
    at: d.at,
    wallTime,
    op: d.op,
    result: d.result,
    reason: d.reason,
    profile: d.profile,
    appId: d.appId,
    uid: d.uid,
    mode: d.mode,
    credential: d.credential,
    tokenVersion: d.tokenVersion,
    slot: d.slot,
    sessionId: d.sessionId,
    latencyMs: Math.round(d.latencyMs * 1000) / 1000,
    failedCheck: d.failedCheck,
    closeCode: d.closeCode,
    faultId: d.faultId ?? null,
    tokenId,
    ...(d.shadow === undefined || d.shadow === null ? {} : { shadow: d.shadow }),
    ...(d.cohort === undefined || d.cohort === null ? {} : { cohort: d.cohort }),
    ...(d.rollout === undefined ? {} : { rollout: d.rollout }),
  };
}
