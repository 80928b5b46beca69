/**
 * Issue 6, "done when": a 20 s fixed-rate run against a real gateway reports accepted and refused
 * counts, per reason, that equal the deltas of the gateway's own `rtm_auth_attempts_total`
 * counters over the run — for login, renewToken and logout. The run mixes 007, 006 and App ID
 * logins with deliberately invalid tokens, holds sessions and renews them, on the rtm2 profile,
 * through the CLI as a user runs it (one worker thread).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LoadReport } from "../../client/load/index.js";
import type { Gateway } from "../../gateway/main.js";
import { attemptCounters, delta, ensureBuilt, reportCounts, runLoad, startTestGateway, targetArgs } from "./load-cli.js";

let gw: Gateway;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
  dir = mkdtempSync(join(tmpdir(), "rtm-load-metrics-"));
});

afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

it(
  "a 20 s run at 40 logins/s: the report's accepted and refused counts per reason equal the /metrics deltas",
  async () => {
    const file = join(dir, "report.json");
    const before = await attemptCounters(gw);
    const run = await runLoad([
      ...targetArgs(gw),
      "--rate", "40",
      "--duration", "20s",
      "--mix", "token007:0.6,token006:0.2,appid:0.2",
      "--invalid", "0.1",
      "--hold", "3s",
      "--renew-every", "1s",
      "--profile", "rtm2",
      "--seed", "20240610",
      "--workers", "1",
      "--json", file,
    ]);
    const after = await attemptCounters(gw);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(file, "utf8")) as LoadReport;

    // The run did what was asked: 800 users at 40/s, every kind of outcome present.
    expect(report.login.attempts).toBe(800);
    expect(report.login.errors + report.renew.errors + report.logout.errors).toBe(0);
    expect(report.unexpected).toEqual({ total: 0, by: {} });
    expect(report.login.accepted + report.login.refused).toBe(800);
    expect(Object.keys(report.login.refusedBy)).toEqual(["invalid_signature"]);
    expect(report.login.refusedBy["invalid_signature"]).toEqual({ [`-10005 RTM_ERROR_INVALID_TOKEN`]: report.login.refused });
    for (const kind of ["token007", "token006", "appid", "token007:invalid"]) expect(report.byKind[kind]?.attempts ?? 0).toBeGreaterThan(0);
    expect(report.renew.accepted).toBeGreaterThan(0);
    expect(report.logout.accepted).toBe(report.login.accepted);
    expect(report.closes).toEqual({ "1000": 800 });
    expect(report.generator.saturated).toBe(false);
    expect(report.timeline.length).toBeGreaterThanOrEqual(20);

    // The point of the test: the gateway counted exactly what the generator reports.
    expect(Object.fromEntries(reportCounts(report))).toEqual(Object.fromEntries(delta(before, after)));
  },
  60_000,
);
