/**
 * The capacity search (client/load/capacity.ts) against a scripted driver: each step's figures
 * are chosen by the test, so the stop rules are checked exactly (threshold, generator saturation,
 * one repeat of a failing step, bisection, max steps, max rate) and the rate ladder.
 */
import { describe, expect, it } from "vitest";
import { findCapacity, midRate, nextRate, type CapacityOptions } from "../../../../client/load/capacity.js";
import { newHistogram, recordMs } from "../../../../client/load/latency.js";
import type { LoadPhase, PhaseResult } from "../../../../client/load/load-driver.js";
import { DEFAULT_MIX } from "../../../../client/load/mix.js";
import { emptyTally } from "../../../../client/load/tally.js";
import { parseThreshold } from "../../../../client/load/threshold.js";

/**
 * A phase result: `p99` ms for every login, all accepted, the given achieved share of the rate;
 * `unanswered`: every login failed to connect instead (connection refused).
 */
function result(phase: LoadPhase, p99: number, achievedShare = 1, unanswered = false): PhaseResult {
  const tally = emptyTally();
  const logins = Math.round((phase.rate * phase.durationMs * achievedShare) / 1000);
  tally.login.attempts = logins;
  if (unanswered) {
    tally.login.errors = logins;
    tally.login.errorsBy = { "connect:ECONNREFUSED": logins };
  } else {
    tally.login.accepted = logins;
    tally.loginsAsExpected = logins;
  }
  const login = newHistogram();
  for (let i = 0; i < logins; i++) recordMs(login, p99);
  return {
    phase,
    tally,
    histograms: { login, renew: newHistogram(), connect: newHistogram(), lag: newHistogram() },
    timeline: [],
    arrivalMs: phase.durationMs,
    wallMs: phase.durationMs,
    prepared: logins,
    prepareMs: 1,
    cpuUs: 1,
    engineElu: [{ mean: 0.2, max: 0.3 }],
    engines: 1,
  };
}

/** A driver whose step n answers `script(rate, n)`. */
function scripted(script: (rate: number, n: number) => { p99: number; share?: number; unanswered?: boolean }) {
  const rates: number[] = [];
  return {
    rates,
    run: async (phase: LoadPhase) => {
      rates.push(phase.rate);
      const s = script(phase.rate, rates.length - 1);
      return result(phase, s.p99, s.share, s.unanswered);
    },
  };
}

const reportOptions = {
  url: "ws://127.0.0.1:1/rtm",
  appId: "e2000000000000000000000000000002",
  minting: "certificate" as const,
  mix: DEFAULT_MIX,
  invalid: 0,
  holdMs: 0,
  renewEveryMs: 0,
  profile: "rtm1" as const,
  seed: 1,
  workers: 1,
  timeoutMs: 10_000,
  tokenTtlSeconds: 3600,
};
const base: CapacityOptions = { startRate: 100, factor: 1.5, stepMs: 1_000, maxSteps: 15, maxRate: 1_000_000, pauseMs: 0, retries: 1, refine: 0 };
const thresholds = [parseThreshold("p99<50ms"), parseThreshold("unexpected==0")];

