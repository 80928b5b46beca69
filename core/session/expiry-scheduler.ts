/**
 * One scheduler for every session's token timers (will-expire and expire): a binary min-heap
 * ordered by (time, insertion sequence). It holds no timers itself: the gateway asks for the
 * next due time and calls {@link ExpiryScheduler.takeDue} when the clock reaches it, or jumps
 * past it, so a clock that jumps fires everything due, in time order.
 *
 * Cancelling is lazy: an entry carries its owner's timer generation, and the owner ignores
 * entries whose generation is stale (a renew re-arms by bumping the generation).
 */
export interface ScheduledItem<T> {
  /** Unix seconds at which the item is due (due when `at <= now`). */
  readonly at: number;
  readonly seq: number;
  readonly value: T;
  /** A number the owner chooses, e.g. its timer generation (lazy cancel without an extra object). */
  readonly tag: number;
}

export class ExpiryScheduler<T> {
  private readonly heap: Array<ScheduledItem<T>> = [];
  private seq = 0;

  /** Number of queued items, stale ones included. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `value` to be due at `at` (Unix seconds), with an owner's `tag`. */
  schedule(at: number, value: T, tag = 0): void {
    const item = { at, seq: this.seq++, value, tag };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(item, h[parent] as ScheduledItem<T>)) break;
      h[i] = h[parent] as ScheduledItem<T>;
      i = parent;
    }
    h[i] = item;
  }

  /** The earliest due time, or undefined when empty. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Removes and returns every item due at `now`, in (time, insertion) order. */
  takeDue(now: number): Array<ScheduledItem<T>> {
    const out: Array<ScheduledItem<T>> = [];
    while (this.heap.length > 0 && (this.heap[0] as ScheduledItem<T>).at <= now) out.push(this.pop());
    return out;
  }

  /**
   * Removes and returns the earliest item due at `now`, or undefined. Taking items one at a time
   * lets an owner queue a follow-up that is already due and still see everything in time order.
   */
  popDue(now: number): ScheduledItem<T> | undefined {
    return this.heap.length > 0 && (this.heap[0] as ScheduledItem<T>).at <= now ? this.pop() : undefined;
  }

  /** Drops every item. */
  clear(): void {
    this.heap.length = 0;
  }

  private pop(): ScheduledItem<T> {
    const h = this.heap;
    const top = h[0] as ScheduledItem<T>;
    const last = h.pop() as ScheduledItem<T>;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r] as ScheduledItem<T>, h[l] as ScheduledItem<T>) ? r : l;
        if (!less(h[c] as ScheduledItem<T>, last)) break;
        h[i] = h[c] as ScheduledItem<T>;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less<T>(a: ScheduledItem<T>, b: ScheduledItem<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
