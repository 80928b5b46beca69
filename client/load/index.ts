/**
 * The load generator of the client package (`rtm-auth load`): virtual users on raw sockets,
 * spread over worker threads, with a report by outcome, reason and code, latency histograms,
 * thresholds, an HTML report and a capacity search. It imports the token core and the wire
 * types, never the gateway.
 */
export { LoadDriver } from "./load-driver.js";
export type { DriverOptions, LoadPhase, PhaseResult, Progress, TimelinePoint } from "./load-driver.js";
export { buildReport, formatReport, ACHIEVED_RATE_FLOOR, ELU_CEILING, LAG_P99_CEILING_MS } from "./load-report.js";
export type { CohortReport, GeneratorReport, LoadReport, ReportCohort, ReportOptions, ReportPoint } from "./load-report.js";
export { renderHtmlReport } from "./html-report.js";
export { findCapacity, nextRate } from "./capacity.js";
export type { CapacityOptions, CapacityResult, CapacityStep } from "./capacity.js";
export { parseThreshold, evaluateThreshold, THRESHOLD_OPS } from "./threshold.js";
export type { Threshold, ThresholdInputs, ThresholdMetric, ThresholdOp, ThresholdResult } from "./threshold.js";
export { parseMix, formatMix, drawKind, DEFAULT_MIX, CREDENTIAL_KINDS, LoadOptionError } from "./mix.js";
export type { CredentialKind, Mix, MixEntry } from "./mix.js";
export { parseDuration, formatDuration } from "./duration.js";
export {
  parsePopulation,
  loadPopulation,
  PopulationError,
  cohortUid,
  drawCohort,
  bugReason,
  expectedReason,
  mintCohortToken,
  wrongUidFor,
  formatPopulation,
  POPULATION_BUGS,
  POPULATION_CREDENTIALS,
  RECONNECT_BEHAVIOURS,
  MAX_COHORTS,
  MAX_UIDS_PER_COHORT,
  EXPIRED_BY_SECONDS,
} from "./population.js";
export type { Cohort, CohortTokenInput, Population, PopulationBug, PopulationCredential, ReconnectBehaviour } from "./population.js";
export { PopulationRunner, emptyCohortStep, endReason } from "./population-runner.js";
export type { CohortStepResult, PopulationRunnerOptions, PopulationStepResult, StepOptions } from "./population-runner.js";
export { MintError, INVALID_TOKEN_REASON } from "./credentials.js";
export type { Minting } from "./credentials.js";
export type { CohortCounts, KindCounts, OpCounts, Tally } from "./tally.js";
export type { LatencySummary } from "./latency.js";