describe("findCapacity", () => {
  it("steps ×1.5 until a threshold fails twice in a row, and reports the last passing rate", async () => {
    const d = scripted((rate) => ({ p99: rate >= 500 ? 80 : 10 }));
    const steps: number[] = [];
    const c = await findCapacity(d, reportOptions, thresholds, base, (s) => steps.push(s.rate));
    expect(d.rates).toEqual([100, 150, 230, 350, 530, 530]);
    expect(steps).toEqual(d.rates);
    expect(c.highestPassingRate).toBe(350);
    expect(c.stoppedBecause).toBe("threshold");
    expect(c.steps.map((s) => [s.repeat, s.pass])).toEqual([[0, true], [0, true], [0, true], [0, true], [0, false], [1, false]]);
    const [p99, unexpected] = c.steps.at(-1)!.thresholds;
    expect(p99).toMatchObject({ threshold: "p99<50ms", pass: false });
    expect(p99?.actual).toBeCloseTo(80, 0); // HDR: 3 significant digits
    expect(unexpected).toEqual({ threshold: "unexpected==0", actual: 0, pass: true });
    expect(c.report?.options.rate).toBe(350);
  });

  it("a failing step that passes when repeated does not end the search", async () => {
    const d = scripted((rate, n) => ({ p99: n === 2 || rate >= 1000 ? 80 : 10 }));
    const c = await findCapacity(d, reportOptions, thresholds, base, () => {});
    expect(d.rates).toEqual([100, 150, 230, 230, 350, 530, 800, 1200, 1200]);
    expect(c.highestPassingRate).toBe(800);
  });

  it("stops when the generator cannot keep up, and keeps the rate before as the result", async () => {
    const d = scripted((rate) => ({ p99: 5, share: rate >= 300 ? 0.8 : 1 }));
    const c = await findCapacity(d, reportOptions, thresholds, base, () => {});
    expect(c.stoppedBecause).toBe("generator_saturated");
    expect(c.highestPassingRate).toBe(230);
    const last = c.steps.at(-1)!;
    expect(last).toMatchObject({ rate: 350, thresholdsPass: true, saturated: true, pass: false });
    expect(last.saturation[0]).toMatch(/^achieved 280\/s of the 350\/s asked for$/);
  });

  it("the first step failing leaves no passing rate, and its report", async () => {
    const d = scripted(() => ({ p99: 500 }));
    const c = await findCapacity(d, reportOptions, thresholds, base, () => {});
    expect(d.rates).toEqual([100, 100]);
    expect(c.highestPassingRate).toBeNull();
    expect(c.report?.options.rate).toBe(100);
  });

  it("bisects between the last passing and the failing rate (--refine), repeating failures there too", async () => {
    const d = scripted((rate) => ({ p99: rate > 420 ? 80 : 10 }));
    const c = await findCapacity(d, reportOptions, thresholds, { ...base, refine: 3 }, () => {});
    // climb … 350 passes, 530 fails twice; then 440 (fails twice), 395 (passes), 418 (passes)
    expect(d.rates).toEqual([100, 150, 230, 350, 530, 530, 440, 440, 395, 418]);
    expect(c.highestPassingRate).toBe(418);
    expect(c.stoppedBecause).toBe("threshold");
    expect(c.report?.options.rate).toBe(418);
  });

  it("a refinement stops when the rates are too close to split, and never outruns --max-steps", async () => {
    const fails = (rate: number) => ({ p99: rate >= 152 ? 80 : 10 });
    const d = scripted(fails);
    const c = await findCapacity(d, reportOptions, thresholds, { ...base, refine: 10, maxSteps: 30 }, () => {});
    expect(d.rates).toEqual([100, 150, 230, 230, 190, 190, 170, 170, 160, 160, 155, 155, 153, 153, 152, 152, 151]);
    expect(c.highestPassingRate).toBe(151);
    const d1 = scripted(fails);
    const c1 = await findCapacity(d1, reportOptions, thresholds, { ...base, refine: 10, maxSteps: 12 }, () => {});
    expect(d1.rates).toHaveLength(12);
    expect(c1.highestPassingRate).toBe(150);
    const d2 = scripted((rate) => ({ p99: rate >= 530 ? 80 : 10 }));
    const c2 = await findCapacity(d2, reportOptions, thresholds, { ...base, refine: 5, maxSteps: 7 }, () => {});
    expect(d2.rates).toEqual([100, 150, 230, 350, 530, 530, 440]);
    expect(c2.highestPassingRate).toBe(440);
  });

  it("is bounded by --max-steps and --max-rate", async () => {
    const d1 = scripted(() => ({ p99: 1 }));
    const c1 = await findCapacity(d1, reportOptions, thresholds, { ...base, maxSteps: 3 }, () => {});
    expect(d1.rates).toEqual([100, 150, 230]);
    expect([c1.stoppedBecause, c1.highestPassingRate]).toEqual(["max_steps", 230]);
  });

  it("tries --max-rate itself before it says the maximum was reached", async () => {
    // 350 → 530 would pass 400: the step is cut down to 400, which runs and passes.
    const d2 = scripted(() => ({ p99: 1 }));
    const c2 = await findCapacity(d2, reportOptions, thresholds, { ...base, maxRate: 400 }, () => {});
    expect(d2.rates).toEqual([100, 150, 230, 350, 400]);
    expect([c2.stoppedBecause, c2.highestPassingRate]).toEqual(["max_rate", 400]);
    // --max-rate failing: a threshold ended it, not the maximum; the bisection below it still runs.
    const d3 = scripted((rate) => ({ p99: rate >= 400 ? 80 : 1 }));
    const c3 = await findCapacity(d3, reportOptions, thresholds, { ...base, maxRate: 400, refine: 1 }, () => {});
    expect(d3.rates).toEqual([100, 150, 230, 350, 400, 400, 375]);
    expect([c3.stoppedBecause, c3.highestPassingRate]).toEqual(["threshold", 375]);
    // A start above --max-rate starts at it.
    const d4 = scripted(() => ({ p99: 1 }));
    const c4 = await findCapacity(d4, reportOptions, thresholds, { ...base, startRate: 500, maxRate: 400 }, () => {});
    expect(d4.rates).toEqual([400]);
    expect([c4.stoppedBecause, c4.highestPassingRate]).toEqual(["max_rate", 400]);
  });

  it("a step where nothing answered never passes, even with thresholds that hold on no data, and ends the search as nothing_measured", async () => {
    const d = scripted((rate) => ({ p99: 1, unanswered: rate >= 230 }));
    // "rate>=1" holds (logins were started); the steps from 230 on measured nothing all the same.
    const c = await findCapacity(d, reportOptions, [parseThreshold("rate>=1")], { ...base, refine: 3 }, () => {});
    expect(d.rates).toEqual([100, 150, 230, 230]);
    expect(c.stoppedBecause).toBe("nothing_measured");
    expect(c.highestPassingRate).toBe(150);
    const last = c.steps.at(-1)!;
    expect(last).toMatchObject({ rate: 230, thresholdsPass: true, measured: false, saturated: false, pass: false });
  });
});

describe("midRate", () => {
  it.each([
    [350, 530, 440],
    [1500, 2300, 1900],
    [400, 440, 420],
    [150, 151, null],
    [150, 152, 151],
    [1000, 1010, 1005],
  ])("between %d and %d → %s", (lo, hi, mid) => {
    expect(midRate(lo, hi)).toBe(mid);
  });
});

describe("nextRate", () => {
  it.each([
    [100, 1.5, 150],
    [150, 1.5, 230],
    [1200, 1.5, 1800],
    [2700, 1.5, 4100],
    [5, 1.5, 8],
    [1, 1.05, 2],
    [10, 2, 20],
  ])("%d ×%d → %d", (rate, factor, next) => {
    expect(nextRate(rate, factor)).toBe(next);
  });
});
