/**
 * `--find-capacity`: steps an open-model rate up (×`factor` per step, each step `stepMs` long)
 * until a threshold fails or the generator saturates, and reports the highest rate at which every
 * threshold passed with the generator keeping up. Every step is a full phase (logins minted
 * ahead, a drain at the end) followed by a short pause, so one step's tail does not land in the
 * next. A failing step is run again `retries` times before the search stops on it: one slow
 * interval on a shared machine should not end the search. Then `refine` bisection steps between
 * the highest passing rate and the failing one narrow the answer. Bounded: at most `maxSteps`
 * runs in all (repeats and bisection included) and never above `maxRate`; the climb tries
 * `maxRate` itself before it says the maximum was reached (the step past the last one below it is
 * cut down to it). A step in which no login got the answer it was sent for (the target
 * unreachable, or refusing everything: load-report.ts `measured`) never passes, and it ends the
 * search as `nothing_measured` without bisecting.
 */
import type { LoadDriver } from "./load-driver.js";
import { buildReport, type LoadReport, type ReportOptions } from "./load-report.js";
import type { Threshold, ThresholdResult } from "./threshold.js";

export interface CapacityOptions {
  /** The first step's rate, per second. */
  readonly startRate: number;
  /** Rate multiplier per step (> 1). */
  readonly factor: number;
  readonly stepMs: number;
  readonly maxSteps: number;
  /** No step above this rate (per second). */
  readonly maxRate: number;
  /** Pause between steps. */
  readonly pauseMs: number;
  /** How many times a failing step is repeated before it counts as failed. */
  readonly retries: number;
  /** Bisection steps between the highest passing rate and the failing one, after the climb. */
  readonly refine: number;
}

/** One step, summarised. */
export interface CapacityStep {
  readonly rate: number;
  /** 0 for a step's first run, 1… for its repeats. */
  readonly repeat: number;
  readonly achievedRate: number;
  readonly answeredRate: number;
  readonly attempts: number;
  readonly accepted: number;
  readonly refused: number;
  readonly errors: number;
  readonly unexpected: number;
  readonly loginP50: number | null;
  readonly loginP99: number | null;
  readonly loginMax: number | null;
  readonly generatorCpuCores: number;
  readonly thresholds: readonly ThresholdResult[];
  /** Every threshold passed. */
  readonly thresholdsPass: boolean;
  /** At least one login got the answer it was sent for (the report's `measured.problem` is null). */
  readonly measured: boolean;
  readonly saturated: boolean;
  readonly saturation: readonly string[];
  /** Thresholds passed, something was measured, and the generator kept up. */
  readonly pass: boolean;
}

export interface CapacityResult {
  readonly steps: readonly CapacityStep[];
  /** The highest passing step's rate (null when the first step failed). */
  readonly highestPassingRate: number | null;
  /** What ended the search. */
  readonly stoppedBecause: "threshold" | "generator_saturated" | "nothing_measured" | "max_steps" | "max_rate" | "stopped";
  /** The thresholds of the search. */
  readonly thresholds: readonly string[];
  /** The full report of the highest passing step (or of the first step when none passed). */
  readonly report: LoadReport | null;
}

/** The next rate after `rate` (rounded to a readable figure, always higher). */
export function nextRate(rate: number, factor: number): number {
  const raw = rate * factor;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.max(Math.round(raw / magnitude) * magnitude, Math.floor(rate) + 1);
}

/** A readable rate strictly between `lo` and `hi` (null when they are too close to split). */
export function midRate(lo: number, hi: number): number | null {
  const raw = (lo + hi) / 2;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(hi - lo)) - 1);
  const mid = Math.round(raw / magnitude) * magnitude;
  return mid > lo && mid < hi ? mid : null;
}

