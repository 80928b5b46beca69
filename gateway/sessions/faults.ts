/**
 * The fault rules of a running gateway and what applying them needs besides the pure decision
 * (core/fault/fault-set.ts): the simulated clock for time to live, the frames that wait behind a
 * delayed one (per connection, in order), and the wall-clock timers of delays.
 *
 * `armed` is a plain field, true while a rule exists or a frame waits: the session manager and the
 * upgrade handler check it first, so with no rules a request costs one property read.
 */
import type { Clock } from "../../core/clock.js";
import { MAX_FAULT_RULES, type FaultOp, type FaultRuleSpec, type FaultRuleView, type FiredFault } from "../../core/fault/fault-rule.js";
import { FaultSet } from "../../core/fault/fault-set.js";
import type { ParsedFrame } from "../protocol/messages.js";
import type { Connection } from "./connection.js";

/** A frame that can wait behind a delayed one (violations are acted on at once). */
export type HeldFrame = Exclude<ParsedFrame, { kind: "violation" }>;

/** Thrown by {@link FaultInjector.add} when {@link MAX_FAULT_RULES} rules exist. */
export class TooManyFaultRules extends Error {
  override get name(): string {
    return "TooManyFaultRules";
  }
}

export class FaultInjector {
  /** True while a rule exists or a connection's frames wait behind a delay. */
  armed = false;

  private readonly clock: Clock;
  private readonly rules = new FaultSet();
  private readonly held = new Map<Connection, HeldFrame[]>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Adds a rule now (simulated clock). Throws TooManyFaultRules, or a TypeError for a bad rule. */
  add(spec: FaultRuleSpec): FaultRuleView {
    if (this.rules.size >= MAX_FAULT_RULES) throw new TooManyFaultRules(`at most ${MAX_FAULT_RULES} fault rules`);
    const view = this.rules.add(spec, this.clock.nowSeconds());
    this.update();
    return view;
  }

  /** Removes one rule; false when no such rule. */
  remove(id: string): boolean {
    const removed = this.rules.remove(id);
    this.update();
    return removed;
  }

  /** Removes every rule (ids keep counting). Frames waiting behind a delay still go through when it ends. */
  clearRules(): void {
    this.rules.clear();
    this.update();
  }

  /**
   * Removes every rule (ids restart at f1), cancels every pending delay and forgets the waiting
   * frames (reset, shutdown).
   */
  clearAll(): void {
    this.rules.reset();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held.clear();
    this.update();
  }

  /** The live rules, in creation order. */
  list(): FaultRuleView[] {
    const out = this.rules.list(this.clock.nowSeconds());
    this.update();
    return out;
  }

  /** The rule that decides this occurrence of `op`, if any (see FaultSet.decide). */
  decide(op: FaultOp, appId: string | null, uid: string | null): FiredFault | undefined {
    if (this.rules.size === 0) return undefined;
    const fired = this.rules.decide(op, appId, uid, this.clock.nowSeconds());
    this.update();
    return fired;
  }

  // ---- frames waiting behind a delayed one ----

  /** True while `conn` has a delayed frame pending. */
  isHeld(conn: Connection): boolean {
    return this.held.has(conn);
  }

  /** Starts holding `conn`'s later frames, optionally with frames already waiting (kept first). */
  hold(conn: Connection, waiting: HeldFrame[] = []): void {
    this.held.set(conn, waiting);
    this.update();
  }

  /** Queues a frame of a held connection; returns how many now wait. */
  queue(conn: Connection, frame: HeldFrame): number {
    const waiting = this.held.get(conn);
    if (waiting === undefined) return 0;
    waiting.push(frame);
    return waiting.length;
  }

  /** Forgets a closed connection's waiting frames (its delay timer then finds nothing to release). */
  forget(conn: Connection): void {
    if (!this.held.delete(conn)) return;
    this.update();
  }

  /** Connections with frames waiting behind a delay. */
  get heldConnections(): number {
    return this.held.size;
  }

  /** Stops holding `conn` and returns the frames that waited, in arrival order. */
  release(conn: Connection): HeldFrame[] {
    const frames = this.held.get(conn) ?? [];
    this.held.delete(conn);
    this.update();
    return frames;
  }

  /** Runs `fn` after `ms` wall-clock milliseconds, unless cleared first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private update(): void {
    this.armed = this.rules.size > 0 || this.held.size > 0;
  }
}
