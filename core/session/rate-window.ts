/**
 * TOO_OFTEN windows (docs/fidelity.md, "Rate windows"): the SDKs keep one call window per method, so
 * `login`, `renewToken` and `logout` are each counted on their own. Times are milliseconds of a
 * monotonic clock the caller supplies; the gateway passes its real monotonic clock
 * (`performance.now()`), never the simulated one, so a suite that freezes the simulated clock
 * and paces its calls in real time is not refused (docs/fidelity.md, "Rate windows").
 */

/** The methods that have a call window. */
export const RATE_METHODS = ["login", "renewToken", "logout"] as const;
export type RateMethod = (typeof RATE_METHODS)[number];

/** Calls allowed per method in any 1000 ms; each a positive integer. */
export type RateLimits = Readonly<Record<RateMethod, number>>;

/** Something that answers "may one more call of `method` happen at `monotonicMs`?" and records it. */
export interface RateLimiter {
  /**
   * Records a call of `method` at `monotonicMs` (milliseconds of a monotonic clock); false when it
   * is one too many within 1000 ms, or when it comes less than `minSpacingMs` after the previous
   * call of the same method (0 = no spacing rule). Every attempt counts, refused or not, as the
   * SDKs count calls.
   */
  hit(method: RateMethod, monotonicMs: number, minSpacingMs?: number): boolean;
}

/**
 * One window as a flat ring, `[cursor, t0 … t(limit-1)]`: the times of the last `limit` calls
 * (`-Infinity` for none yet) and the slot the next call overwrites. A plain array of doubles is
 * the smallest shape V8 gives this, which matters: one is kept per method per connection.
 */
export type Ring = number[];

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
}

/** A new, empty ring for `limit` calls per 1000 ms; RangeError unless `limit` is a positive integer. */
export function newRing(limit: number): Ring {
  checkLimit(limit);
  const ring = new Array<number>(limit + 1).fill(Number.NEGATIVE_INFINITY);
  ring[0] = 0;
  return ring;
}

/** Records a call at `nowMs` in `ring`; false when it is one too many, or too close to the previous one (see {@link RateLimiter.hit}). */
export function ringHit(ring: Ring, nowMs: number, minSpacingMs = 0): boolean {
  const limit = ring.length - 1;
  const cursor = ring[0] as number;
  // The slot about to be overwritten holds the call `limit` calls ago; the one before it, the last call.
  const oldest = ring[1 + cursor] as number;
  const last = ring[1 + ((cursor + limit - 1) % limit)] as number;
  ring[1 + cursor] = nowMs;
  ring[0] = (cursor + 1) % limit;
  return nowMs - oldest >= 1000 && (minSpacingMs <= 0 || nowMs - last >= minSpacingMs);
}

/**
 * "At most `limit` calls in any 1000 ms": remembers the last `limit` call times in a ring.
 * Every attempt counts, refused or not, as the SDKs count calls.
 */
export class RateWindow {
  private readonly ring: Ring;

  constructor(limit: number) {
    this.ring = newRing(limit);
  }

  /** Records a call at `nowMs`; false when it is one too many for the window. */
  hit(nowMs: number): boolean {
    return ringHit(this.ring, nowMs);
  }
}

/** Validates per-method limits (each a positive integer) and returns them frozen. */
export function rateLimits(limits: RateLimits): RateLimits {
  for (const m of RATE_METHODS) checkLimit(limits[m]);
  return Object.freeze({ login: limits.login, renewToken: limits.renewToken, logout: limits.logout });
}

/**
 * One window per method, each allocated at its method's first call. For callers without a
 * connection of their own (explain's fresh connection, tests); the gateway's Connection keeps
 * the same rings in its own fields.
 */
export class MethodRateWindows implements RateLimiter {
  private readonly limits: RateLimits;
  private readonly rings: Partial<Record<RateMethod, Ring>> = {};

  constructor(limits: RateLimits) {
    this.limits = rateLimits(limits);
  }

  hit(method: RateMethod, monotonicMs: number, minSpacingMs = 0): boolean {
    return ringHit((this.rings[method] ??= newRing(this.limits[method])), monotonicMs, minSpacingMs);
  }
}
