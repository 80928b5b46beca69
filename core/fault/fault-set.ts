/**
 * The fault rules of one gateway and the pure decision for each occurrence of an operation
 * (no I/O, time passed in). Deterministic: for the same rules (same seeds) and the same sequence
 * of occurrences, the same rules fire.
 *
 * For each occurrence every live rule whose filters match counts it (and a probabilistic rule
 * draws its number), so each rule's own sequence does not depend on the others. The first rule in
 * creation order that fires decides; only that one uses up a firing. A rule whose firings are used
 * up, or whose time to live has passed on the simulated clock, is removed.
 */
import { FAULT_OPS, type FaultOp, type FaultRuleSpec, type FaultRuleView, type FiredFault } from "./fault-rule.js";
import { SeededRandom } from "./seeded-random.js";
import { compileUidPattern, type UidMatcher } from "./uid-pattern.js";

interface LiveRule {
  readonly view: Omit<FaultRuleView, "seen" | "fired">;
  /** Bit i set: matches FAULT_OPS[i]. */
  readonly opMask: number;
  readonly appId: string | null;
  readonly uid: UidMatcher | null;
  readonly nth: number;
  readonly probability: number | null;
  readonly random: SeededRandom | null;
  readonly limit: number;
  readonly expiresAt: number;
  seen: number;
  fired: number;
}

function opBit(op: FaultOp): number {
  return 1 << FAULT_OPS.indexOf(op);
}

export class FaultSet {
  private rules: LiveRule[] = [];
  private seq = 0;

  /** Live rules (some may have passed their time to live; they go at the next decide or list). */
  get size(): number {
    return this.rules.length;
  }

  /** Adds a rule created at `now` (simulated Unix seconds). Throws a TypeError for a bad uid pattern. */
  add(spec: FaultRuleSpec, now: number): FaultRuleView {
    const id = `f${++this.seq}`;
    const ops: readonly FaultOp[] = typeof spec.op === "string" ? [spec.op] : spec.op;
    const nth = spec.nth ?? null;
    const probability = spec.probability ?? null;
    if (nth !== null && probability !== null) throw new TypeError("nth and probability are exclusive");
    const seed = probability === null ? null : (spec.seed ?? this.seq) >>> 0;
    const count = spec.count ?? (nth !== null ? 1 : null);
    const ttl = spec.ttlSeconds ?? null;
    const view: Omit<FaultRuleView, "seen" | "fired"> = {
      id,
      op: spec.op,
      appId: spec.appId ?? null,
      uid: spec.uid ?? null,
      nth,
      probability,
      seed,
      count,
      ttlSeconds: ttl,
      createdAt: now,
      expiresAt: ttl === null ? null : now + ttl,
      action: spec.action,
    };
    this.rules.push({
      view,
      opMask: ops.reduce((m, op) => m | opBit(op), 0),
      appId: spec.appId === undefined ? null : spec.appId.toLowerCase(),
      uid: spec.uid === undefined ? null : compileUidPattern(spec.uid),
      nth: nth ?? 1,
      probability,
      random: seed === null ? null : new SeededRandom(seed),
      limit: count ?? Number.POSITIVE_INFINITY,
      expiresAt: view.expiresAt ?? Number.POSITIVE_INFINITY,
      seen: 0,
      fired: 0,
    });
    return this.viewOf(this.rules[this.rules.length - 1] as LiveRule);
  }

  /** Removes one rule; false when there is none with that id. */
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.view.id !== id);
    return this.rules.length !== before;
  }

  /** Removes every rule; ids keep counting (a journal entry's fault id stays unambiguous). */
  clear(): void {
    this.rules = [];
  }

  /** Removes every rule and restarts the id sequence (a reset gateway numbers rules as a fresh one). */
  reset(): void {
    this.rules = [];
    this.seq = 0;
  }

  /** The live rules at `now`, in creation order. */
  list(now: number): FaultRuleView[] {
    this.expire(now);
    return this.rules.map((r) => this.viewOf(r));
  }

  /**
   * One occurrence of `op` (for `connect`, `appId` and `uid` are null) at `now`: the rule that
   * decides it, or undefined.
   */
  decide(op: FaultOp, appId: string | null, uid: string | null, now: number): FiredFault | undefined {
    this.expire(now);
    const bit = opBit(op);
    let decided: LiveRule | undefined;
    for (const r of this.rules) {
      if ((r.opMask & bit) === 0) continue;
      if (r.appId !== null && (appId === null || appId.toLowerCase() !== r.appId)) continue;
      if (r.uid !== null && (uid === null || !r.uid(uid))) continue;
      r.seen++;
      // Draw even when an earlier rule has decided: each rule's sequence stays its own.
      const fires = r.random !== null && r.probability !== null ? r.random.next() < r.probability : r.seen >= r.nth;
      if (fires && decided === undefined) decided = r;
    }
    if (decided === undefined) return undefined;
    decided.fired++;
    if (decided.fired >= decided.limit) this.rules = this.rules.filter((r) => r !== decided);
    return { id: decided.view.id, action: decided.view.action };
  }

  private expire(now: number): void {
    if (this.rules.some((r) => now >= r.expiresAt)) this.rules = this.rules.filter((r) => now < r.expiresAt);
  }

  private viewOf(r: LiveRule): FaultRuleView {
    return { ...r.view, seen: r.seen, fired: r.fired };
  }
}
