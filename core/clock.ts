/**
 * The Clock port. Token fields are whole Unix **seconds**; rate windows need milliseconds.
 * Every expiry comparison and rate window reads an injected Clock; nothing in `core/` or
 * `policies/` reads the system time directly.
 *
 * Boundary rule, written once (docs/tokens.md, "Expiry"): a time `t` has expired when `now > t`;
 * the expiry second itself is still valid.
 */
export interface Clock {
  /** The current time in whole Unix seconds (`floor(nowMillis() / 1000)`). */
  nowSeconds(): number;
  /** The current time in Unix milliseconds. */
  nowMillis(): number;
}

/** True when `expiry` has passed at `now` (both Unix seconds): `now > expiry`. */
export function isPast(expiry: number, now: number): boolean {
  return now > expiry;
}

/** A clock that only moves when told to: for tests and for reasoning in pure code. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(startSeconds: number) {
    this.ms = startSeconds * 1000;
  }

  nowSeconds(): number {
    return Math.floor(this.ms / 1000);
  }

  nowMillis(): number {
    return this.ms;
  }

  /** Moves the clock forward by `seconds` (may be fractional). */
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }

  /** Sets the clock to `seconds`. */
  set(seconds: number): void {
    this.ms = seconds * 1000;
  }
}
