/**
 * The counts of a load run: per operation (login, renewToken, logout) attempts, accepted,
 * refused by reason and code, client-side errors by kind; per credential kind; close codes; and
 * the outcomes that were not what the generator asked for ("unexpected"). A tally is a tree of
 * plain objects with numbers at the leaves, so workers send it as is and the main thread adds
 * trees together ({@link addTally}).
 */

/** The counts of one operation. */
export interface OpCounts {
  /** Requests started (for login: virtual users started, the connect included). */
  attempts: number;
  /** Replies with `ok: true`. */
  accepted: number;
  /** Replies with `ok: false`. */
  refused: number;
  /** No reply: the connection failed, closed or timed out first. */
  errors: number;
  /** reason → "code NAME" → refusals (docs/reasons.md). */
  refusedBy: Record<string, Record<string, number>>;
  /** error kind (e.g. `timeout`, `connect:ECONNREFUSED`, `closed:4500`) → count. */
  errorsBy: Record<string, number>;
}

/** The login counts of one credential kind (`token007`, `token006`, `appid`; `…:invalid` for deliberately bad tokens). */
export interface KindCounts {
  attempts: number;
  accepted: number;
  refused: number;
  errors: number;
}

/** The counts of one cohort of a population run (`--population`, docs/population.md). */
export interface CohortCounts {
  /** Logins started. */
  attempts: number;
  accepted: number;
  refused: number;
  /** reason → refused logins. */
  refusedBy: Record<string, number>;
  /** Logins with no reply (connect, upgrade, timeout, closed). */
  errors: number;
  /** Arrivals of this cohort not started: every uid of its pool was logged in. */
  skipped: number;
  /** renewToken requests sent, and refused. */
  renewals: number;
  renewRefused: number;
  /** Sessions the gateway ended, by close code (e.g. `4503`). */
  ended: Record<string, number>;
  /** Outcomes of this cohort other than the ones its population entry predicts. */
  unexpected: number;
}

export function emptyCohortCounts(): CohortCounts {
  return { attempts: 0, accepted: 0, refused: 0, refusedBy: {}, errors: 0, skipped: 0, renewals: 0, renewRefused: 0, ended: {}, unexpected: 0 };
}

/** The operations a virtual user performs. */
export const LOAD_OPS = ["login", "renew", "logout"] as const;
export type LoadOp = (typeof LOAD_OPS)[number];

/** Everything counted in a run (or in one interval of it). */
export interface Tally {
  login: OpCounts;
  renew: OpCounts;
  logout: OpCounts;
  byKind: Record<string, KindCounts>;
  /** Population runs: cohort name → its counts (empty otherwise). */
  byCohort: Record<string, CohortCounts>;
  /** Status of the server's close frame (its echo of ours when we closed first); 1006 = none. */
  closes: Record<string, number>;
  /** The closes the server started (a logged-in session ended by the gateway, a protocol close, …). */
  serverCloses: Record<string, number>;
  /** Outcomes other than the one asked for: see {@link Tally.unexpectedBy}. */
  unexpected: number;
  /** What was unexpected → count, e.g. `login refused: token_required (appid)`. */
  unexpectedBy: Record<string, number>;
  /** Arrivals not started because the worker held its socket cap (open model). */
  skipped: number;
  /**
   * Logins answered as the generator asked: accepted when an accept was asked for, refused with
   * the expected reason when a refusal was (a deliberately invalid token, a cohort's token bug).
   * Zero after a run means the run measured nothing of the gateway's work (load-report.ts).
   */
  loginsAsExpected: number;
}

export function emptyOpCounts(): OpCounts {
  return { attempts: 0, accepted: 0, refused: 0, errors: 0, refusedBy: {}, errorsBy: {} };
}

export function emptyTally(): Tally {
  return { login: emptyOpCounts(), renew: emptyOpCounts(), logout: emptyOpCounts(), byKind: {}, byCohort: {}, closes: {}, serverCloses: {}, unexpected: 0, unexpectedBy: {}, skipped: 0, loginsAsExpected: 0 };
}

/** Adds 1 to `record[key]`. */
export function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

type Tree = { [key: string]: number | Tree };

function addTree(into: Tree, from: Tree): void {
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === "number") {
      const cur = into[k];
      into[k] = (typeof cur === "number" ? cur : 0) + v;
    } else {
      let sub = into[k];
      if (typeof sub !== "object") into[k] = sub = {};
      addTree(sub, v);
    }
  }
}

/** Adds `from` into `into` (every leaf summed; missing branches created). */
export function addTally(into: Tally, from: Tally): void {
  addTree(into as unknown as Tree, from as unknown as Tree);
}

/** A deep copy. */
export function cloneTally(t: Tally): Tally {
  const out = emptyTally();
  addTally(out, t);
  return out;
}

/** Total refusals of `op` with `reason`. */
export function refusedWith(c: OpCounts, reason: string): number {
  return Object.values(c.refusedBy[reason] ?? {}).reduce((s, n) => s + n, 0);
}
