/**
 * One scheduler for every session's token timers (will-expire and expire): a binary min-heap
 * ordered by (time, insertion sequence). It holds no timers itself: the gateway asks for the
 * next due time and calls {@link ExpiryScheduler.takeDue} when the clock reaches it, or jumps
 * past it, so a clock that jumps fires everything due, in time order.
 *
 * The heap is intrusive: it holds the items themselves, and each item carries its own due time,
 * sequence number, tag and heap position ({@link Scheduled}). An item is queued at most once, and
 * a queued item costs no object beside it (a wrapper entry cost each idle session 64 B).
 *
 * Cancelling is eager: {@link ExpiryScheduler.cancel} takes the item out of the heap in
 * O(log n). A closed session must not stay reachable until its token would have expired (up to
 * 24 h): that retention is what made a long load test grow the gateway's memory by ~4.6 KB per
 * login (docs/robustness.md).
 */
export interface Scheduled {
  /** Unix seconds at which the item is due (due when `timerAt <= now`); set by the scheduler. */
  timerAt: number;
  /** The scheduler's insertion sequence number, for equal times; set by the scheduler. */
  timerSeq: number;
  /** A number the owner chooses at {@link ExpiryScheduler.schedule}, e.g. what the timer does when it fires. */
  timerTag: number;
  /** The item's position in the heap, or -1 when not queued (start it at -1); kept by the scheduler. */
  timerIndex: number;
}

export class ExpiryScheduler<T extends Scheduled> {
  private readonly heap: T[] = [];
  private seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.heap.length;
  }

  /** Whether `item` is queued here. */
  has(item: T): boolean {
    const i = item.timerIndex;
    return i >= 0 && this.heap[i] === item;
  }

  /**
   * Queues `item` to be due at `at` (Unix seconds), with an owner's `tag`. An item already queued
   * is taken out first: it is queued once, anew (a new sequence number).
   */
  schedule(item: T, at: number, tag = 0): void {
    this.cancel(item);
    item.timerAt = at;
    item.timerSeq = this.seq++;
    item.timerTag = tag;
    item.timerIndex = this.heap.length;
    this.heap.push(item);
    this.up(item.timerIndex);
  }

  /** Removes a queued item; false when it was not queued (never, already taken or cancelled). */
  cancel(item: T): boolean {
    if (!this.has(item)) return false;
    const h = this.heap;
    const i = item.timerIndex;
    item.timerIndex = -1;
    const last = h.pop() as T;
    if (last !== item) {
      h[i] = last;
      last.timerIndex = i;
      // The moved item may belong above or below its new place.
      if (i > 0 && less(last, h[(i - 1) >> 1] as T)) this.up(i);
      else this.down(i);
    }
    return true;
  }

  /** The earliest due time, or undefined when empty. */
  nextAt(): number | undefined {
    return this.heap[0]?.timerAt;
  }

  /** Removes and returns every item due at `now`, in (time, insertion) order. */
  takeDue(now: number): T[] {
    const out: T[] = [];
    for (let item = this.popDue(now); item !== undefined; item = this.popDue(now)) out.push(item);
    return out;
  }

  /**
   * Removes and returns the earliest item due at `now`, or undefined. Taking items one at a time
   * lets an owner queue a follow-up that is already due and still see everything in time order.
   */
  popDue(now: number): T | undefined {
    const top = this.heap[0];
    if (top === undefined || top.timerAt > now) return undefined;
    this.cancel(top);
    return top;
  }

  /** Drops every item. */
  clear(): void {
    for (const item of this.heap) item.timerIndex = -1;
    this.heap.length = 0;
  }

  private up(i: number): void {
    const h = this.heap;
    const item = h[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as T;
      if (!less(item, p)) break;
      h[i] = p;
      p.timerIndex = i;
      i = parent;
    }
    h[i] = item;
    item.timerIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const item = h[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && less(h[r] as T, h[l] as T) ? r : l;
      const child = h[c] as T;
      if (!less(child, item)) break;
      h[i] = child;
      child.timerIndex = i;
      i = c;
    }
    h[i] = item;
    item.timerIndex = i;
  }
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.timerAt < b.timerAt || (a.timerAt === b.timerAt && a.timerSeq < b.timerSeq);
}
