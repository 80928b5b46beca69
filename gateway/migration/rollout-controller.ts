/**
 * Runs the projects' staged rollouts (docs/rollouts.md). The rollout itself lives in the project's
 * record (`ProjectRecord.rollout`), so every gateway sharing a store applies the same cohort (the
 * rollout-cohort policy reads it from the local copy, no round trip on a login), and every change
 * is one compare-and-set write of that record: a transition names the state revision it starts
 * from, and a write that finds another revision changes nothing.
 *
 * This controller:
 * - counts the cohort's decisions of the current stage (a DecisionObserver; {@link RolloutCounters},
 *   across gateways with Redis);
 * - `tick()`: for each live rollout, judges the guards and the stage time on the simulated clock
 *   and makes the move `evaluate()` gives (guard → rollback; time and guards → next stage; after
 *   the last stage the real step, when confirmed), on a timer, after a clock jump, and soon after
 *   counted decisions;
 * - takes the operators' plans and actions (`put`, `act`), which the admin API and the CLI call.
 *
 * Several gateways may tick at once: the compare-and-set lets exactly one transition through.
 */
import type { CertificateStore, WriteOptions } from "../../core/certificate/certificate-store.js";
import { deleteNoCertificate, deleteSecondary, LifecycleError } from "../../core/certificate/project-lifecycle.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import type { GuardView, RolloutView } from "../../core/protocol/admin.js";
import {
  EMPTY_STAGE_COUNTS,
  evaluate,
  finalStepOf,
  finalStepRefused,
  isLive,
  judgeGuard,
  operate,
  RolloutError,
  startRollout,
  type FinalStep,
  type RolloutAction,
  type RolloutPlan,
  type RolloutRecord,
  type RolloutTransition,
  type StageCounts,
  type Step,
} from "../../core/rollout/rollout.js";
import type { Logger } from "../logger.js";
import type { DecisionObserver } from "../sessions/decision.js";
import type { RolloutCounters } from "./rollout-counters.js";

export type { GuardView, RolloutView };

/** The rollout of a project changed under a transition (another gateway or operator was first). */
class Conflict extends Error {}

export interface RolloutControllerOptions {
  readonly store: CertificateStore;
  readonly counters: RolloutCounters;
  /** The simulated clock, Unix seconds. */
  readonly now: () => number;
  readonly logger: Logger;
  /** Real-time period of the tick, ms (ROLLOUT_TICK_MS; default 1000; 0 = no timer: ticks only on demand). */
  readonly tickMs?: number;
  /** Called after each transition this gateway made (journal, metrics, log). Must not throw. */
  readonly onTransition?: (appId: string, t: RolloutTransition, r: RolloutRecord) => void;
}

/** How soon after a counted decision a tick runs, ms. */
const AFTER_DECISION_MS = 50;
/** Attempts of an operator action that meets a concurrent transition. */
const OPERATOR_ATTEMPTS = 3;

export class RolloutController {
  private readonly store: CertificateStore;
  private readonly counters: RolloutCounters;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly onTransition: RolloutControllerOptions["onTransition"];
  private readonly timer: NodeJS.Timeout | null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  /** Counts the cohort decisions (register it with the session manager). */
  readonly observer: DecisionObserver;

  constructor(o: RolloutControllerOptions) {
    this.store = o.store;
    this.counters = o.counters;
    this.now = o.now;
    this.logger = o.logger;
    this.onTransition = o.onTransition;
    const tickMs = o.tickMs ?? 1000;
    this.timer = tickMs > 0 ? setInterval(() => void this.tick(), tickMs) : null;
    this.timer?.unref();
    this.observer = (d) => {
      const c = d.cohort;
      if (c === undefined || c === null || (d.op !== "login" && d.op !== "renewToken")) return;
      if (d.result !== "accepted" && d.result !== "refused") return;
      this.counters.add(d.appId, c.revision, d.op, d.result === "refused" ? d.reason : null);
      if (this.soon === null && !this.closed && this.timer !== null) {
        this.soon = setTimeout(() => {
          this.soon = null;
          void this.tick();
        }, AFTER_DECISION_MS);
        this.soon.unref();
      }
    };
  }

