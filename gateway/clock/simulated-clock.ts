import type { Clock } from "../../core/clock.js";

/**
 * The gateway's clock: real time by default, which can be set, frozen and advanced (the
 * simulated clock of docs/architecture.md, "Time"). This file and the composition root are the only
 * places that read the system time. Listeners hear every jump (set/advance/freeze changes),
 * so the expiry scheduler fires everything that became due, in order, before the call returns.
 */
export class SimulatedClock implements Clock {
  /** Offset from system time while running, ms. */
  private offsetMs = 0;
  /** The frozen instant, ms, or null while running. */
  private frozenAt: number | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly systemNow: () => number;

  constructor(options: { frozenAtSeconds?: number; systemNow?: () => number } = {}) {
    this.systemNow = options.systemNow ?? Date.now;
    if (options.frozenAtSeconds !== undefined) this.frozenAt = options.frozenAtSeconds * 1000;
  }

  nowMillis(): number {
    return this.frozenAt ?? this.systemNow() + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.nowMillis() / 1000);
  }

  /** True while the clock does not move by itself. */
  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  /** Moves the clock by `seconds` (may be negative or fractional), frozen or not. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError("seconds must be a finite number");
    if (this.frozenAt !== null) this.frozenAt += seconds * 1000;
    else this.offsetMs += seconds * 1000;
    this.jumped();
  }

  /** Sets the current time to `seconds` (Unix), keeping the frozen/running state. */
  set(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError("seconds must be a finite number");
    if (this.frozenAt !== null) this.frozenAt = seconds * 1000;
    else this.offsetMs = seconds * 1000 - this.systemNow();
    this.jumped();
  }

  /** Stops (true) or restarts (false) the clock at its current reading. */
  freeze(frozen: boolean): void {
    if (frozen === this.frozen) return;
    const now = this.nowMillis();
    if (frozen) this.frozenAt = now;
    else {
      this.frozenAt = null;
      this.offsetMs = now - this.systemNow();
    }
    this.jumped();
  }

  /** Back to real time, running. */
  reset(): void {
    this.frozenAt = null;
    this.offsetMs = 0;
    this.jumped();
  }

  /** Calls `listener` after every jump. Returns an unsubscribe function. */
  onJump(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private jumped(): void {
    for (const l of this.listeners) l();
  }
}
