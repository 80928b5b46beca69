/**
 * `rtm-auth load --processes N` (issue 15): one run over N child processes, spawned as a user
 * runs it against a real gateway (dev seed). The merged report's counts per reason and code equal
 * the gateway's own `/metrics` deltas (login, renewToken, logout); the merged latency histograms
 * hold every answered login; a population's uid pools are split between the processes (no uid
 * logged in twice); a child killed mid-run fails the run at once with a message naming it, and no
 * child outlives the command; combinations that cannot be split are refused with exit 2 before
 * anything connects. The 40,000-session run is load-processes-40k.test.ts.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../client/load/index.js";
import type { Gateway } from "../../gateway/main.js";
import { attemptCounters, delta, ensureBuilt, reportCounts, runLoad, startTestGateway, targetArgs } from "./load-cli.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;

let gw: Gateway;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
  dir = mkdtempSync(join(tmpdir(), "rtm-load-processes-"));
});

afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The pids of `pid`'s children (Linux `ps`). */
function childPids(pid: number): number[] {
  const out = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("rtm-auth load --processes", () => {
  it("3 processes: the merged counts per reason and code equal the /metrics deltas; histograms and timeline add up", async () => {
    const file = join(dir, "report.json");
    const before = await attemptCounters(gw);
    const run = await runLoad([
      ...targetArgs(gw),
      "--processes", "3",
      "--rate", "60",
      "--duration", "4s",
      "--mix", "token007:0.6,token006:0.2,appid:0.2",
      "--invalid", "0.15",
      "--hold", "1s",
      "--renew-every", "400ms",
      "--profile", "rtm2",
      "--seed", "15",
      "--json", file,
    ]);
    const after = await attemptCounters(gw);
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    const r = JSON.parse(readFileSync(file, "utf8")) as LoadReport;

    expect(r.generator).toMatchObject({ processes: 3, engines: 3 });
    expect(r.options).toMatchObject({ processes: 3, workers: 0 });
    expect(r.login.attempts).toBe(240);
    expect(r.login.accepted + r.login.refused).toBe(240);
    expect(r.login.errors + r.renew.errors + r.logout.errors).toBe(0);
    expect(r.unexpected).toEqual({ total: 0, by: {} });
    expect(Object.keys(r.login.refusedBy)).toEqual(["invalid_signature"]);
    expect(r.login.refusedBy["invalid_signature"]).toEqual({ "-10005 RTM_ERROR_INVALID_TOKEN": r.login.refused });
    expect(r.renew.accepted).toBeGreaterThan(0);
    expect(r.logout.accepted).toBe(r.login.accepted);
    expect(r.closes).toEqual({ "1000": 240 });
    // Every process's logins are in the merged histograms and the merged timeline.
    expect(r.latency.login.count).toBe(240);
    expect(r.latency.renew.count).toBe(r.renew.accepted + r.renew.refused);
    expect(r.timeline.reduce((s, p) => s + p.attempts, 0)).toBe(240);
    expect(r.timeline.reduce((s, p) => s + p.refused, 0)).toBe(r.login.refused);
    // By credential: the three processes' draws added.
    expect(Object.values(r.byKind).reduce((s, k) => s + k.attempts, 0)).toBe(240);
    // The gateway saw exactly what the merged report says.
    expect(delta(before, after)).toEqual(reportCounts(r));
    // The text report says where the engines ran.
    const text = await runLoad([...targetArgs(gw), "--processes", "2", "--rate", "20", "--duration", "500ms", "--seed", "1"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/generator {2}2 engine thread\(s\) in 2 processes on \d+ CPUs/);
  }, 60_000);

  it("a population over 2 processes: each owns its own uids, none logged in twice; cohort counts add up", async () => {
    const file = join(dir, "small.json");
    writeFileSync(file, JSON.stringify({ uidsPerCohort: 6, cohorts: [{ name: "few", share: 0.5, credential: "token", holdSeconds: 2 }, { name: "bad", share: 0.5, credential: "token", bug: "wrong_certificate" }] }));
    const run = await runLoad([...targetArgs(gw), "--population", file, "--processes", "2", "--rate", "40", "--duration", "1s", "--seed", "9", "--json", "-"]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as LoadReport;
    const few = r.cohorts["few"]!;
    const bad = r.cohorts["bad"]!;
    // 6 uids in all, each held 2 s: at most 6 logins of `few` in 1 s, every other draw skipped.
    expect(few.attempts).toBe(6);
    expect(few.accepted).toBe(6);
    expect(few.attempts + few.skipped + bad.attempts + bad.skipped).toBe(40);
    expect(bad.refusedBy).toEqual({ invalid_signature: bad.attempts });
    expect(r.serverCloses).toEqual({});
    expect(r.unexpected.total).toBe(0);
  }, 30_000);

  it("a child killed mid-run fails the run at once (exit 2, named), and no child outlives the command", async () => {
    const logins = async (): Promise<number> => [...(await attemptCounters(gw))].reduce((n, [k, v]) => (k.startsWith("login ") ? n + v : n), 0);
    const before = await logins();
    const child = spawn(process.execPath, [BIN, "load", ...targetArgs(gw), "--processes", "2", "--rate", "20", "--duration", "60s", "--hold", "500ms"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      let kids: number[] = [];
      for (let i = 0; i < 100 && kids.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        kids = childPids(child.pid!);
      }
      expect(kids).toHaveLength(2);
      // Let the run start (the processes run only once every one is ready: a login at the gateway
      // says they are; a fixed wait was too short on a loaded machine), then kill the second one.
      for (let i = 0; i < 200 && (await logins()) === before; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await logins()).toBeGreaterThan(before);
      const killedAt = performance.now();
      process.kill(kids[1]!, "SIGKILL");
      const code = await exited;
      expect(code).toBe(2);
      expect(performance.now() - killedAt).toBeLessThan(10_000);
      expect(stderr).toMatch(new RegExp(`rtm-auth load: the run failed: load process [12] of 2 \\(pid ${kids[1]}\\) was killed by SIGKILL before the run was over`));
      for (const pid of kids) expect(alive(pid), `load process ${pid} still alive`).toBe(false);
    } finally {
      clearTimeout(timer);
      child.kill("SIGKILL");
    }
  }, 40_000);

  it("--ramp-up starts the closed model's users gradually, and the report says so", async () => {
    const run = await runLoad([...targetArgs(gw), "--processes", "2", "--concurrency", "20", "--ramp-up", "2s", "--duration", "3s", "--hold", "1h", "--json", "-"]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as LoadReport;
    expect(r.options).toMatchObject({ concurrency: 20, rampUpS: 2, processes: 2 });
    expect(r.login).toMatchObject({ attempts: 20, accepted: 20, errors: 0 });
    // Half-way through the ramp, about half are in; all 20 by its end, held until the run ends.
    expect(r.timeline[0]!.sessions).toBeLessThan(20);
    expect(Math.max(...r.timeline.map((p) => p.sessions))).toBe(20);
    expect(r.logout.accepted).toBe(20);
  }, 30_000);

  it.each<[string, string[], RegExp]>([
    ["--processes 0", ["--processes", "0"], /--processes must be an integer in \[1, 32\], got "0"/],
    ["--processes above the bound", ["--processes", "33"], /--processes must be an integer in \[1, 32\], got "33"/],
    // parseArgs alone calls a spaced negative value "ambiguous"; the range is what is wrong.
    ["--processes -1 (spaced)", ["--processes", "-1"], /^rtm-auth load: --processes must be an integer in \[1, 32\], got "-1"; see/],
    ["fewer users than processes", ["--processes", "3", "--concurrency", "2"], /--concurrency 2 cannot be split over 3 processes: give each at least one user/],
    ["users over every process's budget", ["--processes", "2", "--max-sockets", "10", "--concurrency", "25"], /--concurrency 25 is over the socket budget of 2 processes \(2 × 10\): give more --processes/],
    ["users over one process's budget", ["--max-sockets", "10", "--concurrency", "25"], /--concurrency 25 is over the socket budget of one process \(10\): spread it with --processes 3/],
    ["URLs that do not divide the engines", ["--url", "ws://127.0.0.1:9/rtm", "--processes", "3"], /2 --url targets cannot share 3 engine\(s\) evenly \(3 process\(es\) × 1 engine\(s\) each\): make processes × workers a multiple of 2/],
    ["--ramp-up with --rate", ["--rate", "10", "--ramp-up", "1s"], /--ramp-up starts the users of the closed model gradually: it takes --concurrency/],
    ["--ramp-up over --duration", ["--concurrency", "10", "--ramp-up", "5s", "--duration", "2s"], /--ramp-up must not be longer than --duration/],
  ])("%s → exit 2 before anything connects", async (_name, extra, message) => {
    // Port 9 (discard) has no gateway: a usage error must come before the probe would fail.
    const run = await runLoad(["--url", "ws://127.0.0.1:9/rtm", "--app-id", "e2000000000000000000000000000002", "--certificate", "e2c0ffee00000000000000000000c0de", ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/; see 'rtm-auth load --help'\n$/);
  });

  it("a population cohort with fewer uids than engines cannot be split → exit 2", async () => {
    const file = join(dir, "thin.json");
    writeFileSync(file, JSON.stringify({ cohorts: [{ name: "many", share: 0.9, credential: "token", uids: 100 }, { name: "pair", share: 0.1, credential: "appid", uids: 2 }] }));
    const run = await runLoad(["--url", "ws://127.0.0.1:9/rtm", "--app-id", "e2000000000000000000000000000002", "--certificate", "e2c0ffee00000000000000000000c0de", "--population", file, "--processes", "3"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--population: cohort pair \(2 uids\) cannot be split over 3 engines \(3 processes\): each engine needs at least one uid of every cohort/);
  });
});
