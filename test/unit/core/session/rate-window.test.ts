import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MethodRateWindows, newRing, RATE_METHODS, RateWindow, ringHit } from "../../../../core/session/rate-window.js";

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

describe("MethodRateWindows: one window per method (docs/fidelity.md, \"Rate windows\")", () => {
  it("login, renewToken and logout are counted apart: two of each at one instant all pass, the third of any is refused", () => {
    const w = new MethodRateWindows({ login: 2, renewToken: 2, logout: 2 });
    for (const m of RATE_METHODS) expect([w.hit(m, T), w.hit(m, T)]).toEqual([true, true]);
    for (const m of RATE_METHODS) expect(w.hit(m, T + 999)).toBe(false);
    for (const m of RATE_METHODS) expect(w.hit(m, T + 1999)).toBe(true);
  });

  it("each method has its own limit", () => {
    const w = new MethodRateWindows({ login: 1, renewToken: 3, logout: 2 });
    expect([w.hit("login", T), w.hit("login", T)]).toEqual([true, false]);
    expect([w.hit("renewToken", T), w.hit("renewToken", T), w.hit("renewToken", T), w.hit("renewToken", T)]).toEqual([true, true, true, false]);
    expect([w.hit("logout", T), w.hit("logout", T), w.hit("logout", T)]).toEqual([true, true, false]);
  });

  it("refuses limits that are not positive integers, naming none of the calls", () => {
    expect(() => new MethodRateWindows({ login: 0, renewToken: 2, logout: 2 })).toThrow(RangeError);
    expect(() => new MethodRateWindows({ login: 2, renewToken: 2.5, logout: 2 })).toThrow(RangeError);
  });
});

describe("ringHit: the spacing rule (RTM1_LOGIN_SPACING_MS)", () => {
  it("a call closer than minSpacingMs to the previous one is refused, even with room in the window", () => {
    const ring = newRing(2);
    expect(ringHit(ring, T, 500)).toBe(true);
    expect(ringHit(ring, T + 499, 500)).toBe(false);
    // Refused calls count: the spacing is measured from the refused call at T + 499.
    expect(ringHit(ring, T + 998, 500)).toBe(false);
    expect(ringHit(ring, T + 1_498, 500)).toBe(false); // spaced from T + 998, but two back is T + 499: 999 ms
    expect(ringHit(ring, T + 2_498, 500)).toBe(true);
  });

  it("exactly minSpacingMs apart is allowed; 0 means no spacing rule", () => {
    const spaced = newRing(5);
    expect([ringHit(spaced, T, 500), ringHit(spaced, T + 500, 500), ringHit(spaced, T + 1000, 500)]).toEqual([true, true, true]);
    const free = newRing(2);
    expect([ringHit(free, T, 0), ringHit(free, T + 1, 0)]).toEqual([true, true]);
  });

  it("limit 1: the spacing and the window agree on the one previous call", () => {
    const ring = newRing(1);
    expect(ringHit(ring, T, 500)).toBe(true);
    expect(ringHit(ring, T + 600, 500)).toBe(false); // spaced enough, but the window of 1 per 1000 ms is full
    expect(ringHit(ring, T + 1_600, 500)).toBe(true);
  });

  it("property: allowed iff the call `limit` back is >= 1000 ms old and the previous call >= spacing ms old", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 800 }), fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 60 }), (limit, spacing, gaps) => {
        const ring = newRing(limit);
        const attempts: number[] = [];
        let now = T;
        for (const gap of gaps) {
          now += gap;
          const back = attempts.length >= limit ? attempts[attempts.length - limit]! : Number.NEGATIVE_INFINITY;
          const last = attempts.length > 0 ? attempts[attempts.length - 1]! : Number.NEGATIVE_INFINITY;
          expect(ringHit(ring, now, spacing)).toBe(now - back >= 1000 && (spacing === 0 || now - last >= spacing));
          attempts.push(now);
        }
      }),
    );
  });
});
