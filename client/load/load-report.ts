/**
 * The report of a load run: built from a {@link PhaseResult} and the run's options, written as
 * JSON (`--json`), as text (the CLI's stdout) and as HTML (html-report.ts). It never holds a
 * token or a certificate: only the URL, the App ID and figures.
 */
import os from "node:os";
import type { Profile } from "../../core/protocol/wire.js";
import { summarize, type LatencySummary } from "./latency.js";
import { describeConnectionFailure } from "./probe.js";
import type { ConnectionFailure } from "./raw-ws-connection.js";
import type { PhaseResult } from "./load-driver.js";
import { formatMix, type Mix } from "./mix.js";
import { expectedReason, type Population } from "./population.js";
import { evaluateThreshold, type Threshold, type ThresholdInputs, type ThresholdResult } from "./threshold.js";
import { emptyCohortCounts, type CohortCounts, type KindCounts, type OpCounts } from "./tally.js";

/** The options a report records (no secrets). */
export interface ReportOptions {
  readonly url: string;
  /** Every target when the run was spread over several gateways (repeated `--url`); absent: `[url]`. */
  readonly urls?: readonly string[];
  readonly appId: string;
  readonly minting: "certificate" | "admin";
  readonly model: "open" | "closed";
  readonly rate: number | null;
  readonly concurrency: number | null;
  /** Closed model: how long the users took to start (`--ramp-up`); absent: 0. */
  readonly rampMs?: number;
  readonly durationMs: number;
  readonly mix: Mix;
  readonly invalid: number;
  readonly holdMs: number;
  readonly renewEveryMs: number;
  readonly profile: Profile;
  readonly seed: number;
  readonly workers: number;
  /** Generator processes (`--processes`); absent: 1. */
  readonly processes?: number;
  readonly timeoutMs: number;
  readonly tokenTtlSeconds: number;
  /** The population the users were drawn from (`--population FILE`); absent or null: `mix` and `invalid`. */
  readonly population?: { readonly file: string; readonly population: Population } | null;
}

/** A cohort as the report's options list it (docs/population.md). */
export interface ReportCohort {
  readonly name: string;
  readonly share: number;
  readonly credential: "token" | "appid";
  readonly tokenVersion: "006" | "007" | null;
  readonly tokenTtlS: number | null;
  readonly bug: string | null;
  readonly holdS: number;
  readonly renewBeforeExpiryS: number | null;
  readonly uids: number;
}

/** One cohort's counts in the report, with its share and the refusal it is expected to get (null: accepts). */
export interface CohortReport extends CohortCounts {
  readonly share: number;
  readonly expect: string | null;
}

/** One interval of the timeline (counts of the interval; latencies of the logins answered in it). */
export interface ReportPoint {
  /** Seconds from the start to the end of the interval. */
  readonly t: number;
  readonly attempts: number;
  readonly accepted: number;
  readonly refused: number;
  readonly errors: number;
  readonly unexpected: number;
  readonly renewAccepted: number;
  readonly renewRefused: number;
  readonly renewErrors: number;
  readonly inFlight: number;
  readonly sessions: number;
  readonly loginP50: number | null;
  readonly loginP99: number | null;
  readonly loginMax: number | null;
}

/** What the generator knows about itself: did it deliver the load asked for? */
export interface GeneratorReport {
  readonly engines: number;
  /** Processes the engines ran in (`--processes`; 1 otherwise). */
  readonly processes: number;
  readonly cpus: number;
  /** Target arrivals per second (open model; null for the closed model). */
  readonly targetRate: number | null;
  /** Login attempts started per second of the arrival window. */
  readonly achievedRate: number;
  /** Logins answered (accepted or refused) per second of the arrival window. */
  readonly answeredRate: number;
  /** The generator process's CPU time over the run, seconds, and in cores (CPU time / wall time). */
  readonly cpuSeconds: number;
  readonly cpuCores: number;
  /** Event-loop utilisation of the busiest engine thread: its mean over the intervals, and its busiest interval. */
  readonly eluMean: number;
  readonly eluMax: number;
  /** How late arrivals started against their schedule (open model), ms. */
  readonly lagP99Ms: number | null;
  readonly lagMaxMs: number | null;
  /** Arrivals not started because the socket budget was spent. */
  readonly skipped: number;
  /** True when the generator, not the gateway, may have set the pace; `saturation` says why. */
  readonly saturated: boolean;
  readonly saturation: readonly string[];
}

