/**
 * One scheduler for every session's token timers (will-expire and expire): a binary min-heap
 * ordered by (time, insertion sequence). It holds no timers itself: the gateway asks for the
 * next due time and calls {@link ExpiryScheduler.takeDue} when the clock reaches it, or jumps
 * past it, so a clock that jumps fires everything due, in time order.
 *
 * Cancelling is eager: {@link ExpiryScheduler.schedule} returns the entry, and
 * {@link ExpiryScheduler.cancel} takes it out of the heap in O(log n). A closed session must not
 * stay reachable until its token would have expired (up to 24 h): that retention is what made
 * a long load test grow the gateway's memory by ~4.6 KB per login (docs/robustness.md).
 */
export interface ScheduledItem<T> {
  /** Unix seconds at which the item is due (due when `at <= now`). */
  readonly at: number;
  readonly seq: number;
  readonly value: T;
  /** A number the owner chooses, e.g. what the timer does when it fires. */
  readonly tag: number;
}

/** A heap entry: the item and its position in the heap (-1 once taken or cancelled). */
interface Entry<T> extends ScheduledItem<T> {
  index: number;
}

export class ExpiryScheduler<T> {
  private readonly heap: Array<Entry<T>> = [];
  private seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `value` to be due at `at` (Unix seconds), with an owner's `tag`; returns the entry (for {@link cancel}). */
  schedule(at: number, value: T, tag = 0): ScheduledItem<T> {
    const item: Entry<T> = { at, seq: this.seq++, value, tag, index: this.heap.length };
    this.heap.push(item);
    this.up(item.index);
    return item;
  }

  /** Removes a queued entry; false when it was already taken or cancelled. */
  cancel(item: ScheduledItem<T>): boolean {
    const e = item as Entry<T>;
    const h = this.heap;
    const i = e.index;
    if (i < 0 || h[i] !== e) return false;
    e.index = -1;
    const last = h.pop() as Entry<T>;
    if (last !== e) {
      h[i] = last;
      last.index = i;
      // The moved entry may belong above or below its new place.
      if (i > 0 && less(last, h[(i - 1) >> 1] as Entry<T>)) this.up(i);
      else this.down(i);
    }
    return true;
  }

  /** The earliest due time, or undefined when empty. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Removes and returns every item due at `now`, in (time, insertion) order. */
  takeDue(now: number): Array<ScheduledItem<T>> {
    const out: Array<ScheduledItem<T>> = [];
    while (this.heap.length > 0 && (this.heap[0] as Entry<T>).at <= now) out.push(this.pop());
    return out;
  }

  /**
   * Removes and returns the earliest item due at `now`, or undefined. Taking items one at a time
   * lets an owner queue a follow-up that is already due and still see everything in time order.
   */
  popDue(now: number): ScheduledItem<T> | undefined {
    return this.heap.length > 0 && (this.heap[0] as Entry<T>).at <= now ? this.pop() : undefined;
  }

  /** Drops every item. */
  clear(): void {
    for (const e of this.heap) e.index = -1;
    this.heap.length = 0;
  }

  private pop(): Entry<T> {
    const top = this.heap[0] as Entry<T>;
    this.cancel(top);
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    const item = h[i] as Entry<T>;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Entry<T>;
      if (!less(item, p)) break;
      h[i] = p;
      p.index = i;
      i = parent;
    }
    h[i] = item;
    item.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const item = h[i] as Entry<T>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && less(h[r] as Entry<T>, h[l] as Entry<T>) ? r : l;
      const child = h[c] as Entry<T>;
      if (!less(child, item)) break;
      h[i] = child;
      child.index = i;
      i = c;
    }
    h[i] = item;
    item.index = i;
  }
}

function less<T>(a: ScheduledItem<T>, b: ScheduledItem<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
