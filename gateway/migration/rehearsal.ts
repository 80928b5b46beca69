/**
 * Migration rehearsal (docs/rehearsal.md): drives a client population (docs/population.md) against
 * a staged rollout plan (docs/rollouts.md) on a manual clock, step by step, and tells what happened:
 * the stages entered, the guards that tripped, the rollbacks, and how the run ended.
 *
 * Each step moves the simulated clock by `stepSeconds`, then lets the population log in, renew and
 * log out as of that time, then has the rollout judged (stage times and guards). Nothing waits on
 * wall time, so a week of simulated rollout takes seconds.
 *
 * Two ways to run:
 * - in process (the default): a gateway of its own, memory store, a frozen clock, and a project in
 *   the migration window ("either": App ID and tokens accepted); the population reaches its session
 *   manager in-process (gateway/ws/in-process-peer.ts), not through sockets;
 * - against running gateways (`targets`): their admin APIs set up the project, move their clocks
 *   and take the plan; with several gateways on one Redis, the cohort counts add up across them.
 */
import { createProject, enablePrimary, enableSecondary } from "../../core/certificate/project-lifecycle.js";
import type { RolloutPlan, RolloutStatus, RolloutTransition } from "../../core/rollout/rollout.js";
import type { Profile } from "../../core/protocol/wire.js";
import { PopulationRunner, type CohortStepResult } from "../../client/load/population-runner.js";
import type { Population } from "../../client/load/population.js";
import type { ClientSocket, RawWsHandler } from "../../client/load/raw-ws-connection.js";
import { SimulatedClock } from "../clock/simulated-clock.js";
import { DEV_PROJECTS, type DevProject } from "../dev-seed.js";
import { createLogger } from "../logger.js";
import { startGateway, type Gateway } from "../main.js";
import { connectInProcess } from "../ws/in-process-peer.js";

/** How a rehearsal ended: as the rollout did, or `incomplete` when `maxSeconds` ran out first. */
export type RehearsalOutcome = "completed" | "rolled_back" | "aborted" | "incomplete";

/** A running gateway to rehearse against. */
export interface RehearsalTarget {
  /** HTTP base, e.g. http://127.0.0.1:8080 (the admin API is under /admin, the WebSocket at /rtm). */
  readonly url: string;
  /** Bearer JWT when its admin API requires one. Never logged. */
  readonly adminToken?: string;
}

export interface RehearsalOptions {
  readonly plan: RolloutPlan;
  readonly population: Population;
  /** Seeds the population's draws; the same seed gives the same run. */
  readonly seed: number;
  /**
   * Simulated seconds per step (default {@link DEFAULT_STEP_SECONDS}). Keep it shorter than the
   * tokens of the cohorts that hold sessions, or they expire between steps (`warnings` says so).
   */
  readonly stepSeconds?: number;
  /** New client logins per step (default 100). */
  readonly loginsPerStep?: number;
  /** The longest simulated time to run, seconds (default: the plan's stage times × 2 + 2 days, at most 365 days). */
  readonly maxSeconds?: number;
  /** The SDK profile the clients speak (default rtm2). */
  readonly profile?: Profile;
  /**
   * The simulated start, Unix seconds. Default: 1 800 000 000 on a gateway of its own; with
   * `targets`, the gateways' latest clock (never earlier, nor before the primary is active).
   */
  readonly startAt?: number;
  /**
   * Confirm the final step when the plan does not (default true): the rehearsal's gateway is a
   * copy, so going through with the step is what the rehearsal is for. False: the run ends
   * `incomplete` at the last stage, awaiting confirmation.
   */
  readonly confirmFinalStep?: boolean;
  /** Running gateways to use instead of one of its own (all must share one store). */
  readonly targets?: readonly RehearsalTarget[];
  /**
   * The App ID to use. In process the default is the dev seed's migration-window project. With
   * `targets` it is required (the final step is real there): a project that does not exist is
   * created in the migration window.
   */
  readonly appId?: string;
  /** Called after every step (progress lines). */
  readonly onStep?: (p: RehearsalPoint) => void;
}