export interface LoadReport {
  readonly tool: "rtm-auth load";
  readonly schema: 1;
  readonly startedAt: string;
  /** `url` is the first target; `urls` every one (several with a repeated `--url`). */
  readonly target: { readonly url: string; readonly urls: readonly string[]; readonly appId: string; readonly minting: "certificate" | "admin" };
  readonly options: {
    readonly model: "open" | "closed";
    readonly rate: number | null;
    readonly concurrency: number | null;
    /** Closed model: the users were started evenly over this long (`--ramp-up`); null for the open model. */
    readonly rampUpS: number | null;
    readonly durationS: number;
    /** The credential mix; null for a population run (each cohort says how it logs in). */
    readonly mix: string | null;
    readonly invalid: number | null;
    /** Hold, renewal and token lifetime of every user; null for a population run (per cohort). */
    readonly holdS: number | null;
    readonly renewEveryS: number | null;
    readonly profile: Profile;
    readonly seed: number;
    /** Worker threads (per process with `--processes`). */
    readonly workers: number;
    readonly processes: number;
    readonly timeoutS: number;
    readonly tokenTtlS: number | null;
    /** `--population`: the file and its cohorts; null otherwise. */
    readonly population: { readonly file: string; readonly cohorts: readonly ReportCohort[] } | null;
  };
  readonly machine: { readonly cpus: number; readonly node: string; readonly platform: string };
  readonly run: { readonly arrivalS: number; readonly wallS: number; readonly prepared: number; readonly prepareS: number };
  readonly generator: GeneratorReport;
  readonly login: OpCounts;
  readonly renew: OpCounts;
  readonly logout: OpCounts;
  readonly byKind: Readonly<Record<string, KindCounts>>;
  /** Population runs: cohort name → its counts, every cohort of the file (in file order); `{}` otherwise. */
  readonly cohorts: Readonly<Record<string, CohortReport>>;
  readonly closes: Readonly<Record<string, number>>;
  readonly serverCloses: Readonly<Record<string, number>>;
  readonly unexpected: { readonly total: number; readonly by: Readonly<Record<string, number>> };
  readonly latency: { readonly login: LatencySummary; readonly renew: LatencySummary; readonly connect: LatencySummary };
  readonly timeline: readonly ReportPoint[];
  /** Whether the run measured the gateway at all: see {@link Measured}. */
  readonly measured: Measured;
  readonly thresholds: readonly ThresholdResult[];
  /**
   * Every threshold passed (true when none was given) and {@link Measured.problem} is null: at
   * least one login got the answer it was sent for. `rtm-auth load` exits 0 only then.
   */
  readonly pass: boolean;
}

/**
 * Whether a run measured the gateway: a run where nothing answered, or where every login was
 * refused for a reason nobody asked for, describes the target's absence or its configuration,
 * not its performance, and never passes.
 */
export interface Measured {
  /** Logins answered (accepted or refused). */
  readonly answered: number;
  /** Logins that got the answer they were sent for (an accept, or the refusal an invalid token or a cohort's bug calls for). */
  readonly asExpected: number;
  /**
   * Null when `asExpected` > 0; otherwise one sentence: no login started, no login answered (with
   * the most frequent failures, the first named, e.g. `connection refused: nothing listens on …`),
   * or no login answered as asked (with the most frequent refusals).
   */
  readonly problem: string | null;
}

