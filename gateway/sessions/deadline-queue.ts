import type { Connection } from "./connection.js";

/**
 * The login deadlines of all connections in one queue with one timer (not a timer per
 * connection). Every deadline is the same length, so appending keeps the queue in deadline
 * order. The queue is a doubly linked list threaded through the connections themselves
 * (`deadlinePrev`/`deadlineNext`): a connection leaves it in O(1) when it logs in or closes, so
 * a closed connection is never kept reachable by a pending deadline (docs/robustness.md).
 */
export class DeadlineQueue {
  private head: Connection | null = null;
  private tail: Connection | null = null;
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly ms: number;
  private readonly onDue: (conn: Connection) => void;

  /** `onDue(conn)` runs for each connection whose deadline passed while it still awaited login. */
  constructor(ms: number, onDue: (conn: Connection) => void) {
    this.ms = ms;
    this.onDue = onDue;
  }

  /** Connections waiting for their deadline. */
  get size(): number {
    return this.count;
  }

  /** Starts (or restarts) `conn`'s deadline now. */
  add(conn: Connection): void {
    this.remove(conn);
    // A whole ms (rounded up: never early), so the field holds a small integer (Connection.deadlineAt).
    conn.deadlineAt = Math.ceil(performance.now() + this.ms);
    conn.deadlinePrev = this.tail;
    if (this.tail === null) this.head = conn;
    else this.tail.deadlineNext = conn;
    this.tail = conn;
    this.count++;
    if (this.timer === null) this.arm(this.ms);
  }

  /** Takes `conn` out of the queue (login, close); no-op when it is not queued. */
  remove(conn: Connection): void {
    if (conn.deadlineAt === 0) return;
    const prev = conn.deadlinePrev;
    const next = conn.deadlineNext;
    if (prev === null) this.head = next;
    else prev.deadlineNext = next;
    if (next === null) this.tail = prev;
    else next.deadlinePrev = prev;
    conn.deadlinePrev = null;
    conn.deadlineNext = null;
    conn.deadlineAt = 0;
    this.count--;
  }

  /** Stops every deadline. */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.head !== null) this.remove(this.head);
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, delay));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    for (let conn = this.head; conn !== null && conn.deadlineAt <= now; conn = this.head) {
      this.remove(conn);
      if (conn.phase === "awaiting_login") this.onDue(conn);
    }
    if (this.head !== null) this.arm(this.head.deadlineAt - now);
  }
}
