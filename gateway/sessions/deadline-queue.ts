import type { Connection } from "./connection.js";

/**
 * The login deadlines of all connections in one queue with one timer (not a timer per
 * connection). Every deadline is the same length, so the queue is in deadline order; an entry
 * whose connection logged in, closed, or was queued again since is skipped when it comes due.
 */
export class DeadlineQueue {
  private conns: Connection[] = [];
  private times: number[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly ms: number;
  private readonly onDue: (conn: Connection) => void;

  /** `onDue(conn)` runs for each connection whose deadline passed while it still awaited login. */
  constructor(ms: number, onDue: (conn: Connection) => void) {
    this.ms = ms;
    this.onDue = onDue;
  }

  /** Starts (or restarts) `conn`'s deadline now. */
  add(conn: Connection): void {
    const at = performance.now() + this.ms;
    conn.deadlineAt = at;
    this.conns.push(conn);
    this.times.push(at);
    if (this.timer === null) this.arm(this.ms);
  }

  /** Stops every deadline. */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.conns = [];
    this.times = [];
    this.head = 0;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, delay));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    while (this.head < this.conns.length) {
      const at = this.times[this.head] as number;
      if (at > now) break;
      const conn = this.conns[this.head] as Connection;
      this.conns[this.head] = undefined as unknown as Connection; // let it be collected
      this.head++;
      if (conn.deadlineAt === at && conn.phase === "awaiting_login") this.onDue(conn);
    }
    if (this.head === this.conns.length) {
      this.conns = [];
      this.times = [];
      this.head = 0;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.conns.length) {
      this.conns = this.conns.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    this.arm((this.times[this.head] as number) - now);
  }
}
