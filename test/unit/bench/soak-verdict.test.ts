/**
 * The soak's verdict (bench/soak-verdict.ts) on synthetic samples: a flat run passes; growth of
 * the heap, RSS, descriptors or sessions in the window fails the named check (and so `npm run
 * soak -- --check`); warm-up growth before the window, and a rise under the floor, do not; a dead
 * gateway, idle load and a run too short to judge fail.
 */
import { describe, expect, it } from "vitest";
import { leastSquaresSlope, SOAK_LIMITS, soakVerdict, verdictWindow, type SoakCheck, type SoakSample } from "../../../bench/soak-verdict.js";

const MIB = 2 ** 20;
const RATE = 150;

/** A deterministic wobble in [-1, 1] (no randomness in tests). */
const wobble = (i: number): number => Math.sin(i * 2.399963);

/** Samples every 10 s for `minutes`, flat with a little noise, then `edit` applied to each. */
function run(minutes: number, edit: (s: SoakSample, i: number) => Partial<SoakSample> = () => ({})): SoakSample[] {
  const out: SoakSample[] = [];
  for (let i = 0; i * 10 <= minutes * 60; i++) {
    const base: SoakSample = {
      t: i * 10,
      rss: 126 * MIB + wobble(i) * 0.5 * MIB,
      heapUsed: 23 * MIB + wobble(i + 1) * 0.3 * MIB,
      heapTotal: 63 * MIB,
      external: 3 * MIB,
      fds: 490 + Math.round(wobble(i + 2) * 15),
      connections: 480,
      sessions: 475 + Math.round(wobble(i + 3) * 10),
      eldP99Ms: 20,
      eldMaxMs: 60,
      loginsPerSec: i === 0 ? 0 : RATE + wobble(i + 4) * 3,
      answeredPerSec: i === 0 ? 0 : RATE,
      laneLoginsPerSec: i === 0 ? 0 : 11,
    };
    out.push({ ...base, ...edit(base, i) });
  }
  return out;
}