/** Below this share of the target rate the generator counts as saturated. */
export const ACHIEVED_RATE_FLOOR = 0.95;
/** Above this mean event-loop utilisation an engine thread counts as saturated. */
export const ELU_CEILING = 0.9;
/** Above this p99 arrival lag (ms) the schedule was not kept. */
export const LAG_P99_CEILING_MS = 100;

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

function generatorReport(r: PhaseResult, o: ReportOptions): GeneratorReport {
  const arrivalS = Math.max(r.arrivalMs, 1) / 1000;
  const achievedRate = r.tally.login.attempts / arrivalS;
  const answered = r.tally.login.accepted + r.tally.login.refused;
  const lag = summarize(r.histograms.lag);
  const busiest = r.engineElu.reduce((a, b) => (b.mean > a.mean ? b : a), { mean: 0, max: 0 });
  const saturation: string[] = [];
  if (o.model === "open" && o.rate !== null && achievedRate < ACHIEVED_RATE_FLOOR * o.rate) saturation.push(`achieved ${round(achievedRate, 1)}/s of the ${o.rate}/s asked for`);
  if (r.tally.skipped > 0) saturation.push(`${r.tally.skipped} arrivals skipped: the socket budget was spent`);
  const poolSkipped = Object.values(r.tally.byCohort).reduce((s, c) => s + c.skipped, 0);
  if (poolSkipped > 0) saturation.push(`${poolSkipped} arrivals skipped: every uid of their cohort was logged in (a larger uidsPerCohort, or a cohort's uids, gives the population more clients)`);
  if (o.model === "open" && lag.p99 !== null && lag.p99 > LAG_P99_CEILING_MS) saturation.push(`arrivals started late (p99 ${lag.p99} ms behind schedule)`);
  if (busiest.mean > ELU_CEILING) saturation.push(`a generator thread was busy ${Math.round(busiest.mean * 100)}% of the time`);
  const cpuSeconds = r.cpuUs / 1e6;
  return {
    engines: r.engines,
    processes: r.processes ?? 1,
    cpus: os.availableParallelism(),
    targetRate: o.model === "open" ? o.rate : null,
    achievedRate: round(achievedRate, 2),
    answeredRate: round(answered / arrivalS, 2),
    cpuSeconds: round(cpuSeconds),
    cpuCores: round(cpuSeconds / Math.max(r.wallMs / 1000, 0.001)),
    eluMean: round(busiest.mean),
    eluMax: round(busiest.max),
    lagP99Ms: lag.p99,
    lagMaxMs: lag.max,
    skipped: r.tally.skipped,
    saturated: saturation.length > 0,
    saturation,
  };
}

/** `a ×3, b ×1` of the largest counts of `record` (at most `n`). */
function topCounts(record: Readonly<Record<string, number>>, n = 3): string {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([k, v]) => `${k} ×${v}`)
    .join(", ");
}

/** The failure kind of a login error key (`connect:ECONNREFUSED`, `upgrade:HTTP/1.1 404 Not Found`), or null. */
function connectionFailureOf(errorKey: string): ConnectionFailure | null {
  const at = errorKey.indexOf(":");
  const kind = errorKey.slice(0, at);
  if (kind !== "connect" && kind !== "upgrade" && kind !== "protocol") return null;
  return { kind, detail: errorKey.slice(at + 1) };
}

/** Whether `r` measured the gateway; `url` is the target (to name a connection failure). */
export function measuredOf(r: PhaseResult, url: string): Measured {
  const login = r.tally.login;
  const answered = login.accepted + login.refused;
  const asExpected = r.tally.loginsAsExpected;
  let problem: string | null = null;
  if (login.attempts === 0) {
    problem = "no login was started (every arrival was skipped, or the run was too short for one)";
  } else if (answered === 0) {
    const top = Object.entries(login.errorsBy).sort((a, b) => b[1] - a[1])[0];
    const failure = top === undefined ? null : connectionFailureOf(top[0]);
    let named = "";
    if (failure !== null) {
      try {
        named = `: ${describeConnectionFailure(failure, new URL(url))}`;
      } catch {
        named = "";
      }
    }
    problem = `no login was answered (${login.errors} of ${login.attempts} failed: ${topCounts(login.errorsBy)})${named}`;
  } else if (asExpected === 0) {
    const refusals: Record<string, number> = {};
    for (const [reason, codes] of Object.entries(login.refusedBy)) refusals[reason] = Object.values(codes).reduce((a, b) => a + b, 0);
    problem = `no login got the answer it was sent for: ${login.accepted} accepted, ${login.refused} refused${login.refused > 0 ? ` (${topCounts(refusals)})` : ""}`;
  }
  return { answered, asExpected, problem };
}