/** One cohort in one step. */
export interface CohortPoint {
  readonly logins: number;
  readonly refused: number;
  /** `refused / logins` in percent (null when there were no logins). */
  readonly refusalPercent: number | null;
  readonly byReason: Readonly<Record<string, number>>;
  readonly renewRefused: number;
  readonly live: number;
  /**
   * Draws of this cohort that logged nobody in: every uid of its pool was holding a session or
   * busy (`uids`, docs/population.md), or the runner's live-session bound was reached. Not in
   * `logins`, so a cohort that skips many has a refusal share of fewer clients than drawn.
   */
  readonly skipped: number;
}

/** The state after one step. */
export interface RehearsalPoint {
  /** Simulated clock, Unix seconds. */
  readonly at: number;
  /** Seconds since the start. */
  readonly elapsed: number;
  readonly status: RolloutStatus;
  readonly stage: number;
  readonly stageName: string | null;
  readonly cohorts: Readonly<Record<string, CohortPoint>>;
}

/** One timeline entry: a rollout transition, with its elapsed time and stage names. */
export interface TimelineEntry extends RolloutTransition {
  readonly elapsed: number;
  readonly fromStageName: string | null;
  readonly toStageName: string | null;
}

export interface RehearsalResult {
  readonly outcome: RehearsalOutcome;
  /** Rollbacks: by a guard, or by hand (none in a rehearsal). */
  readonly rollbacks: number;
  /** Every transition, oldest first. */
  readonly timeline: readonly TimelineEntry[];
  /** One sentence for a person. */
  readonly verdict: string;
  readonly steps: number;
  readonly stepSeconds: number;
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly startAt: number;
  readonly plan: RolloutPlan;
  /** The project at the end: was the final step really taken? */
  readonly project: { readonly appId: string; readonly mode: string; readonly noCertificate: boolean; readonly secondary: boolean };
  /** Per step. */
  readonly series: readonly RehearsalPoint[];
  /** Per cohort over the whole run. */
  readonly cohorts: Readonly<Record<string, CohortPoint & { readonly share: number; readonly credential: string; readonly bug: string | null }>>;
  /** What may make the run unlike real traffic (a step longer than a cohort's tokens live, …), one sentence each. */
  readonly warnings: readonly string[];
  /** What the run left behind on running gateways (their frozen clocks), one sentence each. */
  readonly notes: readonly string[];
}

/** The default step: 30 simulated minutes, shorter than the usual one-hour tokens, so holding clients renew. */
export const DEFAULT_STEP_SECONDS = 1800;

export class RehearsalError extends Error {
  override readonly name = "RehearsalError";
}

/** The dev seed's project in the migration window ("either"; gateway/dev-seed.ts), the default project. */
const SEED_EITHER = DEV_PROJECTS.find((p) => p.mode === "either") as DevProject;
const REHEARSAL_START = 1_800_000_000;

/** What the rehearsal needs of a gateway (its own, or running ones through their admin API). */
interface Driver {
  readonly wsUrls: readonly string[];
  readonly certificate: string;
  /** The project's secondary certificate, or null when it has none. */
  readonly secondaryCertificate: string | null;
  /** The simulated start: the asked one, or later when the gateways' clocks or the primary's activation are later. */
  readonly startAt: number;
  /** Moves every gateway's clock to `now` (the rollouts are judged before it resolves). */
  setClock(now: number): Promise<void>;
  putPlan(plan: RolloutPlan): Promise<void>;
  rollout(): Promise<{ status: RolloutStatus; stage: number; history: readonly RolloutTransition[] }>;
  project(): Promise<RehearsalResult["project"]>;
  close(): Promise<void>;
  /** How the runners reach the gateway in-process, instead of over sockets to `wsUrls` (the rehearsal's own gateway). */
  readonly connect?: (handler: RawWsHandler) => ClientSocket;
  /** What the run leaves behind, for `notes`. */
  readonly leftBehind: (now: number) => string[];
}

