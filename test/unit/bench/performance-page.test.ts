/**
 * docs/performance.md is written from the benchmarks' JSON (bench/performance-page.ts). These check
 * the bench:gateway section's no-login row and paragraph (`--no-login`): the figures come from
 * gateway.json, and neither appears for figures written without that server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderPerformancePage } from "../../../bench/performance-page.js";

const server = (rate: number, cpu: number) => ({ rate, p50Ms: 5, p99Ms: 12, serverCpuUsPerCycle: cpu, errors: 0 });

function gatewayJson(noLogin: boolean): unknown {
  return {
    options: { concurrency: 64, durationS: 5, warmupS: 1, rounds: 3, primeS: 3 },
    throughput: {
      bare: server(9_000, 100),
      gateway: server(7_000, 140),
      rateRatio: 7 / 9,
      cpuRatio: 1.4,
      pairedCpuRatios: [1.4, 1.45, 1.42],
      ...(noLogin
        ? {
            noLogin: server(13_000, 72.5),
            noLoginCpuRatio: 0.725,
            pairedNoLoginCpuRatios: [0.725, 0.81, 0.79],
            pairedLoginExcessUs: [67.5, 70.25, 90],
          }
        : {}),
    },
    memory: null,
    verdicts: [{ name: "server CPU per login / per bare cycle", value: 1.4, target: "≤ 1.2", pass: false }],
  };
}

const dirs: string[] = [];
function render(noLogin: boolean): string {
  const dir = mkdtempSync(join(os.tmpdir(), "perf-page-"));
  dirs.push(dir);
  writeFileSync(join(dir, "gateway.json"), JSON.stringify(gatewayJson(noLogin)));
  const page = renderPerformancePage(dir);
  const start = page.indexOf("## Gateway login against a bare");
  return page.slice(start, page.indexOf("\n## ", start + 1));
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("performance page: the gateway without its login (--no-login)", () => {
  it("gives its row and says what the transport costs against bare and what the login adds over it", () => {
    const section = render(true);
    expect(section).toContain("| gateway without its login (`--no-login`) | 13,000 | 5.00 | 12.00 | 72.5 |");
    expect(section).toContain("Its CPU per cycle was 0.725× bare's (best rounds; round by round 0.725, 0.810, 0.790 (median 0.790))");
    // The median of the per-round excesses, then each round's.
    expect(section).toContain("The gateway with its login cost 70.3 µs more per cycle than that (median of rounds; 67.5, 70.3, 90.0)");
  });

  it("says nothing of it when the figures were written without that server", () => {
    const section = render(false);
    expect(section).toContain("| gateway (007 login) | 7,000 |");
    expect(section).not.toContain("--no-login");
    expect(section).not.toContain("Where the gateway's excess goes");
  });
});
