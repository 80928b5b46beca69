/**
 * The verdict of the soak (`npm run soak`, bench/soak.ts): does the gateway grow?
 *
 * Input: the samples the soak took every 10 s (seconds from the start of the load, bytes, counts).
 * Each growth check fits a least-squares line to one measure over the last `windowFraction` of the
 * run (the first part is warm-up: JIT code, the decision journal's ring filling, socket pools) and
 * fails when BOTH its slope per minute is above the limit AND the rise the line predicts over the
 * window is above the floor. The floor keeps a short run's noise (a few samples, a few MiB) from
 * failing it; on a 10-minute run the slope limit is what binds. Two more checks make a flat line
 * mean something: the gateway was alive at every sample, and in every sample of the window it
 * answered (accepted or refused) no less than `loadFloor` of the generator's target rate.
 *
 * Pure: no I/O, no clock. The thresholds are {@link SOAK_LIMITS}; docs/soak.md prints them from
 * the soak's JSON.
 */

/** One sample of the gateway process. */
export interface SoakSample {
  /** Seconds from the start of the load. */
  readonly t: number;
  /** Resident set size after the forced GC, bytes. */
  readonly rss: number;
  /** V8 heap in use after the forced GC, bytes. */
  readonly heapUsed: number;
  /** V8 heap reserved, bytes. */
  readonly heapTotal: number;
  /** Memory of Buffers and other objects outside the V8 heap, bytes. */
  readonly external: number;
  /** Open file descriptors of the gateway process (`/proc/PID/fd`); null where that is not readable. */
  readonly fds: number | null;
  /** WebSocket connections the gateway holds (logged in or not). */
  readonly connections: number;
  /** Logged-in sessions. */
  readonly sessions: number;
  /** Event-loop delay over the interval before the sample (the forced GC excluded), ms. */
  readonly eldP99Ms: number;
  readonly eldMaxMs: number;
  /** Logins the load generator started per second over the interval before the sample. */
  readonly loginsPerSec: number;
  /** Of those, answered (accepted or refused) per second. */
  readonly answeredPerSec: number;
  /** Logins of the other lanes (expiry, faults, certificates, misbehaving clients) per second. */
  readonly laneLoginsPerSec: number;
}

/** One growth check's limits. */
export interface GrowthLimit {
  /** Slope of the fitted line, units per minute, above which the measure grows. */
  readonly perMinute: number;
  /** Rise of the fitted line over the window, units, that growth must also exceed. */
  readonly floor: number;
}

/** Every threshold of the verdict. */
export interface SoakLimits {
  /** The fits cover samples with t ≥ (1 − windowFraction) × the last sample's t. */
  readonly windowFraction: number;
  /** Fewest samples a fit needs; with fewer the check fails as "too short to judge". */
  readonly minWindowSamples: number;
  /** Heap used after a forced GC, MiB. */
  readonly heapUsedMiB: GrowthLimit;
  /** Resident set size, MiB. */
  readonly rssMiB: GrowthLimit;
  /** Open file descriptors. */
  readonly fds: GrowthLimit;
  /** Logged-in sessions. */
  readonly sessions: GrowthLimit;
  /** Every sample in the window must show the gateway answering at least this share of the target login rate. */
  readonly loadFloor: number;
}

/**
 * The thresholds of `npm run soak`. A gateway that retains 4.6 KB per closed login (issue 11)
 * grows its heap by about 40 MiB per minute at 150 logins/s, far above these; a healthy one
 * shows under a MiB of drift after a forced GC.
 */
export const SOAK_LIMITS: SoakLimits = Object.freeze({
  windowFraction: 0.5,
  minWindowSamples: 4,
  heapUsedMiB: { perMinute: 1, floor: 2 },
  rssMiB: { perMinute: 2, floor: 4 },
  fds: { perMinute: 20, floor: 50 },
  sessions: { perMinute: 20, floor: 50 },
  loadFloor: 0.5,
});

/** The outcome of one check. */
export interface SoakCheck {
  /** `heap used after GC`, `RSS`, `file descriptors`, `sessions`, `load ran`, `gateway alive`. */
  readonly name: string;
  /** Unit of `slopePerMinute`, `rise` and the limits (`MiB`, `fds`, `sessions`); empty for the non-growth checks. */
  readonly unit: string;
  /** Fitted slope, units per minute (null: not computed). */
  readonly slopePerMinute: number | null;
  /** Fitted rise over the window, units (null: not computed). */
  readonly rise: number | null;
  readonly limit: GrowthLimit | null;
  readonly pass: boolean;
  /** Why it failed (or what it saw), one line. */
  readonly detail: string;
}

/** The verdict of a soak run. */
export interface SoakVerdict {
  readonly pass: boolean;
  /** The window the fits cover: first and last sample time, seconds, and the number of samples. */
  readonly window: { readonly fromS: number; readonly toS: number; readonly samples: number };
  readonly checks: readonly SoakCheck[];
}

