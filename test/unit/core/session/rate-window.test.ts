import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RateWindow } from "../../../../core/session/rate-window.js";

const T = 1_718_000_000_000;

describe("RateWindow (at most `limit` calls in any 1000 ms)", () => {
  it("limit 2: the third call within 1000 ms is refused", () => {
    const w = new RateWindow(2);
    expect(w.hit(T)).toBe(true);
    expect(w.hit(T + 10)).toBe(true);
    expect(w.hit(T + 999)).toBe(false);
  });

  it("limit 2: refused calls count, so later calls measure from them", () => {
    const w = new RateWindow(2);
    expect(w.hit(T)).toBe(true);
    expect(w.hit(T + 500)).toBe(true);
    expect(w.hit(T + 999)).toBe(false); // two back: T → 999 ms
    // The refused call at T + 999 is remembered: two back from here is T + 500.
    expect(w.hit(T + 1000)).toBe(false);
    // Now the calls two back are the refused ones at T + 999 and T + 1000.
    expect(w.hit(T + 1998)).toBe(false); // two back: T + 999 → 999 ms
    expect(w.hit(T + 2000)).toBe(true); // two back: T + 1000 → 1000 ms
  });

  it("limit 2: exactly +1000 ms with no refused calls in between is allowed", () => {
    const w = new RateWindow(2);
    expect(w.hit(T)).toBe(true);
    expect(w.hit(T + 500)).toBe(true);
    expect(w.hit(T + 1000)).toBe(true);
    expect(w.hit(T + 1499)).toBe(false);
  });

  it("refused calls count: hammering keeps the window shut until it goes quiet", () => {
    const w = new RateWindow(2);
    expect(w.hit(T)).toBe(true);
    expect(w.hit(T)).toBe(true);
    // Every call 600 ms apart: each refusal is remembered, so the call two back is always 1200 ms old …
    expect(w.hit(T + 600)).toBe(false);
    expect(w.hit(T + 1200)).toBe(true);
    // … but a burst keeps refusing, since refused calls fill the window.
    expect(w.hit(T + 1300)).toBe(false);
    expect(w.hit(T + 1400)).toBe(false);
    expect(w.hit(T + 2299)).toBe(false); // two back is T + 1300 → 999 ms
    expect(w.hit(T + 2400)).toBe(true); // two back is T + 1400 → 1000 ms
  });

  it("all calls at one frozen instant: only `limit` are allowed", () => {
    const w = new RateWindow(3);
    const results = Array.from({ length: 6 }, () => w.hit(T));
    expect(results).toEqual([true, true, true, false, false, false]);
  });

  it("limit 1: one call per second", () => {
    const w = new RateWindow(1);
    expect(w.hit(T)).toBe(true);
    expect(w.hit(T + 999)).toBe(false);
    expect(w.hit(T + 1999)).toBe(true);
  });

  it("rejects a limit that is not a positive integer", () => {
    expect(() => new RateWindow(0)).toThrow(RangeError);
    expect(() => new RateWindow(-1)).toThrow(RangeError);
    expect(() => new RateWindow(1.5)).toThrow(RangeError);
    expect(() => new RateWindow(Number.NaN)).toThrow(RangeError);
  });

  it("property: matches the model 'allowed iff the call `limit` attempts back is >= 1000 ms old'", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 60 }), (limit, gaps) => {
        const w = new RateWindow(limit);
        const attempts: number[] = [];
        let now = T;
        for (const gap of gaps) {
          now += gap;
          const back = attempts.length >= limit ? attempts[attempts.length - limit]! : Number.NEGATIVE_INFINITY;
          expect(w.hit(now)).toBe(now - back >= 1000);
          attempts.push(now);
        }
      }),
    );
  });
});