/** Runs one rehearsal. Rejects with RehearsalError when it cannot start (a target refusing, a bad option). */
export async function rehearse(o: RehearsalOptions): Promise<RehearsalResult> {
  const stepSeconds = o.stepSeconds ?? DEFAULT_STEP_SECONDS;
  const loginsPerStep = o.loginsPerStep ?? 100;
  const remote = o.targets !== undefined && o.targets.length > 0;
  if (remote && o.appId === undefined) throw new RehearsalError("rehearsing against running gateways needs the project's App ID (--app-id): the final step is real there");
  if (o.plan.target.target === "delete_certificate" && o.plan.target.slot === "primary") throw new RehearsalError("a plan deleting the primary certificate has no final step (swap, then roll out deleting the secondary)");
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1 || stepSeconds > 86_400 * 7) throw new RehearsalError("the step must be 1 s to 7 days");
  if (!Number.isInteger(loginsPerStep) || loginsPerStep < 0 || loginsPerStep > 100_000) throw new RehearsalError("logins per step must be an integer in [0, 100000]");
  const planSeconds = o.plan.stages.reduce((n, s) => n + s.minSeconds, 0);
  const maxSeconds = o.maxSeconds ?? Math.min(365 * 86_400, planSeconds * 2 + 2 * 86_400);
  const plan: RolloutPlan = o.confirmFinalStep === false || o.plan.confirm !== undefined ? o.plan : withConfirm(o.plan);
  const appId = o.appId ?? SEED_EITHER.appId;
  const started = performance.now();
  const needsSecondary = plan.target.target === "delete_certificate" || o.population.cohorts.some((c) => c.certificate === "secondary" && c.share > 0);
  const driver = !remote ? await ownGateway(appId, o.startAt ?? REHEARSAL_START, needsSecondary) : await remoteGateways(o.targets ?? [], appId, o.startAt ?? 0, needsSecondary);
  const startAt = driver.startAt;
  const runners = driver.wsUrls.map(
    (url, i) =>
      new PopulationRunner({
        url,
        appId,
        profile: o.profile ?? "rtm2",
        population: o.population,
        certificate: driver.certificate,
        secondaryCertificate: driver.secondaryCertificate,
        seed: o.seed + i,
        ...(driver.connect === undefined ? {} : { connect: driver.connect }),
        // Each uid on one gateway only: the same uid on two would kick itself out (remote login).
        ...(driver.wsUrls.length > 1 ? { uidShard: { index: i, count: driver.wsUrls.length } } : {}),
      }),
  );
  const series: RehearsalPoint[] = [];
  type Totals = { logins: number; refused: number; byReason: Record<string, number>; renewRefused: number; live: number; skipped: number };
  const totals = new Map<string, Totals>();
  const noTotals = (): Totals => ({ logins: 0, refused: 0, byReason: {}, renewRefused: 0, live: 0, skipped: 0 });
  try {
    await driver.setClock(startAt);
    await driver.putPlan(plan);
    let now = startAt;
    let state = await driver.rollout();
    // A plan waiting for a confirmation that will not come (no `confirm`, --no-confirm) ends the run:
    // only the confirmation could move it on.
    while (now - startAt < maxSeconds && isRunning(state.status) && !(state.history.at(-1)?.cause === "awaiting_confirmation" && plan.confirm === undefined)) {
      now += stepSeconds;
      await driver.setClock(now);
      const share = split(loginsPerStep, runners.length);
      const results = await Promise.all(runners.map((r, i) => r.step(now, share[i] ?? 0, { nextSeconds: now + stepSeconds })));
      // The step's decisions are counted; judge them now (moving the clock by 0 judges again).
      await driver.setClock(now);
      state = await driver.rollout();
      const cohorts: Record<string, CohortPoint> = {};
      for (const c of o.population.cohorts) {
        const merged = results.map((r) => r.cohorts[c.name]).filter((x): x is CohortStepResult => x !== undefined);
        const point = cohortPoint(merged);
        cohorts[c.name] = point;
        const t = totals.get(c.name) ?? noTotals();
        t.logins += point.logins;
        t.skipped += point.skipped;
        t.refused += point.refused;
        t.renewRefused += point.renewRefused;
        t.live = point.live;
        for (const [k, n] of Object.entries(point.byReason)) t.byReason[k] = (t.byReason[k] ?? 0) + n;
        totals.set(c.name, t);
      }
      const p: RehearsalPoint = { at: now, elapsed: now - startAt, status: state.status, stage: state.stage, stageName: plan.stages[state.stage]?.name ?? null, cohorts };
      series.push(p);
      o.onStep?.(p);
    }
    const timeline: TimelineEntry[] = state.history.map((t) => ({
      ...t,
      elapsed: t.at - startAt,
      fromStageName: plan.stages[t.fromStage]?.name ?? null,
      toStageName: plan.stages[t.toStage]?.name ?? null,
    }));
    const rollbacks = timeline.filter((t) => t.cause === "guard" || t.cause === "rollback").length;
    const outcome: RehearsalOutcome = state.status === "completed" ? "completed" : state.status === "rolled_back" ? "rolled_back" : state.status === "aborted" ? "aborted" : "incomplete";
    const refusedFinal = state.status === "paused" ? state.history.at(-1) : undefined;
    const project = await driver.project();
    const cohortTotals: Record<string, RehearsalResult["cohorts"][string]> = {};
    for (const c of o.population.cohorts) {
      const t = totals.get(c.name) ?? noTotals();
      cohortTotals[c.name] = { ...t, refusalPercent: t.logins === 0 ? null : round2((t.refused / t.logins) * 100), share: c.share, credential: c.credential, bug: c.bug };
    }
    const simulatedSeconds = (series.at(-1)?.at ?? startAt) - startAt;
    const lastAt = series.at(-1)?.at ?? startAt;
    return {
      outcome,
      rollbacks,
      timeline,
      verdict:
        refusedFinal?.cause === "final_step_refused"
          ? `the last stage held its guards, but the final step was refused (${refusedFinal.note ?? "by the certificate lifecycle"}): nothing irreversible was done.`
          : verdictOf(outcome, timeline, plan, project, simulatedSeconds),
      steps: series.length,
      stepSeconds,
      simulatedSeconds,
      wallMs: Math.round(performance.now() - started),
      startAt,
      plan,
      project,
      series,
      cohorts: cohortTotals,
      warnings: [...stepWarnings(o.population, stepSeconds), ...skipWarnings(o.population, cohortTotals)],
      notes: driver.leftBehind(lastAt),
    };
  } finally {
    await Promise.all(runners.map((r) => r.close().catch(() => undefined)));
    await driver.close();
  }
}