function check(samples: readonly SoakSample[], name: string, alive = true): SoakCheck {
  const c = soakVerdict(samples, { targetRate: RATE, gatewayAlive: alive }).checks.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no check ${name}`);
  return c;
}

describe("leastSquaresSlope", () => {
  it("recovers the slope of a line exactly, and of a noisy line closely", () => {
    expect(leastSquaresSlope([0, 10, 20, 30], [5, 7, 9, 11])).toBeCloseTo(0.2, 12);
    const xs = Array.from({ length: 31 }, (_, i) => i * 10);
    expect(leastSquaresSlope(xs, xs.map((x, i) => 3 * x + wobble(i)))).toBeCloseTo(3, 1);
  });

  it("is null with fewer than two points or no spread in x", () => {
    expect(leastSquaresSlope([1], [1])).toBeNull();
    expect(leastSquaresSlope([], [])).toBeNull();
    expect(leastSquaresSlope([5, 5, 5], [1, 2, 3])).toBeNull();
  });
});

describe("soakVerdict", () => {
  it("passes a flat 10-minute run, every check named and passing", () => {
    const v = soakVerdict(run(10), { targetRate: RATE, gatewayAlive: true });
    expect(v.checks.map((c) => [c.name, c.pass])).toEqual([
      ["gateway alive", true],
      ["load ran", true],
      ["heap used after GC", true],
      ["RSS", true],
      ["file descriptors", true],
      ["sessions", true],
    ]);
    expect(v.pass).toBe(true);
    // The window is the second half: 300 s to 600 s, 31 samples.
    expect(v.window).toEqual({ fromS: 300, toS: 600, samples: 31 });
  });

  it("fails on heap growth in the window (issue 11: 4.6 KB per closed login at 150/s is about 40 MiB/min)", () => {
    const leak = (4.6e3 * RATE * 60) / MIB; // MiB per minute
    const samples = run(10, (s) => ({ heapUsed: s.heapUsed + (leak * s.t * MIB) / 60, rss: s.rss + (leak * 1.5 * s.t * MIB) / 60 }));
    const v = soakVerdict(samples, { targetRate: RATE, gatewayAlive: true });
    expect(v.pass).toBe(false);
    const heap = v.checks.find((c) => c.name === "heap used after GC")!;
    expect(heap.pass).toBe(false);
    expect(heap.slopePerMinute).toBeCloseTo(leak, 0);
    expect(heap.rise).toBeCloseTo(leak * 5, -1);
    expect(heap.detail).toMatch(/^grows 39\.\d MiB\/min \(limit 1\), \+19\d MiB over the window \(floor 2\)$/);
    expect(v.checks.find((c) => c.name === "RSS")!.pass).toBe(false);
    // What did not grow still passes.
    expect(v.checks.find((c) => c.name === "file descriptors")!.pass).toBe(true);
  });

  it("fails on a slow heap leak just over the limit, and passes one just under it", () => {
    const at = (mibPerMin: number): SoakCheck => check(run(10, (s) => ({ heapUsed: 23 * MIB + (mibPerMin * s.t * MIB) / 60 })), "heap used after GC");
    expect(at(SOAK_LIMITS.heapUsedMiB.perMinute * 1.2).pass).toBe(false);
    expect(at(SOAK_LIMITS.heapUsedMiB.perMinute * 0.8).pass).toBe(true);
  });

  it("ignores growth confined to the warm-up half", () => {
    // 30 MiB of heap and RSS taken in the first 2 minutes, flat after (JIT, the journal's ring filling).
    const warm = (t: number): number => Math.min(t, 120) / 120;
    const samples = run(10, (s) => ({ heapUsed: s.heapUsed + warm(s.t) * 30 * MIB, rss: s.rss + warm(s.t) * 30 * MIB }));
    expect(soakVerdict(samples, { targetRate: RATE, gatewayAlive: true }).pass).toBe(true);
  });

  it("does not fail a short run on a slope whose rise stays under the floor", () => {
    // 60 s run: the window is 30 s; 3 MiB/min over 30 s is a 1.5 MiB rise, under the 2 MiB floor.
    const samples = run(1, (s) => ({ heapUsed: 23 * MIB + (3 * s.t * MIB) / 60 }));
    const heap = check(samples, "heap used after GC");
    expect(heap.slopePerMinute).toBeCloseTo(3, 6);
    expect(heap.rise).toBeCloseTo(1.5, 6);
    expect(heap.pass).toBe(true);
  });

  it("fails descriptors and sessions growing without bound", () => {
    const samples = run(10, (s) => ({ fds: 490 + Math.round(s.t / 2), sessions: 475 + Math.round(s.t / 2.5) }));
    const fds = check(samples, "file descriptors");
    expect(fds.pass).toBe(false);
    expect(fds.slopePerMinute).toBeCloseTo(30, 0);
    expect(fds.detail).toMatch(/^grows 30\.\d fds\/min \(limit 20\)/);
    const sessions = check(samples, "sessions");
    expect(sessions.pass).toBe(false);
    expect(sessions.slopePerMinute).toBeCloseTo(24, 0);
  });

  it("fails when the gateway died", () => {
    const c = check(run(10), "gateway alive", false);
    expect(c.pass).toBe(false);
    expect(c.detail).toBe("the gateway process exited before the end of the run");
    expect(soakVerdict(run(10), { targetRate: RATE, gatewayAlive: false }).pass).toBe(false);
  });

  it("fails when the load did not run in the window (a flat line of an idle gateway means nothing)", () => {
    // The generator kept starting logins (open model) but the gateway answered few of them.
    const samples = run(10, (s) => (s.t >= 400 && s.t <= 420 ? { answeredPerSec: 10 } : {}));
    const c = check(samples, "load ran");
    expect(c.pass).toBe(false);
    expect(c.detail).toBe("3 sample(s) in the window answered under 50% of 150 logins/s (lowest 10.0/s)");
    expect(check(run(10), "load ran").detail).toBe("every sample in the window answered ≥ 50% of 150 logins/s");
  });

  it("fails a run too short to judge", () => {
    // 20 s: samples at 0, 10, 20; the window (t ≥ 10) holds 2.
    const v = soakVerdict(run(1 / 3), { targetRate: RATE, gatewayAlive: true });
    expect(v.pass).toBe(false);
    const heap = v.checks.find((c) => c.name === "heap used after GC")!;
    expect(heap.pass).toBe(false);
    expect(heap.detail).toBe(`too short to judge: 2 sample(s) in the window, at least ${SOAK_LIMITS.minWindowSamples} needed`);
    expect(soakVerdict([], { targetRate: RATE, gatewayAlive: true }).pass).toBe(false);
  });

  it("reports descriptors as not measured where /proc is missing, and judges the rest", () => {
    const v = soakVerdict(
      run(10, () => ({ fds: null })),
      { targetRate: RATE, gatewayAlive: true },
    );
    const fds = v.checks.find((c) => c.name === "file descriptors")!;
    expect(fds.pass).toBe(true);
    expect(fds.slopePerMinute).toBeNull();
    expect(fds.detail).toMatch(/^not measured/);
    expect(v.pass).toBe(true);
  });

  it("fits the last half of the run by time, not by sample count", () => {
    const samples = run(10).filter((s) => s.t <= 100 || s.t % 30 === 0);
    const w = verdictWindow(samples);
    expect(w[0]!.t).toBe(300);
    expect(w.every((s) => s.t >= 300)).toBe(true);
  });
});
