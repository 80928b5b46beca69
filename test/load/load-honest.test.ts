/**
 * `rtm-auth load` is honest about runs that measured nothing (issue 14, item 5; the exit codes in
 * `rtm-auth load --help` and README "Load testing"): an unreachable target is named before
 * anything runs and exits 1; a run where every login is refused for a reason nobody asked for, or
 * where nothing answers, exits 1 without any --threshold and never claims "not saturated"; a run
 * whose refusals were asked for (--invalid 1) exits 0; --find-capacity runs --max-rate itself.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { LoadReport } from "../../client/load/index.js";
import type { Gateway } from "../../gateway/main.js";
import { EITHER, ensureBuilt, runLoad, startTestGateway, targetArgs } from "./load-cli.js";

let gw: Gateway;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

const SHORT = ["--rate", "20", "--duration", "1s", "--seed", "7", "--quiet", "--workers", "1"];

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("an unreachable target is named at once, exit 1, nothing run", () => {
  it("connection refused", async () => {
    const url = `ws://127.0.0.1:${await deadPort()}/rtm`;
    const run = await runLoad(["--url", url, "--app-id", EITHER.appId, "--certificate", EITHER.certificate!, ...SHORT]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`rtm-auth load: cannot reach the gateway at ${url}: connection refused: nothing listens on ${new URL(url).host} (is the gateway running? \`npm start\` starts one on 127.0.0.1:8080); nothing was run\n`);
  });

  it("a wrong path: the HTTP status of the refused upgrade and the gateway's path", async () => {
    const url = gw.url.replace(/\/rtm$/, "/socket");
    const run = await runLoad(["--url", url, "--app-id", EITHER.appId, "--certificate", EITHER.certificate!, ...SHORT]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^rtm-auth load: cannot reach the gateway at ws:\/\/127\.0\.0\.1:\d+\/socket: HTTP 404 Not Found: no WebSocket endpoint at \/socket \(the gateway's is \/rtm\); nothing was run\n$/);
  });
});

describe("a run that measured nothing fails without --threshold", () => {
  it("every login refused for a reason nobody asked for (an App ID that is no project) → 1, the refusals named", async () => {
    const run = await runLoad(["--url", gw.url, "--app-id", "0123456789abcdef0123456789abcdef", "--certificate", EITHER.certificate!, ...SHORT, "--json", "-"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as LoadReport;
    expect(report.thresholds).toEqual([]);
    expect(report.login.accepted).toBe(0);
    expect(report.login.refused).toBe(20);
    expect(report.measured.answered).toBe(20);
    expect(report.measured.asExpected).toBe(0);
    const [reason] = Object.keys(report.login.refusedBy);
    expect(report.measured.problem).toBe(`no login got the answer it was sent for: 0 accepted, 20 refused (${reason} ×20)`);
    expect(report.pass).toBe(false);
  });

  it("the same in the text report: a FAIL line, and the generator line does not claim anything about the pace", async () => {
    const run = await runLoad(["--url", gw.url, "--app-id", "0123456789abcdef0123456789abcdef", "--certificate", EITHER.certificate!, ...SHORT]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\nFAIL: no login got the answer it was sent for: 0 accepted, 20 refused \(\w+ ×20\)\n$/);
    // The refusal table names its columns, then one row per reason and code: reason, code, name, count.
    expect(run.stdout).toMatch(/\n {13}refused reason {17}code {3}name {31}count\n {13}refused \w+ +-?\d+ +[A-Z_]+ +20\n/);
    // No renewals asked for: "never", not a unit after a dash.
    expect(run.stdout).toMatch(/, renew every never, seed /);
  });

  it("refusals that were asked for (--invalid 1: every token signed with a wrong certificate) → 0", async () => {
    const run = await runLoad([...targetArgs(gw), ...SHORT, "--invalid", "1", "--json", "-"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as LoadReport;
    expect(report.login.accepted).toBe(0);
    expect(report.login.refused).toBe(20);
    expect(report.measured).toEqual({ answered: 20, asExpected: 20, problem: null });
    expect(report.pass).toBe(true);
  });

  describe("a target that upgrades and then closes every socket without answering", () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer();
      const wss = new WebSocketServer({ server, path: "/rtm" });
      wss.on("connection", (ws) => ws.on("message", () => ws.close(1011, "no")));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/rtm`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it("→ 1, 'nothing measured' instead of 'not saturated', the failures counted", async () => {
      const run = await runLoad(["--url", url, "--app-id", EITHER.appId, "--certificate", EITHER.certificate!, ...SHORT]);
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain("not saturated");
      expect(run.stdout).toContain("  nothing measured: no login was answered, so these figures say nothing about the gateway's pace\n");
      expect(run.stdout).toMatch(/\nFAIL: no login was answered \(20 of 20 failed: closed:1011 ×20\)\n$/);
    });

    it("even a threshold that holds on these figures does not make it pass", async () => {
      const run = await runLoad(["--url", url, "--app-id", EITHER.appId, "--certificate", EITHER.certificate!, ...SHORT, "--threshold", "rate>=1", "--json", "-"]);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as LoadReport;
      expect(report.thresholds).toEqual([expect.objectContaining({ threshold: "rate>=1", pass: true })]);
      expect(report.measured).toMatchObject({ answered: 0, asExpected: 0 });
      expect(report.pass).toBe(false);
    });
  });
});

it("--find-capacity runs --max-rate itself before it says the maximum was reached", async () => {
  const run = await runLoad([
    ...targetArgs(gw),
    "--find-capacity",
    "--rate", "10",
    "--step-factor", "2",
    "--max-rate", "15",
    "--step-duration", "1s",
    "--threshold", "unexpected==0",
    "--workers", "1",
    "--quiet",
    "--json", "-",
  ]);
  const out = JSON.parse(run.stdout) as { capacity: { steps: Array<{ rate: number; pass: boolean }>; highestPassingRate: number; stoppedBecause: string } };
  // A failing step is run once more before it counts: repeats are one step here.
  const rates = out.capacity.steps.map((s) => s.rate).filter((r, i, all) => i === 0 || r !== all[i - 1]);
  // A generator saturated by a busy machine can fail 10/s itself (twice): the search then ends
  // there, never at the maximum. Otherwise --max-rate itself is run after 10 (never skipped because
  // 10 × 2 is over it).
  if (!out.capacity.steps.some((s) => s.rate === 10 && s.pass)) {
    expect(rates).toEqual([10]);
    expect(out.capacity.stoppedBecause).not.toBe("max_rate");
    return;
  }
  expect(rates.slice(0, 2)).toEqual([10, 15]);
  // Whether 15/s passes depends on how busy this shared machine is (a saturated generator fails a
  // step); when it passes, the search says the maximum was reached there, and exits 0.
  if (out.capacity.steps.some((s) => s.rate === 15 && s.pass)) {
    expect(run.code).toBe(0);
    expect(out.capacity.stoppedBecause).toBe("max_rate");
    expect(out.capacity.highestPassingRate).toBe(15);
  } else {
    expect(out.capacity.stoppedBecause).not.toBe("max_rate");
  }
}, 30_000);