/** A rehearsal has no operator: a paused rollout (a refused final step) would wait forever, so the run ends there. */
function isRunning(s: RolloutStatus): boolean {
  return s === "running";
}

function withConfirm(plan: RolloutPlan): RolloutPlan {
  const step = plan.target.target === "token_only" ? "delete_no_certificate" : plan.target.slot === "secondary" ? "delete_secondary" : undefined;
  return step === undefined ? plan : { ...plan, confirm: step };
}

function split(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < n % parts ? 1 : 0));
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function cohortPoint(results: readonly CohortStepResult[]): CohortPoint {
  let logins = 0;
  let refused = 0;
  let renewRefused = 0;
  let live = 0;
  let skipped = 0;
  const byReason: Record<string, number> = {};
  for (const r of results) {
    logins += r.logins;
    live += r.live;
    skipped += r.skipped;
    for (const [k, n] of Object.entries(r.refused)) {
      refused += n;
      byReason[k] = (byReason[k] ?? 0) + n;
    }
    for (const n of Object.values(r.renewRefused)) renewRefused += n;
  }
  return { logins, refused, refusalPercent: logins === 0 ? null : round2((refused / logins) * 100), byReason, renewRefused, live, skipped };
}

function days(seconds: number): string {
  const d = round2(seconds / 86_400);
  if (d >= 1) return `${d} ${d === 1 ? "day" : "days"}`;
  const h = round2(seconds / 3600);
  return `${h} ${h === 1 ? "hour" : "hours"}`;
}

/**
 * Cohorts whose sessions cannot survive a step: a client that holds a session (any `holdSeconds`
 * above 0) with tokens that live no longer than a step finds its session ended at the next step
 * (the gateway ends it when the clock jumps past the expiry), before its renewal or its logout,
 * and logs in again then (`reconnect: "next_step"`). One sentence per such cohort.
 */
export function stepWarnings(population: Population, stepSeconds: number): string[] {
  const out: string[] = [];
  for (const c of population.cohorts) {
    // A cohort that holds sessions at all: the clock jumps a whole step at once, so a token that expires
    // within it ends the session (4503) before its client could renew or log out, however long it holds.
    if (c.share === 0 || c.credential !== "token" || c.tokenTtlSeconds === null || c.holdSeconds === 0) continue;
    if (c.tokenTtlSeconds <= stepSeconds) {
      const then = c.reconnect === "next_step" ? "and its clients log in again at the next step" : "and its uids go back to the pool";
      out.push(
        `cohort ${c.name}: its ${c.tokenTtlSeconds} s tokens expire between two steps of ${stepSeconds} s, so the gateway ends its sessions before they renew or log out, ${then}; use a step shorter than ${c.tokenTtlSeconds} s to see them renew`,
      );
    }
  }
  return out;
}

