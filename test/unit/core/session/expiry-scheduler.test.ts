import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExpiryScheduler, type Scheduled } from "../../../../core/session/expiry-scheduler.js";

/** An item the scheduler can queue: a value and the four fields the heap keeps on it. */
type Entry<V> = Scheduled & { readonly value: V };
const entry = <V>(value: V): Entry<V> => ({ value, timerAt: 0, timerSeq: 0, timerTag: 0, timerIndex: -1 });

describe("ExpiryScheduler (one min-heap by time, then insertion)", () => {
  it("is empty at first", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    expect(s.size).toBe(0);
    expect(s.nextAt()).toBeUndefined();
    expect(s.takeDue(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("orders by time, then by insertion for equal times", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    s.schedule(entry("c1"), 30);
    s.schedule(entry("a1"), 10);
    s.schedule(entry("b1"), 20);
    s.schedule(entry("a2"), 10);
    s.schedule(entry("c2"), 30);
    s.schedule(entry("a3"), 10);
    expect(s.size).toBe(6);
    expect(s.nextAt()).toBe(10);
    expect(s.takeDue(100).map((i) => i.value)).toEqual(["a1", "a2", "a3", "b1", "c1", "c2"]);
    expect(s.size).toBe(0);
  });

  it("takeDue(now) takes items with at <= now and keeps the rest", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    s.schedule(entry("x"), 100);
    s.schedule(entry("y"), 101);
    s.schedule(entry("w"), 99);
    expect(s.takeDue(98)).toEqual([]);
    expect(s.nextAt()).toBe(99);
    expect(s.takeDue(99).map((i) => i.value)).toEqual(["w"]);
    // The boundary second itself is due.
    expect(s.takeDue(100).map((i) => i.value)).toEqual(["x"]);
    expect(s.nextAt()).toBe(101);
    expect(s.size).toBe(1);
    expect(s.takeDue(100)).toEqual([]);
    expect(s.takeDue(101).map((i) => i.value)).toEqual(["y"]);
    expect(s.nextAt()).toBeUndefined();
  });

  it("returns items with their time and a growing sequence number", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    s.schedule(entry("a"), 5);
    s.schedule(entry("b"), 5);
    const [first, second] = s.takeDue(5);
    expect(first).toMatchObject({ timerAt: 5, value: "a" });
    expect(second).toMatchObject({ timerAt: 5, value: "b" });
    expect(second!.timerSeq).toBeGreaterThan(first!.timerSeq);
  });

  it("keeps insertion order across takes: items scheduled later at an equal time come after", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    s.schedule(entry("early"), 10);
    expect(s.takeDue(0)).toEqual([]);
    s.schedule(entry("late"), 10);
    s.schedule(entry("earlier"), 5);
    expect(s.takeDue(10).map((i) => i.value)).toEqual(["earlier", "early", "late"]);
  });

  it("clear() drops everything", () => {
    const s = new ExpiryScheduler<Entry<number>>();
    for (let i = 0; i < 10; i++) s.schedule(entry(i), i);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.nextAt()).toBeUndefined();
    expect(s.takeDue(100)).toEqual([]);
  });

  it("property: any set of items comes out sorted by (at, insertion), and each exactly once", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), fc.array(fc.integer({ min: -60, max: 60 }), { maxLength: 8 }), (times, cuts) => {
        const s = new ExpiryScheduler<Entry<number>>();
        times.forEach((at, index) => s.schedule(entry(index), at));
        const out: Array<Entry<number>> = [];
        // Take in a few steps (in increasing order), then everything.
        for (const now of [...cuts].sort((a, b) => a - b)) {
          const due = s.takeDue(now);
          for (const item of due) expect(item.timerAt).toBeLessThanOrEqual(now);
          const next = s.nextAt();
          if (next !== undefined) expect(next).toBeGreaterThan(now);
          out.push(...due);
        }
        out.push(...s.takeDue(Number.MAX_SAFE_INTEGER));
        expect(s.size).toBe(0);
        const expected = times.map((at, index) => ({ at, value: index })).sort((a, b) => a.at - b.at || a.value - b.value);
        expect(out.map((i) => ({ at: i.timerAt, value: i.value }))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("property: interleaved schedule/takeDue never returns an item before its time", () => {
    type Step = { kind: "add"; at: number } | { kind: "take"; now: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.integer({ min: 0, max: 100 }).map((at) => ({ kind: "add" as const, at })),
      fc.integer({ min: 0, max: 100 }).map((now) => ({ kind: "take" as const, now })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        const s = new ExpiryScheduler<Entry<number>>();
        // Reference model: a plain list, kept sorted by (at, insertion).
        let model: Array<{ at: number; n: number }> = [];
        let n = 0;
        for (const st of steps) {
          if (st.kind === "add") {
            s.schedule(entry(n), st.at);
            model.push({ at: st.at, n });
            n++;
          } else {
            const got = s.takeDue(st.now).map((i) => i.value);
            const due = model.filter((m) => m.at <= st.now).sort((a, b) => a.at - b.at || a.n - b.n);
            model = model.filter((m) => m.at > st.now);
            expect(got).toEqual(due.map((m) => m.n));
          }
          expect(s.size).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });
  it("cancel() takes an entry out at once; a taken or cancelled entry cannot be cancelled again", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    const a = entry("a");
    s.schedule(a, 10);
    const b = entry("b");
    s.schedule(b, 20);
    const c = entry("c");
    s.schedule(c, 5);
    expect(s.cancel(b)).toBe(true);
    expect(s.size).toBe(2);
    expect(s.cancel(b)).toBe(false);
    expect(s.takeDue(5).map((i) => i.value)).toEqual(["c"]);
    expect(s.cancel(c)).toBe(false);
    expect(s.cancel(a)).toBe(true);
    expect(s.size).toBe(0);
    expect(s.nextAt()).toBeUndefined();
    const d = entry("d");
    s.schedule(d, 1);
    s.clear();
    expect(s.cancel(d)).toBe(false);
  });

  it("property: schedule/cancel/takeDue in any order match a sorted-list model, and nothing cancelled stays", () => {
    type Step = { kind: "add"; at: number } | { kind: "cancel"; pick: number } | { kind: "take"; now: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.integer({ min: 0, max: 100 }).map((at) => ({ kind: "add" as const, at })),
      fc.nat(1000).map((pick) => ({ kind: "cancel" as const, pick })),
      fc.integer({ min: 0, max: 100 }).map((now) => ({ kind: "take" as const, now })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const s = new ExpiryScheduler<Entry<number>>();
        const handles = new Map<number, Entry<number>>();
        let model: Array<{ at: number; n: number }> = [];
        let n = 0;
        for (const st of steps) {
          if (st.kind === "add") {
            const e = entry(n);
            s.schedule(e, st.at);
            handles.set(n, e);
            model.push({ at: st.at, n });
            n++;
          } else if (st.kind === "cancel") {
            if (n === 0) continue;
            const victim = st.pick % n;
            const queued = model.some((m) => m.n === victim);
            expect(s.cancel(handles.get(victim)!)).toBe(queued);
            model = model.filter((m) => m.n !== victim);
          } else {
            const got = s.takeDue(st.now).map((i) => i.value);
            const due = model.filter((m) => m.at <= st.now).sort((a, b) => a.at - b.at || a.n - b.n);
            model = model.filter((m) => m.at > st.now);
            expect(got).toEqual(due.map((m) => m.n));
          }
          expect(s.size).toBe(model.length);
          expect(s.nextAt()).toBe(model.length === 0 ? undefined : Math.min(...model.map((m) => m.at)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("an item is queued at most once: scheduling it again moves it (a new sequence number), has() tells whether it is queued", () => {
    const s = new ExpiryScheduler<Entry<string>>();
    const a = entry("a");
    const b = entry("b");
    expect(s.has(a)).toBe(false);
    s.schedule(a, 10, 7);
    s.schedule(b, 10);
    expect(s.has(a)).toBe(true);
    expect(a.timerTag).toBe(7);
    s.schedule(a, 10, 8); // same time, now after b
    expect(s.size).toBe(2);
    expect(s.takeDue(10).map((i) => [i.value, i.timerTag])).toEqual([
      ["b", 0],
      ["a", 8],
    ]);
    expect(s.has(a)).toBe(false);
    expect(a.timerIndex).toBe(-1);
    s.schedule(a, 30);
    s.schedule(a, 20);
    expect(s.size).toBe(1);
    expect(s.nextAt()).toBe(20);
    s.clear();
    expect(s.has(a)).toBe(false);
    expect(a.timerIndex).toBe(-1);
  });
});
