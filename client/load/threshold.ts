/**
 * Pass/fail conditions on a load report (`--threshold 'p99<50ms' --threshold 'unexpected==0'`).
 *
 *   threshold := metric op number [unit]
 *   op        := <  <=  >  >=  ==  !=
 *   metric    := [login. | renew. | connect.] (p50 | p90 | p99 | max)   latency, ms (login by default)
 *              | rate                                                   achieved login attempts per second
 *              | [login. | renew.] (attempts | accepted | refused | errors)   counts (login by default)
 *              | errors | unexpected                                    every op's client-side errors; outcomes not asked for
 *              | refused{REASON}                                        login refusals with that reason
 *   unit      := ms | s | us (latency; default ms) | /s (rate) | % (counts: of the login attempts)
 *
 * A latency threshold on a distribution with no values (nothing recorded) fails: there is no
 * evidence it holds.
 */
import { LoadOptionError } from "./mix.js";

export const THRESHOLD_OPS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

/** What a threshold measures. */
export type ThresholdMetric =
  | { readonly kind: "latency"; readonly of: "login" | "renew" | "connect"; readonly stat: "p50" | "p90" | "p99" | "max" }
  | { readonly kind: "rate" }
  | { readonly kind: "count"; readonly of: "login" | "renew"; readonly count: "attempts" | "accepted" | "refused" | "errors" }
  | { readonly kind: "all"; readonly count: "errors" | "unexpected" }
  | { readonly kind: "refusedReason"; readonly reason: string };

/** A parsed threshold. `value` is in ms for latencies, per second for rate, a count or a fraction (with `percent`). */
export interface Threshold {
  readonly text: string;
  readonly metric: ThresholdMetric;
  readonly op: ThresholdOp;
  readonly value: number;
  /** The value was given in % (of the login attempts). */
  readonly percent: boolean;
}

/** The figures thresholds are evaluated against. */
export interface ThresholdInputs {
  readonly latency: Readonly<Record<"login" | "renew" | "connect", { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null; readonly max: number | null }>>;
  readonly rate: number;
  readonly login: { readonly attempts: number; readonly accepted: number; readonly refused: number; readonly errors: number; readonly refusedBy: Readonly<Record<string, Readonly<Record<string, number>>>> };
  readonly renew: { readonly attempts: number; readonly accepted: number; readonly refused: number; readonly errors: number };
  /** Errors of every op. */
  readonly errors: number;
  readonly unexpected: number;
}

/** The outcome of one threshold. */
export interface ThresholdResult {
  readonly threshold: string;
  /** The measured value in the threshold's terms (ms, /s, count, or % when given in %); null when there was none. */
  readonly actual: number | null;
  readonly pass: boolean;
}

const LATENCY_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, us: 0.001, "µs": 0.001 };
const PATTERN = /^\s*([a-z][a-z0-9_.]*(?:\{[a-z0-9_]+\})?)\s*(<=|>=|==|!=|<|>)\s*([0-9]*\.?[0-9]+)\s*(ms|s|us|µs|\/s|%)?\s*$/;

const STATS = ["p50", "p90", "p99", "max"] as const;
const COUNTS = ["attempts", "accepted", "refused", "errors"] as const;

function metricOf(name: string): ThresholdMetric | null {
  const reason = /^refused\{([a-z0-9_]+)\}$/.exec(name);
  if (reason !== null) return { kind: "refusedReason", reason: reason[1]! };
  if (name === "rate") return { kind: "rate" };
  // Bare names: errors and unexpected cover every op; the other counts and latencies are the login's.
  if (name === "errors" || name === "unexpected") return { kind: "all", count: name };
  const parts = name.split(".");
  if (parts.length > 2) return null;
  const [scope, what] = parts.length === 2 ? (parts as [string, string]) : ["login", name];
  const stat = STATS.find((x) => x === what);
  if (stat !== undefined) return scope === "login" || scope === "renew" || scope === "connect" ? { kind: "latency", of: scope, stat } : null;
  const count = COUNTS.find((x) => x === what);
  if (count !== undefined && (scope === "login" || scope === "renew")) return { kind: "count", of: scope, count };
  return null;
}

/** Parses one threshold; throws {@link LoadOptionError} with what is wrong. */
export function parseThreshold(text: string): Threshold {
  const m = PATTERN.exec(text);
  if (m === null) throw new LoadOptionError(`--threshold ${JSON.stringify(text)}: expected METRIC OP NUMBER[UNIT], e.g. 'p99<50ms' or 'unexpected==0'`);
  const [, name, op, num, unit] = m as unknown as [string, string, ThresholdOp, string, string | undefined];
  const metric = metricOf(name);
  if (metric === null) {
    throw new LoadOptionError(
      `--threshold ${JSON.stringify(text)}: unknown metric ${JSON.stringify(name)} (p50, p90, p99, max [login./renew./connect.], rate, attempts, accepted, refused, errors [login./renew.], unexpected, refused{reason})`,
    );
  }
  let value = Number(num);
  let percent = false;
  if (metric.kind === "latency") {
    if (unit !== undefined && !(unit in LATENCY_UNITS)) throw new LoadOptionError(`--threshold ${JSON.stringify(text)}: a latency takes ms, s or us, not ${unit}`);
    value *= LATENCY_UNITS[unit ?? "ms"]!;
  } else if (metric.kind === "rate") {
    if (unit !== undefined && unit !== "/s") throw new LoadOptionError(`--threshold ${JSON.stringify(text)}: rate is per second (/s), not ${unit}`);
  } else if (unit === "%") {
    percent = true;
  } else if (unit !== undefined) {
    throw new LoadOptionError(`--threshold ${JSON.stringify(text)}: a count takes no unit or %, not ${unit}`);
  }
  return { text: text.trim(), metric, op, value, percent };
}

function compare(actual: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case "<":
      return actual < value;
    case "<=":
      return actual <= value;
    case ">":
      return actual > value;
    case ">=":
      return actual >= value;
    case "==":
      return actual === value;
    case "!=":
      return actual !== value;
  }
}

/** The measured value of `t` in `inputs`, in the threshold's terms (null: nothing was measured). */
export function measure(t: Threshold, inputs: ThresholdInputs): number | null {
  const m = t.metric;
  let raw: number | null;
  switch (m.kind) {
    case "latency":
      raw = inputs.latency[m.of][m.stat];
      break;
    case "rate":
      raw = inputs.rate;
      break;
    case "refusedReason":
      raw = Object.values(inputs.login.refusedBy[m.reason] ?? {}).reduce((s, n) => s + n, 0);
      break;
    case "count":
      raw = inputs[m.of][m.count];
      break;
    case "all":
      raw = m.count === "errors" ? inputs.errors : inputs.unexpected;
      break;
  }
  if (raw === null || !t.percent) return raw;
  return inputs.login.attempts === 0 ? null : (raw / inputs.login.attempts) * 100;
}

/** Evaluates `t`; a threshold with nothing to measure fails. */
export function evaluateThreshold(t: Threshold, inputs: ThresholdInputs): ThresholdResult {
  const actual = measure(t, inputs);
  return { threshold: t.text, actual, pass: actual !== null && compare(actual, t.op, t.value) };
}
