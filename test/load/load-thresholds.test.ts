/**
 * `rtm-auth load` exit codes (docs/protocol.md, "Exit codes"): thresholds decide 0 (every one passed) or
 * 1 (one failed); a malformed threshold or another usage error is 2 before anything connects.
 * Each run is a short one against a real gateway in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../client/load/index.js";
import type { Gateway } from "../../gateway/main.js";
import { ensureBuilt, runLoad, startTestGateway, targetArgs } from "./load-cli.js";

let gw: Gateway;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

const SHORT = ["--rate", "50", "--duration", "1s", "--invalid", "0.2", "--seed", "5", "--quiet"];

describe("thresholds set the exit code", () => {
  it("every threshold passes → 0, and the text report lists them", async () => {
    const run = await runLoad([...targetArgs(gw), ...SHORT, "--threshold", "p99<5s", "--threshold", "unexpected==0", "--threshold", "refused{invalid_signature}>0", "--threshold", "errors<1%"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^  p99<5s +\S+ +PASS$/m);
    expect(run.stdout).toMatch(/^  unexpected==0 +0 +PASS$/m);
    expect(run.stdout).toMatch(/^  refused\{invalid_signature\}>0 +\d+ +PASS$/m);
    expect(run.stdout).toMatch(/^  errors<1% +0 +PASS$/m);
  });

  it("one threshold fails → 1 (the others still pass), and --json - carries the verdicts", async () => {
    const run = await runLoad([...targetArgs(gw), ...SHORT, "--threshold", "unexpected==0", "--threshold", "p99<0.001ms", "--json", "-"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as LoadReport;
    expect(report.pass).toBe(false);
    expect(report.thresholds.map((t) => [t.threshold, t.pass])).toEqual([
      ["unexpected==0", true],
      ["p99<0.001ms", false],
    ]);
    expect(report.login.attempts).toBe(50);
  });

  it("a threshold on an outcome that did not happen fails → 1", async () => {
    const run = await runLoad([...targetArgs(gw), ...SHORT, "--threshold", "refused{token_expired}>0"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^  refused\{token_expired\}>0 +0 +FAIL$/m);
  });
});

describe("usage errors → 2, before anything connects", () => {
  it.each([
    [["--threshold", "p99<<5"], /--threshold "p99<<5": expected METRIC OP NUMBER/],
    [["--threshold", "p98<5ms"], /unknown metric "p98"/],
    [["--mix", "token007:0.5"], /--mix: the weights sum to 0.5, not 1/],
    [["--rate", "10", "--concurrency", "5"], /--rate \(open model\) or --concurrency \(closed model\), not both/],
    [["--profile", "rtm3"], /--profile must be rtm1 or rtm2/],
    [["--duration", "soon"], /--duration: "soon" is not a duration/],
    [["--invalid", "1.5"], /--invalid must be a number in \[0, 1\]/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("%j", async (extra, message) => {
    const run = await runLoad([...targetArgs(gw), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("a missing certificate and admin URL, a wss:// URL, a missing --url", async () => {
    const noCert = await runLoad(["--url", gw.url, "--app-id", "x"]);
    expect([noCert.code, noCert.stderr]).toEqual([2, "rtm-auth load: give exactly one of --certificate and --admin-url; see 'rtm-auth load --help'\n"]);
    const wss = await runLoad(["--url", "wss://127.0.0.1:1/rtm", "--app-id", "x", "--certificate", "0123456789abcdef0123456789abcdef"]);
    expect([wss.code, wss.stderr]).toEqual([2, "rtm-auth load: --url must be ws://HOST:PORT/PATH (wss:// is not supported); see 'rtm-auth load --help'\n"]);
    const noUrl = await runLoad(["--app-id", "x"]);
    expect([noUrl.code, noUrl.stderr]).toEqual([2, "rtm-auth load: missing --url; see 'rtm-auth load --help'\n"]);
  });

  it("--help prints the usage and exits 0", async () => {
    const run = await runLoad(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: rtm-auth load --url ws:\/\/HOST:PORT\/rtm/);
    expect(run.stdout).toContain("--find-capacity");
  });
});
