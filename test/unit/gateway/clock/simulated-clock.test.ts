import { describe, expect, it, vi } from "vitest";
import { SimulatedClock } from "../../../../gateway/clock/simulated-clock.js";

const T0 = 1_718_000_000;

/** A fake system clock the test moves by hand. */
function system(startMs: number) {
  let now = startMs;
  return {
    now: () => now,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe("SimulatedClock", () => {
  it("running by default: follows the system clock", () => {
    const sys = system(5_000_500);
    const c = new SimulatedClock({ systemNow: sys.now });
    expect(c.frozen).toBe(false);
    expect(c.nowMillis()).toBe(5_000_500);
    expect(c.nowSeconds()).toBe(5000);
    sys.tick(600);
    expect(c.nowMillis()).toBe(5_001_100);
    expect(c.nowSeconds()).toBe(5001);
  });

  it("without systemNow it reads real time", () => {
    const c = new SimulatedClock();
    const before = Date.now();
    const now = c.nowMillis();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("frozen at a given second: does not move with the system clock", () => {
    const sys = system(1_000);
    const c = new SimulatedClock({ frozenAtSeconds: T0, systemNow: sys.now });
    expect(c.frozen).toBe(true);
    expect(c.nowSeconds()).toBe(T0);
    expect(c.nowMillis()).toBe(T0 * 1000);
    sys.tick(10_000);
    expect(c.nowSeconds()).toBe(T0);
  });

  it("advance moves a frozen clock (fractional and negative too)", () => {
    const c = new SimulatedClock({ frozenAtSeconds: T0 });
    c.advance(10);
    expect(c.nowSeconds()).toBe(T0 + 10);
    c.advance(0.5);
    expect(c.nowMillis()).toBe((T0 + 10.5) * 1000);
    expect(c.nowSeconds()).toBe(T0 + 10);
    c.advance(0.5);
    expect(c.nowSeconds()).toBe(T0 + 11);
    c.advance(-11);
    expect(c.nowSeconds()).toBe(T0);
    expect(c.frozen).toBe(true);
  });

  it("advance moves a running clock by an offset, which keeps running", () => {
    const sys = system(1_000_000);
    const c = new SimulatedClock({ systemNow: sys.now });
    c.advance(60);
    expect(c.nowMillis()).toBe(1_060_000);
    sys.tick(1_000);
    expect(c.nowMillis()).toBe(1_061_000);
    expect(c.frozen).toBe(false);
  });

  it("set jumps to a time, keeping the frozen or running state", () => {
    const sys = system(1_000_000);
    const running = new SimulatedClock({ systemNow: sys.now });
    running.set(T0);
    expect(running.nowSeconds()).toBe(T0);
    expect(running.frozen).toBe(false);
    sys.tick(2_000);
    expect(running.nowSeconds()).toBe(T0 + 2);

    const frozen = new SimulatedClock({ frozenAtSeconds: 0, systemNow: sys.now });
    frozen.set(T0);
    expect(frozen.nowSeconds()).toBe(T0);
    expect(frozen.frozen).toBe(true);
    sys.tick(2_000);
    expect(frozen.nowSeconds()).toBe(T0);
  });

  it("advance and set refuse non-finite numbers and leave the time alone", () => {
    const c = new SimulatedClock({ frozenAtSeconds: T0 });
    const heard = vi.fn();
    c.onJump(heard);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => c.advance(bad)).toThrow(RangeError);
      expect(() => c.set(bad)).toThrow(RangeError);
    }
    expect(c.nowSeconds()).toBe(T0);
    expect(heard).not.toHaveBeenCalled();
  });

  it("freeze(true) stops at the current reading; freeze(false) resumes from it", () => {
    const sys = system(1_000_000);
    const c = new SimulatedClock({ systemNow: sys.now });
    c.advance(100); // offset +100 s
    sys.tick(500);
    c.freeze(true);
    expect(c.frozen).toBe(true);
    expect(c.nowMillis()).toBe(1_100_500);
    sys.tick(5_000);
    expect(c.nowMillis()).toBe(1_100_500);
    c.freeze(false);
    expect(c.frozen).toBe(false);
    // Resumes where it stopped, not where the system clock is.
    expect(c.nowMillis()).toBe(1_100_500);
    sys.tick(250);
    expect(c.nowMillis()).toBe(1_100_750);
  });

  it("freeze to the state it already has is a no-op (no jump)", () => {
    const c = new SimulatedClock({ frozenAtSeconds: T0 });
    const heard = vi.fn();
    c.onJump(heard);
    c.freeze(true);
    expect(heard).not.toHaveBeenCalled();
    c.freeze(false);
    expect(heard).toHaveBeenCalledTimes(1);
    c.freeze(false);
    expect(heard).toHaveBeenCalledTimes(1);
  });

  it("reset goes back to real (system) time, running", () => {
    const sys = system(7_000_000);
    const c = new SimulatedClock({ frozenAtSeconds: T0, systemNow: sys.now });
    c.reset();
    expect(c.frozen).toBe(false);
    expect(c.nowMillis()).toBe(7_000_000);
  });

  it("onJump listeners hear every jump, after the time changed, until unsubscribed", () => {
    const sys = system(1_000_000);
    const c = new SimulatedClock({ frozenAtSeconds: T0, systemNow: sys.now });
    const seen: Array<[string, number]> = [];
    const off1 = c.onJump(() => seen.push(["a", c.nowSeconds()]));
    c.onJump(() => seen.push(["b", c.nowSeconds()]));
    c.advance(5);
    c.set(T0 + 100);
    c.freeze(false);
    c.reset();
    off1();
    c.advance(1);
    expect(seen).toEqual([
      ["a", T0 + 5],
      ["b", T0 + 5],
      ["a", T0 + 100],
      ["b", T0 + 100],
      ["a", T0 + 100],
      ["b", T0 + 100],
      ["a", 1000],
      ["b", 1000],
      ["b", 1001],
    ]);
  });

  it("the same listener added twice is called once", () => {
    const c = new SimulatedClock({ frozenAtSeconds: T0 });
    const l = vi.fn();
    c.onJump(l);
    c.onJump(l);
    c.advance(1);
    expect(l).toHaveBeenCalledTimes(1);
  });
});