  /**
   * Judges every live rollout now and makes the moves due. Ticks never overlap: one asked for
   * while another runs runs once more after it. Never rejects (a failure is logged; the next tick tries again).
   */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        for (const p of this.store.list()) {
          const r = p.rollout;
          if (r === undefined || !isLive(r.state) || r.state.stage < 0 || r.state.status === "rolled_back") continue;
          try {
            await this.judge(p.appId, r);
          } catch (err) {
            this.logger.warn({ appId: p.appId, err: err instanceof Error ? err.message : String(err) }, "rollout not judged");
          }
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.running = null));
    return this.running;
  }

  private async judge(appId: string, r: RolloutRecord): Promise<void> {
    const counts = await this.counters.read(appId, r.state.stageRevision);
    const now = this.now();
    const step = evaluate(r, counts, now);
    if (step === null) return;
    try {
      await this.commit(appId, r.state.revision, () => step, "controller");
    } catch (err) {
      if (err instanceof Conflict) return; // another gateway or an operator was first
      throw err;
    }
  }

  /**
   * Writes the step `make` gives for the stored rollout if it is still at `revision`, applying
   * the final step in the same write. `make` runs inside the write, so a RolloutError it throws
   * changes nothing, and a repeat of a write whose idempotency key was applied before never runs
   * it (it answers with the rollout as it is now, and announces nothing). A final step the
   * lifecycle refuses pauses the rollout (controller) or throws the LifecycleError (operator).
   * Throws {@link Conflict} when the revision moved.
   */
  private async commit(appId: string, revision: number, make: (r: RolloutRecord) => Step, by: RolloutTransition["by"], options: WriteOptions = {}): Promise<RolloutRecord> {
    let written: RolloutRecord | undefined;
    const after = await this.store.update(appId, (p) => {
      const r = p?.rollout;
      if (p === undefined || r === undefined || r.state.revision !== revision) throw new Conflict();
      const step = make(r);
      let next: ProjectRecord = { ...p, rollout: { plan: r.plan, state: step.state } };
      if (step.finalStep !== null) {
        try {
          next = { ...applyFinalStep(next, step.finalStep, step.state.updatedAt), rollout: { plan: r.plan, state: step.state } };
        } catch (err) {
          if (!(err instanceof LifecycleError) || by === "operator") throw err;
          next = { ...p, rollout: { plan: r.plan, state: finalStepRefused(r.state, step.state.updatedAt, by, `${err.code}: ${err.message}`) } };
        }
      }
      written = next.rollout;
      return next;
    }, options);
    if (written === undefined) {
      // The same idempotency key was applied before: the rollout as it is now.
      const now = after?.rollout;
      if (now === undefined) throw new RolloutError("rollout_not_found", `project ${appId} has no rollout`);
      return now;
    }
    const rec: RolloutRecord = written;
    const t = rec.state.history[rec.state.history.length - 1];
    if (t !== undefined) this.announce(appId, t, rec);
    return rec;
  }

  private announce(appId: string, t: RolloutTransition, r: RolloutRecord): void {
    this.logger.info({ appId, cause: t.cause, by: t.by, fromStage: t.fromStage, toStage: t.toStage, status: t.status, revision: t.revision, note: t.note }, "rollout transition");
    try {
      this.onTransition?.(appId, t, r);
    } catch (err) {
      this.logger.error({ err }, "rollout transition observer failed");
    }
  }

  /**
   * Puts a new plan on `appId` and starts it at its first stage now. Refused (409
   * `rollout_in_progress`) while the project's rollout is running or paused: abort it first.
   * Throws AdminError-free errors: RolloutError / a LifecycleError-like 404 is the caller's to map.
   */
  async put(appId: string, plan: RolloutPlan, idempotencyKey?: string): Promise<RolloutRecord> {
    let started: RolloutRecord | undefined;
    await this.store.update(
      appId,
      (p) => {
        if (p === undefined) throw new RolloutError("rollout_not_found", `no project ${appId}`);
        const s = p.rollout?.state;
        if (s !== undefined && (s.status === "running" || s.status === "paused")) {
          const stage = p.rollout?.plan.stages[s.stage];
          throw new RolloutError("rollout_in_progress", `a rollout is ${s.status} at stage ${s.stage + 1} of ${p.rollout?.plan.stages.length ?? 0}${stage === undefined ? "" : ` ("${stage.name}")`}: abort it before putting a new plan`);
        }
        requireFinalStepPossible(p, plan);
        // Revisions go on from the previous rollout's: counts are kept per (project, revision), and
        // a restart at 1 would find the old plan's counts of that revision still in Redis.
        started = startRollout(plan, this.now(), "operator", p.rollout?.state.revision ?? 0);
        return { ...p, rollout: started };
      },
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
    const rec = started ?? this.store.get(appId)?.rollout;
    if (rec === undefined) throw new RolloutError("rollout_not_found", `no rollout on project ${appId}`);
    this.counters.forget(appId);
    const t = rec.state.history[rec.state.history.length - 1];
    if (t !== undefined && started !== undefined) this.announce(appId, t, rec);
    return rec;
  }

  /**
   * An operator's action on `appId`'s rollout (`operate()` in core/rollout/rollout.ts gives the
   * rules). Throws RolloutError (`rollout_not_found` when there is none, …), or the final step's
   * LifecycleError; retries a few times when a concurrent transition moved the revision.
   */
  async act(appId: string, action: RolloutAction, options: { confirm?: string; idempotencyKey?: string; revision?: number } = {}): Promise<RolloutRecord> {
    for (let attempt = 1; ; attempt++) {
      const r = this.store.get(appId)?.rollout;
      if (r === undefined) throw new RolloutError("rollout_not_found", `project ${appId} has no rollout`);
      // The operator acts on the state they saw: two operators advancing at once move one stage, not two.
      if (options.revision !== undefined && options.revision !== r.state.revision) {
        throw new RolloutError("revision_mismatch", `the rollout is at revision ${r.state.revision}, not ${options.revision}: read it again`);
      }
      const counts = r.state.stage >= 0 ? await this.counters.read(appId, r.state.stageRevision) : EMPTY_STAGE_COUNTS;
      const now = this.now();
      // operate() runs inside the write: with an idempotency key already applied it does not run
      // at all, so a repeated action answers with the rollout instead of refusing the moved state.
      const write: WriteOptions = options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey };
      try {
        return await this.commit(appId, r.state.revision, (current) => operate(current, action, now, counts, options.confirm), "operator", write);
      } catch (err) {
        if (!(err instanceof Conflict)) throw err;
        if (attempt >= OPERATOR_ATTEMPTS) throw new RolloutError("revision_mismatch", "the rollout kept changing under this action; read it again and retry");
      }
    }
  }

  /** The project's rollout with its current stage's counts and guard judgements, or undefined when it has none. */
  async view(appId: string): Promise<RolloutView | undefined> {
    const r = this.store.get(appId)?.rollout;
    if (r === undefined) return undefined;
    const s = r.state;
    const stage = s.stage >= 0 ? r.plan.stages[s.stage] : undefined;
    let counts: StageCounts | null = null;
    if (stage !== undefined) {
      try {
        counts = await this.counters.read(appId, s.stageRevision);
      } catch (err) {
        this.logger.warn({ appId, err: err instanceof Error ? err.message : String(err) }, "rollout counts not readable");
      }
    }
    const guards: GuardView[] = (stage?.guards ?? []).map((g, i) => {
      const c = counts ?? EMPTY_STAGE_COUNTS;
      const j = judgeGuard(g, i, c);
      const ops = g.op === "login" ? [c.login] : g.op === "renewToken" ? [c.renewToken] : [c.login, c.renewToken];
      const decisions = ops.reduce((n, o) => n + o.decisions, 0);
      const refused = ops.reduce((n, o) => n + (g.reason === "any" ? Object.values(o.refused).reduce((a, b) => a + b, 0) : (o.refused[g.reason] ?? 0)), 0);
      return { ...g, decisions, refused, percent: decisions === 0 ? 0 : Math.round((refused / decisions) * 10_000) / 100, holds: j.holds, tripped: j.trip !== null };
    });
    return {
      appId,
      plan: r.plan,
      status: s.status,
      stage: s.stage,
      stageName: stage?.name ?? null,
      revision: s.revision,
      stageRevision: s.stageRevision,
      startedAt: s.startedAt,
      stageStartedAt: s.stageStartedAt,
      updatedAt: s.updatedAt,
      stageMinUntil: stage === undefined ? null : s.stageStartedAt + stage.minSeconds,
      awaitingConfirmation: s.awaitingConfirmation,
      finalStep: finalStepOf(r.plan.target),
      counts,
      guards,
      history: s.history,
      now: this.now(),
    };
  }

  /** Stops the timers; waits for a running tick. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.soon !== null) clearTimeout(this.soon);
    await this.running;
    await this.counters.close();
  }
}

/**
 * Refuses a plan whose final step no stage can make possible (LifecycleError, 409): token only on a
 * project that is token only already (`no_certificate_deleted`) or has no primary certificate
 * (`primary_required`); deleting a secondary that does not exist (`secondary_not_found`). A primary
 * still pending is fine: it may be active by the end (and if not, the final step says so then).
 */
