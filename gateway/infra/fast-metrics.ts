/**
 * Hot-path metric primitives for prom-client. prom-client hashes a label object on every
 * `inc()`/`observe()` (and builds a closure per observe); a login pays that on each decision.
 * These keep plain counts keyed by a label key the caller already has, and hand them to
 * prom-client only when a scrape asks: the values and the exposition format stay prom-client's.
 */
import type { Counter, Registry } from "prom-client";

/**
 * Counts per label combination in plain numbers, folded into a prom-client Counter from its
 * `collect()` (call {@link PendingCounter.flush} there).
 */
export class PendingCounter<L extends Record<string, string>> {
  private readonly pending = new Map<string, { readonly labels: L; n: number }>();
  private readonly counter: Counter<Extract<keyof L, string>>;

  constructor(counter: Counter<Extract<keyof L, string>>) {
    this.counter = counter;
  }

  /**
   * Adds one for `key`; `labels()` runs only the first time a key is seen. Returns the key's
   * pending count: a caller may add to its `n` directly for more of the same key.
   */
  inc(key: string, labels: () => L): { n: number } {
    let e = this.pending.get(key);
    if (e !== undefined) e.n++;
    else this.pending.set(key, (e = { labels: labels(), n: 1 }));
    return e;
  }

  /** Moves the pending counts into the prom-client counter. */
  flush(): void {
    for (const e of this.pending.values()) {
      if (e.n === 0) continue;
      this.counter.inc(e.labels, e.n);
      e.n = 0;
    }
  }
}

/**
 * A histogram with one label, kept as bucket counts in typed arrays and exposed to a prom-client
 * Registry as a metric of type `histogram` (cumulative `_bucket{le}`, `_sum`, `_count`).
 */
export class SingleLabelHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly labelName: string;
  private readonly bounds: readonly number[];
  private series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(options: { name: string; help: string; labelName: string; buckets: readonly number[]; registers: readonly Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelName = options.labelName;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    for (const r of options.registers) r.registerMetric(this as never);
  }

  observe(label: string, value: number): void {
    let s = this.series.get(label);
    if (s === undefined) this.series.set(label, (s = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }));
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }

  /** prom-client's metric interface: the values of every series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const [label, s] of this.series) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le: this.bounds[i] as number, [this.labelName]: label }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: "+Inf", [this.labelName]: label }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { [this.labelName]: label }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.labelName]: label }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics(). */
  reset(): void {
    this.series = new Map();
  }
}