/** Runs the search. `onStep` hears each step as it ends; `stopped()` ends the search early. */
export async function findCapacity(
  driver: Pick<LoadDriver, "run">,
  reportOptions: Omit<ReportOptions, "rate" | "durationMs" | "model" | "concurrency">,
  thresholds: readonly Threshold[],
  o: CapacityOptions,
  onStep: (step: CapacityStep, index: number) => void,
  stopped: () => boolean = () => false,
): Promise<CapacityResult> {
  const steps: CapacityStep[] = [];
  let first: LoadReport | null = null;

  /** One run at `rate`. */
  const runStep = async (rate: number, repeat: number): Promise<{ step: CapacityStep; report: LoadReport }> => {
    const started = new Date();
    const result = await driver.run({ model: "open", rate, concurrency: 0, durationMs: o.stepMs });
    const report = buildReport(result, { ...reportOptions, model: "open", rate, concurrency: null, durationMs: o.stepMs }, thresholds, started);
    first ??= report;
    const g = report.generator;
    const step: CapacityStep = {
      rate,
      repeat,
      achievedRate: g.achievedRate,
      answeredRate: g.answeredRate,
      attempts: report.login.attempts,
      accepted: report.login.accepted,
      refused: report.login.refused,
      errors: report.login.errors + report.renew.errors + report.logout.errors,
      unexpected: report.unexpected.total,
      loginP50: report.latency.login.p50,
      loginP99: report.latency.login.p99,
      loginMax: report.latency.login.max,
      generatorCpuCores: g.cpuCores,
      thresholds: report.thresholds,
      thresholdsPass: report.thresholds.every((t) => t.pass),
      measured: report.measured.problem === null,
      saturated: g.saturated,
      saturation: g.saturation,
      pass: report.pass && !g.saturated,
    };
    steps.push(step);
    onStep(step, steps.length - 1);
    await new Promise((r) => setTimeout(r, o.pauseMs));
    return { step, report };
  };

  /** `rate`, run again (up to `retries` times) while it fails and runs are left; null when out of runs. */
  const trial = async (rate: number): Promise<{ step: CapacityStep; report: LoadReport } | null> => {
    let last: { step: CapacityStep; report: LoadReport } | null = null;
    for (let repeat = 0; repeat <= o.retries && steps.length < o.maxSteps && !stopped(); repeat++) {
      last = await runStep(rate, repeat);
      if (last.step.pass) break;
    }
    return last;
  };

  // Climb: ×factor per step until a step fails (after its repeats).
  let best: { rate: number; report: LoadReport } | null = null;
  let failedRate: number | null = null;
  let stoppedBecause: CapacityResult["stoppedBecause"] = "max_steps";
  // Never above maxRate; the step that would pass it is cut down to it, so maxRate itself is tried.
  let rate = Math.min(o.startRate, o.maxRate);
  for (;;) {
    const t = await trial(rate);
    if (t === null || stopped()) {
      stoppedBecause = stopped() ? "stopped" : "max_steps";
      break;
    }
    if (!t.step.pass) {
      // Out of runs before the repeat could clear it: the step limit, not the gateway, ended it.
      if (t.step.repeat < o.retries && steps.length >= o.maxSteps) break;
      stoppedBecause = !t.step.measured ? "nothing_measured" : t.step.thresholdsPass ? "generator_saturated" : "threshold";
      failedRate = rate;
      break;
    }
    best = { rate, report: t.report };
    if (rate >= o.maxRate) {
      stoppedBecause = "max_rate";
      break;
    }
    if (steps.length >= o.maxSteps) break;
    rate = Math.min(nextRate(rate, o.factor), o.maxRate);
  }

  // Refine: bisect between the highest passing rate and the failing one (not past a step that
  // measured nothing: the target went away, and a lower rate says nothing more).
  if (best !== null && failedRate !== null && stoppedBecause !== "nothing_measured") {
    let hi = failedRate;
    for (let r = 0; r < o.refine && steps.length < o.maxSteps && !stopped(); r++) {
      const mid = midRate(best.rate, hi);
      if (mid === null) break;
      const t = await trial(mid);
      if (t === null) break;
      if (t.step.pass) best = { rate: mid, report: t.report };
      else hi = mid;
    }
  }

  return {
    steps,
    highestPassingRate: best?.rate ?? null,
    stoppedBecause,
    thresholds: thresholds.map((t) => t.text),
    report: best?.report ?? first,
  };
}
