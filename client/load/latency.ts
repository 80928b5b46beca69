/**
 * Latency histograms of a load run (hdr-histogram-js): values are recorded in MICROSECONDS with
 * three significant digits, from 1 µs to 10 min (a value above is clamped to the top), in packed
 * (sparse) arrays: a run keeps one histogram per interval for its timeline. Workers
 * send interval histograms to the main thread as compressed base64; the main thread adds them.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";

/** The histograms a run keeps: login (connect included), renew, connect+upgrade, arrival lag. */
export const LATENCY_KINDS = ["login", "renew", "connect", "lag"] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

const HIGHEST_US = 600_000_000;

/** A fresh histogram in microseconds. */
export function newHistogram(): Histogram {
  return build({ bitBucketSize: "packed", lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Records `ms` (a performance.now() difference) in microseconds. */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

/** The histogram as compressed base64, or null when it is empty. */
export function encodeHistogram(h: Histogram): string | null {
  return h.totalCount === 0 ? null : encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  const h = decodeFromCompressedBase64(encoded);
  into.add(h);
  h.destroy();
}

/** Percentiles of a latency distribution, milliseconds (null fields when nothing was recorded). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

const ms = (us: number): number => Math.round(us) / 1000;

/** p50/p90/p99/max/mean of `h` in milliseconds. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: Math.round(h.mean) / 1000,
  };
}