/**
 * Cohorts whose draws found no idle uid: their logins are fewer than the plan's share asked for,
 * and the guards see a different mix. One sentence per such cohort.
 */
export function skipWarnings(population: Population, totals: Readonly<Record<string, { readonly logins: number; readonly skipped: number }>>): string[] {
  const out: string[] = [];
  for (const c of population.cohorts) {
    const t = totals[c.name];
    if (t === undefined || t.skipped === 0) continue;
    out.push(
      `cohort ${c.name}: ${t.skipped} of its draws logged nobody in, no uid of its ${c.uids} being idle (or the runner's bound on live sessions reached); its share of the logins is smaller than planned: give it more uids (uidsPerCohort, or the cohort's uids) or send fewer logins per step`,
    );
  }
  return out;
}

function verdictOf(outcome: RehearsalOutcome, timeline: readonly TimelineEntry[], plan: RolloutPlan, project: RehearsalResult["project"], simulated: number): string {
  const trip = [...timeline].reverse().find((t) => t.cause === "guard");
  switch (outcome) {
    case "completed":
      return `completed after ${days(simulated)} of simulated time: every stage held its guards and the final step was taken (${plan.target.target === "token_only" ? `"No certificate" ${project.noCertificate ? "is still there" : "deleted; the project is token only"}` : `secondary certificate ${project.secondary ? "still there" : "deleted"}`}).`;
    case "rolled_back":
      return trip === undefined
        ? `rolled back after ${days(simulated)}.`
        : `rolled back at stage "${trip.fromStageName ?? trip.fromStage}" after ${days(trip.elapsed)}: ${trip.note ?? "a guard tripped"}; ${trip.toStage < 0 ? "no cohort is applied any more" : `the cohort of stage "${trip.toStageName}" stays applied`}, and nothing irreversible was done.`;
    case "aborted":
      return `aborted after ${days(simulated)}.`;
    case "incomplete":
      if (timeline.at(-1)?.cause === "awaiting_confirmation") {
        const step = plan.target.target === "token_only" ? "delete_no_certificate" : "delete_secondary";
        return `ready for the final step after ${days(simulated)} of simulated time: the last stage held its guards and waits for the confirmation (${step}), which this run does not give (--no-confirm); nothing irreversible was done.`;
      }
      return `not finished after ${days(simulated)} of simulated time (the limit): raise --max-duration, send more logins per step, or confirm the final step.`;
  }
}

/**
 * A gateway of the rehearsal's own: 127.0.0.1, memory store, frozen clock. The project is the dev
 * seed's migration-window project (App ID and tokens accepted), or for another App ID a new one
 * in the same state.
 */
async function ownGateway(appId: string, startAt: number, withSecondary: boolean): Promise<Driver> {
  const clock = new SimulatedClock({ frozenAtSeconds: startAt });
  // The per-connection call windows read the wall clock (docs/fidelity.md, "Rate windows"), while a
  // rehearsal packs hours of simulated renewals into seconds: at the default of 2 per second a fast
  // machine would see `too_often` that a slow one does not. Lifting the limit keeps a rehearsal's
  // outcome a function of its plan, population and seed only.
  const gw: Gateway = await startGateway({
    config: { port: 0, host: "127.0.0.1", devSeed: false, journalSize: 1000, rolloutTickMs: 0, logLevel: "silent", callsPerSecond: 1000 },
    clock,
    logger: createLogger("silent"),
  });
  const certificate = appId === SEED_EITHER.appId ? (SEED_EITHER.certificate as string) : randomHex32();
  // With a secondary: the state of a rotation after "Set as primary" (the old certificate is the secondary).
  const secondaryCertificate = withSecondary ? randomHex32() : null;
  await gw.store.update(appId, (p) => {
    const either = enablePrimary(createProject(p, appId, "appid", null), appId, { value: certificate, now: startAt - 60, delaySeconds: 0 });
    return secondaryCertificate === null ? either : enableSecondary(either, appId, { value: secondaryCertificate, now: startAt - 60, delaySeconds: 0 });
  });
  return {
    wsUrls: [gw.url],
    // Its clients reach its session manager without sockets: the same decisions, a fraction of the CPU (docs/rehearsal.md).
    connect: (handler) => connectInProcess(gw.sessions, handler),
    certificate,
    secondaryCertificate,
    startAt,
    leftBehind: () => [],
    setClock: async (now) => {
      clock.set(now);
      await gw.rollouts.tick();
    },
    putPlan: async (plan) => {
      await gw.rollouts.put(appId, plan);
    },
    rollout: () => {
      const r = gw.store.get(appId)?.rollout;
      if (r === undefined) return Promise.reject(new RehearsalError("the rollout disappeared"));
      return Promise.resolve(r.state);
    },
    project: () => {
      const p = gw.store.get(appId);
      return Promise.resolve({ appId, mode: p === undefined ? "none" : p.noCertificate ? (p.primary === null ? "appid" : "either") : "token", noCertificate: p?.noCertificate ?? false, secondary: (p?.secondary ?? null) !== null });
    },
    close: () => gw.close(),
  };
}