function requireFinalStepPossible(p: ProjectRecord, plan: RolloutPlan): void {
  if (plan.target.target === "token_only") {
    if (!p.noCertificate) throw new LifecycleError("no_certificate_deleted", '"No certificate" was already deleted: the project is token only, there is nothing to roll out');
    if (p.primary === null) throw new LifecycleError("primary_required", "token only needs a primary certificate: enable it (the migration window) before the rollout");
  } else if (plan.target.slot === "secondary" && p.secondary === null) {
    throw new LifecycleError("secondary_not_found", "there is no secondary certificate whose deletion could be rolled out");
  }
}

/**
 * The real step on a record (the certificate lifecycle's rules: LifecycleError when it cannot be
 * taken). A shadow target naming the same step is cleared with it: it would shadow nothing now.
 */
function applyFinalStep(p: ProjectRecord, step: FinalStep, now: number): ProjectRecord {
  const next = step === "delete_no_certificate" ? deleteNoCertificate(p, p.appId, now) : deleteSecondary(p, p.appId);
  const shadow = next.shadow;
  const same = shadow !== undefined && (step === "delete_no_certificate" ? shadow.target === "token_only" : shadow.target === "delete_certificate" && shadow.slot === "secondary");
  if (!same) return next;
  const { shadow: _done, ...rest } = next;
  return rest;
}