/** Least-squares slope of `ys` over `xs` (units of y per unit of x); null for fewer than 2 points or no spread in x. */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    num += dx * (ys[i]! - my);
    den += dx * dx;
  }
  return den === 0 ? null : num / den;
}

const MIB = 2 ** 20;

/** The samples the fits use: the last `windowFraction` of the run. */
export function verdictWindow(samples: readonly SoakSample[], limits: SoakLimits = SOAK_LIMITS): SoakSample[] {
  if (samples.length === 0) return [];
  const last = samples[samples.length - 1]!.t;
  const from = last * (1 - limits.windowFraction);
  return samples.filter((s) => s.t >= from);
}

function growthCheck(name: string, unit: string, window: readonly SoakSample[], value: (s: SoakSample) => number | null, limit: GrowthLimit, limits: SoakLimits): SoakCheck {
  const points = window.map((s) => ({ t: s.t, v: value(s) })).filter((p): p is { t: number; v: number } => p.v !== null && Number.isFinite(p.v));
  if (points.length < limits.minWindowSamples) {
    return { name, unit, slopePerMinute: null, rise: null, limit, pass: false, detail: `too short to judge: ${points.length} sample(s) in the window, at least ${limits.minWindowSamples} needed` };
  }
  const perSecond = leastSquaresSlope(
    points.map((p) => p.t),
    points.map((p) => p.v),
  );
  if (perSecond === null) return { name, unit, slopePerMinute: null, rise: null, limit, pass: false, detail: "no time spread in the window" };
  const slopePerMinute = perSecond * 60;
  const rise = perSecond * (points[points.length - 1]!.t - points[0]!.t);
  const grows = slopePerMinute > limit.perMinute && rise > limit.floor;
  const detail = grows
    ? `grows ${fmt(slopePerMinute)} ${unit}/min (limit ${limit.perMinute}), +${fmt(rise)} ${unit} over the window (floor ${limit.floor})`
    : `${fmt(slopePerMinute)} ${unit}/min, ${rise >= 0 ? "+" : ""}${fmt(rise)} ${unit} over the window`;
  return { name, unit, slopePerMinute, rise, limit, pass: !grows, detail };
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * Judges a run. `targetRate` is the generator's target logins per second; `gatewayAlive` is false
 * when the gateway process exited before the end (crash, out of memory).
 */
export function soakVerdict(samples: readonly SoakSample[], run: { readonly targetRate: number; readonly gatewayAlive: boolean }, limits: SoakLimits = SOAK_LIMITS): SoakVerdict {
  const window = verdictWindow(samples, limits);
  const checks: SoakCheck[] = [
    {
      name: "gateway alive",
      unit: "",
      slopePerMinute: null,
      rise: null,
      limit: null,
      pass: run.gatewayAlive,
      detail: run.gatewayAlive ? "the gateway process answered every sample" : "the gateway process exited before the end of the run",
    },
  ];
  // The first sample is taken as the load starts: it has no interval behind it.
  const loaded = window.filter((s) => s.t > 0);
  // Answered, not started: an open-model generator keeps starting logins at a gateway that is stuck.
  const slow = loaded.filter((s) => s.answeredPerSec < run.targetRate * limits.loadFloor);
  checks.push({
    name: "load ran",
    unit: "",
    slopePerMinute: null,
    rise: null,
    limit: null,
    pass: loaded.length > 0 && slow.length === 0,
    detail:
      loaded.length === 0
        ? "no loaded sample in the window"
        : slow.length === 0
          ? `every sample in the window answered ≥ ${limits.loadFloor * 100}% of ${run.targetRate} logins/s`
          : `${slow.length} sample(s) in the window answered under ${limits.loadFloor * 100}% of ${run.targetRate} logins/s (lowest ${fmt(Math.min(...slow.map((s) => s.answeredPerSec)))}/s)`,
  });
  checks.push(growthCheck("heap used after GC", "MiB", window, (s) => s.heapUsed / MIB, limits.heapUsedMiB, limits));
  checks.push(growthCheck("RSS", "MiB", window, (s) => s.rss / MIB, limits.rssMiB, limits));
  if (samples.length > 0 && samples.every((s) => s.fds === null)) {
    checks.push({ name: "file descriptors", unit: "fds", slopePerMinute: null, rise: null, limit: limits.fds, pass: true, detail: "not measured: /proc/PID/fd is not readable on this platform" });
  } else checks.push(growthCheck("file descriptors", "fds", window, (s) => s.fds, limits.fds, limits));
  checks.push(growthCheck("sessions", "sessions", window, (s) => s.sessions, limits.sessions, limits));
  return {
    pass: checks.every((c) => c.pass),
    window: { fromS: window[0]?.t ?? 0, toS: window[window.length - 1]?.t ?? 0, samples: window.length },
    checks,
  };
}
