/**
 * `--find-capacity`: steps an open-model rate up (×`factor` per step, each step `stepMs` long)
 * until a threshold fails or the generator saturates, and reports the highest rate at which every
 * threshold passed with the generator keeping up. Every step is a full phase (logins minted
 * ahead, a drain at the end) followed by a short pause, so one step's tail does not land in the
 * next. A failing step is run again `retries` times before the search stops on it: one slow
 * interval on a shared machine should not end the search. Bounded: at most `maxSteps` steps
 * (retries included) and never above `maxRate`.
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
  readonly saturated: boolean;
  readonly saturation: readonly string[];
  /** Thresholds passed and the generator kept up. */
  readonly pass: boolean;
}

export interface CapacityResult {
  readonly steps: readonly CapacityStep[];
  /** The highest passing step's rate (null when the first step failed). */
  readonly highestPassingRate: number | null;
  /** What ended the search. */
  readonly stoppedBecause: "threshold" | "generator_saturated" | "max_steps" | "max_rate" | "stopped";
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
  let best: { rate: number; report: LoadReport } | null = null;
  let first: LoadReport | null = null;
  let stoppedBecause: CapacityResult["stoppedBecause"] = "max_steps";
  let rate = o.startRate;
  let repeat = 0;
  for (let i = 0; i < o.maxSteps; i++) {
    if (rate > o.maxRate) {
      stoppedBecause = "max_rate";
      break;
    }
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
      thresholdsPass: report.pass,
      saturated: g.saturated,
      saturation: g.saturation,
      pass: report.pass && !g.saturated,
    };
    steps.push(step);
    onStep(step, i);
    if (stopped()) {
      stoppedBecause = "stopped";
      break;
    }
    if (!step.pass && repeat < o.retries && i < o.maxSteps - 1) {
      repeat++;
    } else if (!report.pass) {
      stoppedBecause = "threshold";
      break;
    } else if (g.saturated) {
      stoppedBecause = "generator_saturated";
      break;
    } else {
      best = { rate, report };
      if (i === o.maxSteps - 1) break;
      rate = nextRate(rate, o.factor);
      repeat = 0;
    }
    await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  return {
    steps,
    highestPassingRate: best?.rate ?? null,
    stoppedBecause,
    thresholds: thresholds.map((t) => t.text),
    report: best?.report ?? first,
  };
}
