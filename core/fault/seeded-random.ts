/**
 * A tiny seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every run and platform, so a probabilistic fault rule decides the same way for the same
 * traffic. Not for anything secret. `Math.random` is never used for faults.
 */
export class SeededRandom {
  private state: number;

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}
