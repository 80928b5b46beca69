/** Something that answers "may one more call happen at `nowMs`?" and records it. */
export interface RateLimiter {
  hit(nowMs: number): boolean;
}

/**
 * "At most `limit` calls in any 1000 ms": remembers the last `limit` call times in a ring.
 * Every attempt counts, refused or not, as the SDKs count calls.
 */
export class RateWindow implements RateLimiter {
  private readonly times: number[];
  private next = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
    this.times = new Array<number>(limit).fill(Number.NEGATIVE_INFINITY);
  }

  /** Records a call at `nowMs`; false when it is one too many for the window. */
  hit(nowMs: number): boolean {
    // The oldest remembered call is the one `limit` calls ago.
    const oldest = this.times[this.next] as number;
    this.times[this.next] = nowMs;
    this.next = (this.next + 1) % this.limit;
    return nowMs - oldest >= 1000;
  }
}