/** The figures thresholds look at. */
export function thresholdInputs(report: Omit<LoadReport, "measured" | "thresholds" | "pass">): ThresholdInputs {
  return {
    latency: report.latency,
    rate: report.generator.achievedRate,
    login: report.login,
    renew: report.renew,
    errors: report.login.errors + report.renew.errors + report.logout.errors,
    unexpected: report.unexpected.total,
  };
}

function reportCohorts(p: Population): ReportCohort[] {
  return p.cohorts.map((c) => ({
    name: c.name,
    share: c.share,
    credential: c.credential,
    tokenVersion: c.tokenVersion,
    tokenTtlS: c.tokenTtlSeconds,
    bug: c.bug,
    holdS: c.holdSeconds,
    renewBeforeExpiryS: c.renewBeforeExpirySeconds,
    uids: c.uids,
  }));
}

function cohortCounts(r: PhaseResult, p: Population | null): Record<string, CohortReport> {
  const out: Record<string, CohortReport> = {};
  if (p === null) return out;
  for (const c of p.cohorts) out[c.name] = { share: c.share, expect: expectedReason(c), ...emptyCohortCounts(), ...r.tally.byCohort[c.name] };
  return out;
}

/** Builds the report of one phase and evaluates `thresholds` on it. */
export function buildReport(r: PhaseResult, o: ReportOptions, thresholds: readonly Threshold[], startedAt: Date): LoadReport {
  const pop = o.population ?? null;
  const base: Omit<LoadReport, "measured" | "thresholds" | "pass"> = {
    tool: "rtm-auth load",
    schema: 1,
    startedAt: startedAt.toISOString(),
    target: { url: o.url, urls: o.urls ?? [o.url], appId: o.appId, minting: o.minting },
    options: {
      model: o.model,
      rate: o.rate,
      concurrency: o.concurrency,
      rampUpS: o.model === "closed" ? (o.rampMs ?? 0) / 1000 : null,
      durationS: o.durationMs / 1000,
      mix: pop === null ? formatMix(o.mix) : null,
      invalid: pop === null ? o.invalid : null,
      holdS: pop === null ? o.holdMs / 1000 : null,
      renewEveryS: pop === null ? o.renewEveryMs / 1000 : null,
      profile: o.profile,
      seed: o.seed,
      workers: o.workers,
      processes: o.processes ?? 1,
      timeoutS: o.timeoutMs / 1000,
      tokenTtlS: pop === null ? o.tokenTtlSeconds : null,
      population: pop === null ? null : { file: pop.file, cohorts: reportCohorts(pop.population) },
    },
    machine: { cpus: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    run: { arrivalS: round(r.arrivalMs / 1000), wallS: round(r.wallMs / 1000), prepared: r.prepared, prepareS: round(r.prepareMs / 1000) },
    generator: generatorReport(r, o),
    login: r.tally.login,
    renew: r.tally.renew,
    logout: r.tally.logout,
    byKind: r.tally.byKind,
    cohorts: cohortCounts(r, pop?.population ?? null),
    closes: r.tally.closes,
    serverCloses: r.tally.serverCloses,
    unexpected: { total: r.tally.unexpected, by: r.tally.unexpectedBy },
    latency: { login: summarize(r.histograms.login), renew: summarize(r.histograms.renew), connect: summarize(r.histograms.connect) },
    timeline: r.timeline.map((p) => ({
      t: round(p.t),
      attempts: p.tally.login.attempts,
      accepted: p.tally.login.accepted,
      refused: p.tally.login.refused,
      errors: p.tally.login.errors + p.tally.renew.errors + p.tally.logout.errors,
      unexpected: p.tally.unexpected,
      renewAccepted: p.tally.renew.accepted,
      renewRefused: p.tally.renew.refused,
      renewErrors: p.tally.renew.errors,
      inFlight: p.inFlight,
      sessions: p.sessions,
      loginP50: p.login.p50,
      loginP99: p.login.p99,
      loginMax: p.login.max,
    })),
  };
  const inputs = thresholdInputs(base);
  const results = thresholds.map((t) => evaluateThreshold(t, inputs));
  const measured = measuredOf(r, o.url);
  return { ...base, measured, thresholds: results, pass: results.every((x) => x.pass) && measured.problem === null };
}

// ---- text ----

const fmtMs = (v: number | null): string => (v === null ? "—" : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const pad = (s: string, n: number): string => s.padEnd(n);

function opLines(name: string, c: OpCounts): string[] {
  if (c.attempts === 0) return [];
  const lines = [`  ${pad(name, 8)} ${String(c.attempts).padStart(8)} attempts  ${String(c.accepted).padStart(8)} accepted  ${String(c.refused).padStart(7)} refused  ${String(c.errors).padStart(6)} errors`];
  const refusals = Object.entries(c.refusedBy).sort();
  // The refusal table: the gateway's reason (docs/reasons.md), the profile's wire code and its name, the count.
  if (refusals.length > 0) lines.push(`             refused ${pad("reason", 22)} ${pad("code", 6)} ${pad("name", 34)} count`);
  for (const [reason, codes] of refusals) {
    for (const [key, n] of Object.entries(codes).sort()) {
      const space = key.indexOf(" ");
      const [code, codeName] = space < 0 ? [key, "?"] : [key.slice(0, space), key.slice(space + 1)];
      lines.push(`             refused ${pad(reason, 22)} ${pad(code, 6)} ${pad(codeName, 34)} ${n}`);
    }
  }
  for (const [kind, n] of Object.entries(c.errorsBy).sort()) lines.push(`             error   ${pad(kind, 64)} ${n}`);
  return lines;
}

function latencyLine(name: string, s: LatencySummary): string | null {
  if (s.count === 0) return null;
  return `  ${pad(name, 8)} ${String(s.count).padStart(8)}  p50 ${fmtMs(s.p50).padStart(7)}  p90 ${fmtMs(s.p90).padStart(7)}  p99 ${fmtMs(s.p99).padStart(7)}  max ${fmtMs(s.max).padStart(7)}`;
}

/** Who the users were: `mix …, invalid …, hold …` or `population FILE (cohorts)`. */
export function usersLine(r: LoadReport): string {
  const o = r.options;
  if (o.population !== null) return `population ${o.population.file}: ${o.population.cohorts.map((c) => `${c.name} ${c.share}`).join(", ")}`;
  return `mix ${o.mix}, invalid ${o.invalid}, hold ${o.holdS} s, renew every ${o.renewEveryS ? `${o.renewEveryS} s` : "never"}`;
}

/** The report as text (what the CLI prints). */
export function formatReport(r: LoadReport): string {
  const o = r.options;
  const g = r.generator;
  const out: string[] = [];
  const what = o.model === "open" ? `${o.rate}/s arrivals` : `${o.concurrency} users kept going${o.rampUpS ? ` (started over ${o.rampUpS} s)` : ""}`;
  out.push(`rtm-auth load: ${r.target.urls.join(", ")}  app ${r.target.appId}  ${what} for ${o.durationS} s  (${o.profile}, ${usersLine(r)}, seed ${o.seed})`);
  out.push("");
  out.push(`generator  ${g.engines} engine thread(s)${g.processes > 1 ? ` in ${g.processes} processes` : ""} on ${g.cpus} CPUs; tokens minted by ${r.target.minting === "admin" ? "the admin API" : "the token core"} (${r.run.prepared} ahead, ${r.run.prepareS} s)`);
  out.push(
    `  rate: ${g.targetRate === null ? "" : `target ${g.targetRate}/s, `}achieved ${g.achievedRate}/s started, ${g.answeredRate}/s answered; CPU ${g.cpuSeconds} s (${g.cpuCores} cores); busiest thread ${Math.round(g.eluMean * 100)}% (peak ${Math.round(g.eluMax * 100)}%)${g.lagP99Ms === null ? "" : `; arrival lag p99 ${fmtMs(g.lagP99Ms)} ms`}`,
  );
  if (r.measured.answered === 0) out.push("  nothing measured: no login was answered, so these figures say nothing about the gateway's pace");
  else out.push(g.saturated ? `  SATURATED: ${g.saturation.join("; ")} — the figures may describe the generator, not the gateway` : "  not saturated: the gateway, not the generator, set the pace");
  out.push("");
  out.push("outcomes");
  out.push(...opLines("login", r.login), ...opLines("renew", r.renew), ...opLines("logout", r.logout));
  const kinds = Object.entries(r.byKind).sort();
  if (kinds.length > 0) {
    out.push("  by credential:");
    for (const [k, c] of kinds) out.push(`    ${pad(k, 17)} ${String(c.attempts).padStart(8)} attempts  ${String(c.accepted).padStart(8)} accepted  ${String(c.refused).padStart(7)} refused  ${String(c.errors).padStart(6)} errors`);
  }
  const cohorts = Object.entries(r.cohorts);
  if (cohorts.length > 0) {
    out.push("  by cohort (share; expected answer):");
    for (const [name, c] of cohorts) {
      out.push(
        `    ${pad(`${name} (${c.share}; ${c.expect ?? "accept"})`, 40)} ${String(c.attempts).padStart(7)} attempts  ${String(c.accepted).padStart(7)} accepted  ${String(c.refused).padStart(6)} refused  ${String(c.errors).padStart(5)} errors` +
          `${c.skipped > 0 ? `  ${c.skipped} skipped` : ""}${c.renewals > 0 ? `  ${c.renewals} renewals (${c.renewRefused} refused)` : ""}${c.unexpected > 0 ? `  ${c.unexpected} unexpected` : ""}`,
      );
      for (const [reason, n] of Object.entries(c.refusedBy).sort()) out.push(`      refused ${pad(reason, 22)} ${n}`);
      for (const [code, n] of Object.entries(c.ended).sort()) out.push(`      ended by the gateway: close ${code} ×${n}`);
    }
  }
  const closes = Object.entries(r.closes).sort();
  if (closes.length > 0) out.push(`  close codes: ${closes.map(([c, n]) => `${c} ×${n}`).join(", ")}${Object.keys(r.serverCloses).length > 0 ? `  (the gateway closed first: ${Object.entries(r.serverCloses).map(([c, n]) => `${c} ×${n}`).join(", ")})` : ""}`);
  out.push(`  unexpected: ${r.unexpected.total}`);
  for (const [what2, n] of Object.entries(r.unexpected.by).sort((a, b) => b[1] - a[1]).slice(0, 10)) out.push(`    ${pad(what2, 70)} ${n}`);
  out.push("");
  out.push("latency (ms; login = connect + upgrade + login reply)");
  for (const line of [latencyLine("login", r.latency.login), latencyLine("renew", r.latency.renew), latencyLine("connect", r.latency.connect)]) if (line !== null) out.push(line);
  if (r.thresholds.length > 0) {
    out.push("");
    out.push("thresholds");
    for (const t of r.thresholds) out.push(`  ${pad(t.threshold, 28)} ${pad(t.actual === null ? "no value" : String(round(t.actual, 3)), 12)} ${t.pass ? "PASS" : "FAIL"}`);
  }
  if (r.measured.problem !== null) {
    out.push("");
    out.push(`FAIL: ${r.measured.problem}`);
  }
  return `${out.join("\n")}\n`;
}