function randomHex32(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("hex");
}

/** null for a gateway's 404 `code` (the thing asked for is absent); any other failure is thrown again. */
function nullIf404(code: "project_not_found" | "rollout_not_found"): (err: unknown) => null {
  return (err) => {
    if (err instanceof RehearsalError && err.message.includes(` answered 404 ${code}`)) return null;
    throw err;
  };
}
const nullIfNotFound = nullIf404("project_not_found");

/** How long another gateway may take to see what the first one holds (a change through Redis takes milliseconds). */
const SAME_STORE_WAIT_MS = 3_000;
const SAME_STORE = "the gateways given with --gateway must share one certificate store (the same REDIS_URL and REDIS_KEY_PREFIX, docs/redis.md)";

/**
 * Polls `seen()` every 50 ms until it resolves to null (another gateway sees what the first one
 * holds), or throws a RehearsalError with its last answer, the reason it does not, followed by
 * {@link SAME_STORE}, once {@link SAME_STORE_WAIT_MS} have passed.
 */
async function untilSeen(seen: () => Promise<string | null>): Promise<void> {
  const deadline = performance.now() + SAME_STORE_WAIT_MS;
  for (;;) {
    const why = await seen();
    if (why === null) return;
    if (performance.now() >= deadline) throw new RehearsalError(`${why}: ${SAME_STORE}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `t` serves `appId` with the primary certificate `certificate`, as `first` does (see {@link untilSeen}). */
function sameProject(t: RehearsalTarget, first: RehearsalTarget, appId: string, certificate: string, call: <T>(t: RehearsalTarget, method: string, path: string) => Promise<T>): Promise<void> {
  return untilSeen(async () => {
    const view = await call<{ certificates?: { primary?: { value: string } | null } }>(t, "GET", `/projects/${appId}`).catch(nullIfNotFound);
    if (view?.certificates?.primary?.value === certificate) return null;
    return view === null ? `${t.url} does not have project ${appId}, which ${first.url} has` : `${t.url} holds project ${appId} with another primary certificate than ${first.url}`;
  });
}

/**
 * Waits until `t` serves the rollout just put on `first`: the same `startedAt`, at its revision or a
 * later one (see {@link untilSeen}).
 */
function sameRollout(
  t: RehearsalTarget,
  first: RehearsalTarget,
  appId: string,
  put: { readonly startedAt: number; readonly revision: number },
  call: <T>(t: RehearsalTarget, method: string, path: string) => Promise<T>,
): Promise<void> {
  return untilSeen(async () => {
    const view = await call<{ startedAt: number; revision: number }>(t, "GET", `/projects/${appId}/rollout`).catch(nullIf404("rollout_not_found"));
    if (view !== null && view.startedAt === put.startedAt && view.revision >= put.revision) return null;
    return `${t.url} does not see the rollout put on ${first.url} for project ${appId}`;
  });
}

/** Running gateways through their admin APIs (the first one sets up; every one's clock is moved). */
async function remoteGateways(targets: readonly RehearsalTarget[], appId: string, requestedStart: number, needsSecondary: boolean): Promise<Driver> {
  const call = async <T>(t: RehearsalTarget, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(`/admin${path}`, t.url), {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(t.adminToken === undefined ? {} : { authorization: `Bearer ${t.adminToken}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((err: unknown) => {
      // fetch() says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is its cause.
      const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
      const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new RehearsalError(`${t.url}: cannot reach the gateway's admin API (${method} /admin${path}): ${why}`);
    });
    const text = await res.text();
    let json: unknown = {};
    try {
      if (text !== "") json = JSON.parse(text);
    } catch {
      throw new RehearsalError(`${t.url}: ${method} /admin${path} answered ${res.status} with something that is not JSON: is this an rtm-auth gateway?`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } }).error;
      throw new RehearsalError(`${t.url}: ${method} /admin${path} answered ${res.status} ${e?.code ?? ""}: ${e?.message ?? text}`);
    }
    return json as T;
  };
  const first = targets[0] as RehearsalTarget;
  // The project: created in the migration window (App ID, then the primary), or reused as it is.
  type View = { certificates?: { primary?: { value: string; status: string } | null; secondary?: { value: string } | null }; noCertificate?: boolean };
  // Absent (404 project_not_found) is created below; anything else (unreachable, refused) stops here.
  let view = await call<View>(first, "GET", `/projects/${appId}`).catch(nullIfNotFound);
  const created = view === null;
  if (view === null) {
    await call(first, "POST", "/projects", { mechanism: "appid", appId });
    view = await call(first, "POST", `/projects/${appId}/certificates/primary`);
  }
  const primary = view?.certificates?.primary as { value: string; activeAt?: number } | null | undefined;
  if (primary === undefined || primary === null) throw new RehearsalError(`project ${appId} has no primary certificate: enable one (the migration window) before rehearsing`);
  const certificate = primary.value;
  const secondary = view?.certificates?.secondary ?? null;
  if (needsSecondary && secondary === null) throw new RehearsalError(`project ${appId} has no secondary certificate, and the plan or the population needs one: enable it before rehearsing a rotation`);
  // Every other gateway must serve the same project: they share one store, or half the logins would be
  // refused unknown_app_id and the guards would judge that. A change reaches them within milliseconds.
  try {
    for (const t of targets.slice(1)) await sameProject(t, first, appId, certificate, call);
  } catch (err) {
    // The admin API deletes no project: say what this run left on the first gateway.
    if (created && err instanceof RehearsalError) throw new RehearsalError(`${err.message} (this run created project ${appId} on ${first.url}, in the migration window, and it stays there)`);
    throw err;
  }
  // Never move a running gateway's clock back, and start once the primary verifies tokens.
  const clocks = await Promise.all(targets.map((t) => call<{ now: number }>(t, "GET", "/clock")));
  const startAt = Math.max(requestedStart, primary.activeAt ?? 0, ...clocks.map((c) => c.now));
  for (const t of targets) await call(t, "PUT", "/clock", { frozen: true, now: startAt });
  return {
    startAt,
    secondaryCertificate: secondary?.value ?? null,
    leftBehind: (now) => [
      `the gateways' clocks stay frozen at ${now} (simulated); PUT /admin/clock {"frozen": false} lets them run from there, {"now": <Unix seconds>, "frozen": false} returns them to real time`,
    ],
    wsUrls: targets.map((t) => {
      const u = new URL("/rtm", t.url);
      u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
      return u.toString();
    }),
    certificate,
    setClock: async (now) => {
      for (const t of targets) await call(t, "PUT", "/clock", { now });
    },
    putPlan: async (plan) => {
      const put = await call<{ startedAt: number; revision: number }>(first, "PUT", `/projects/${appId}/rollout`, plan);
      // The plan lives in the project's record: a gateway with the same project but a store of its own
      // (two dev seeds hold the same App ID and certificate) never sees it, and its logins escape the cohorts.
      try {
        for (const t of targets.slice(1)) await sameRollout(t, first, appId, put, call);
      } catch (err) {
        if (!(err instanceof RehearsalError)) throw err;
        const left = `the plan put on ${first.url} stays there (rtm-auth migrate abort --admin-url ${first.url} --app-id ${appId} ends it), and the gateways' clocks stay frozen`;
        throw new RehearsalError(`${err.message} (${left}${created ? `; this run created project ${appId} there` : ""})`);
      }
    },
    rollout: async () => {
      const v = await call<{ status: RolloutStatus; stage: number; history: RolloutTransition[] }>(first, "GET", `/projects/${appId}/rollout`);
      return v;
    },
    project: async () => {
      const p = await call<{ mode: string; noCertificate: boolean; certificates: { secondary: unknown } }>(first, "GET", `/projects/${appId}`);
      return { appId, mode: p.mode, noCertificate: p.noCertificate, secondary: p.certificates.secondary !== null };
    },
    close: () => Promise.resolve(),
  };
}
