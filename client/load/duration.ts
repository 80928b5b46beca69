/** Durations in load options: `30s`, `500ms`, `2m`, `1h`, or a bare number of seconds. */
import { LoadOptionError } from "./mix.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds for `text`; throws {@link LoadOptionError} naming `option` when it is not a
 * non-negative duration.
 */
export function parseDuration(text: string, option: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (m === null) throw new LoadOptionError(`${option}: ${JSON.stringify(text)} is not a duration (e.g. 30s, 500ms, 2m)`);
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1_000);
  if (!Number.isFinite(ms)) throw new LoadOptionError(`${option}: ${JSON.stringify(text)} is out of range`);
  return Math.round(ms);
}

/** `1.5 s`, `250 ms`, `2 min` — for reports. */
export function formatDuration(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Number((ms / 1_000).toFixed(3))} s`;
  return `${ms} ms`;
}
