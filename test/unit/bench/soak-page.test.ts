/**
 * docs/soak.md is written from the soak's JSON (bench/soak-page.ts): the verdict, the thresholds,
 * every sample and the lanes' counts come from the report, never from constants of the page.
 */
import { describe, expect, it } from "vitest";
import { renderSoakPage, type SoakReport, type SoakSampleJson } from "../../../bench/soak-page.js";
import { SOAK_LIMITS, soakVerdict, type SoakLimits } from "../../../bench/soak-verdict.js";

const MIB = 2 ** 20;

function report(limits: SoakLimits, heapMiBPerMin: number): SoakReport {
  const samples: SoakSampleJson[] = Array.from({ length: 7 }, (_, i) => ({
    t: i * 10,
    rss: 120 * MIB,
    heapUsed: 20 * MIB + (heapMiBPerMin * i * 10 * MIB) / 60,
    heapTotal: 60 * MIB,
    external: 2 * MIB,
    arrayBuffers: MIB,
    fds: 400 + i,
    connections: 380,
    sessions: 370,
    eldP99Ms: 12.5,
    eldMaxMs: 40,
    gcMs: 70,
    loginsPerSec: i === 0 ? 0 : 149,
    answeredPerSec: i === 0 ? 0 : 148,
    laneLoginsPerSec: i === 0 ? 0 : 11.5,
  }));
  return {
    kind: "rtm-auth-soak",
    date: "2030-01-02T03:04:05.000Z",
    machine: { cpus: 2, cpuModel: "Test CPU", memoryBytes: 8 * 2 ** 30, node: "v20.99.0", platform: "linux x64", loadAverage1m: 0.5 },
    options: {
      durationS: 60,
      sampleEveryS: 10,
      store: "memory",
      redisVersion: null,
      seed: 7,
      churn: { rate: 150, mix: "token007:0.6,appid:0.4", invalid: 0.05, holdS: 3, renewEveryS: 1.2, tokenTtlSeconds: 86_400, profile: "rtm1", workers: 1 },
      lanes: { expiry: { everyMs: 1_000, maxAlive: 120, tokenSecondsMin: 35, tokenSecondsMax: 75, advanceEveryMs: 15_000, advanceSeconds: 10 } },
      faultRules: [{}, {}, {}],
      abuse: { nonReader: { everyMs: 60_000, burstMs: 20_000 } },
      gatewayConfig: { port: 0, logLevel: "warn" },
      forcedGc: true,
    },
    limits,
    samples,
    verdict: soakVerdict(samples, { targetRate: 150, gatewayAlive: true }, limits),
    churn: null,
    lanes: { expiry: { "close 4503": 25, tokenPrivilegeWillExpire: 53 } },
    wallS: 77,
    endedEarly: null,
  };
}

describe("renderSoakPage", () => {
  it("states the verdict, the thresholds and every sample from the report", () => {
    const page = renderSoakPage(report(SOAK_LIMITS, 0));
    expect(page).toContain("**Verdict: PASS — flat.**");
    expect(page).toContain("Measured on 2030-01-02: 2 CPUs (Test CPU), 8.0 GiB RAM, Node.js v20.99.0");
    expect(page).toMatch(/\| heap used after GC \| 0\.00 MiB \| 0\.00 MiB \| 1 MiB \| 2 MiB \| pass: /);
    for (let t = 0; t <= 60; t += 10) expect(page).toMatch(new RegExp(`^\\| ${t} \\| 120\\.0 \\|`, "m"));
    expect(page).toContain("| expiry | close 4503: 25, tokenPrivilegeWillExpire: 53 |");
    expect(page).toContain("cycling through 3 rules");
    expect(page).toContain("`port=0`, `logLevel=warn`. Seed 7.");
  });

  it("follows the report's limits and shows a failed check with its figures", () => {
    const limits: SoakLimits = { ...SOAK_LIMITS, heapUsedMiB: { perMinute: 5, floor: 1 } };
    const page = renderSoakPage(report(limits, 12));
    expect(page).toContain("**Verdict: FAIL — growth or a failed check.**");
    expect(page).toMatch(/\| heap used after GC \| 12\.00 MiB \| 6\.00 MiB \| 5 MiB \| 1 MiB \| \*\*fail\*\*: grows 12\.0 MiB\/min \(limit 5\), \+6\.00 MiB over the window \(floor 1\) \|/);
  });
});
