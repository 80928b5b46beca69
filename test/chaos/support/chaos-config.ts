/**
 * Size and seed of the chaos suite (README, "Testing"):
 *
 * - `CHAOS_SCALE` (default 1) multiplies every count (fuzzed frames, fuzzed tokens, logins under
 *   Redis chaos). CI runs 1; a nightly run uses e.g. `CHAOS_SCALE=10`. A positive number.
 * - `CHAOS_SEED` (default fixed per file) replaces the seed of every generator, to explore other
 *   inputs; a failure prints the seed it ran with, so any run can be replayed exactly.
 *
 * The generator is the project's mulberry32 (core/fault/seeded-random.ts): the same seed gives the
 * same inputs on every machine.
 */
import { SeededRandom } from "../../../core/fault/seeded-random.js";

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}

/** The multiplier of every count (CHAOS_SCALE). */
export const CHAOS_SCALE = positiveNumber("CHAOS_SCALE", 1);

/** `n` times CHAOS_SCALE, rounded up, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.ceil(n * CHAOS_SCALE));
}

/** The seed to use: CHAOS_SEED when given, else the file's own fixed seed. */
export function chaosSeed(fixed: number): number {
  return Math.floor(positiveNumber("CHAOS_SEED", fixed)) >>> 0;
}

/** A seeded generator with the helpers the fuzzers need. Not for anything secret. */
export class ChaosRandom {
  private readonly r: SeededRandom;

  constructor(seed: number) {
    this.r = new SeededRandom(seed);
  }

  /** [0, 1). */
  next(): number {
    return this.r.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.r.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.r.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(table: ReadonlyArray<readonly [number, T]>): T {
    const total = table.reduce((s, [w]) => s + w, 0);
    let x = this.r.next() * total;
    for (const [w, v] of table) {
      if ((x -= w) < 0) return v;
    }
    return table[table.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  u32(): number {
    return this.int(0x1_0000_0000) >>> 0;
  }
}
