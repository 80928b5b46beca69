/**
 * `rtm-auth load --population FILE` (docs/population.md), spawned as a user runs it against a real
 * gateway (real clock, dev seed): every virtual user is a client of a cohort, with the cohort's
 * uid, credential and token bug; the report breaks the outcomes down per cohort, and what a cohort
 * is expected to get (its bug's refusal, or an accept) is not unexpected. A refusal the file does
 * not predict (App-ID clients on a token-only project) is, and fails `unexpected==0`. The uid pools
 * are split between worker threads: no uid is logged in twice. Usage errors exit 2 and name the
 * file and the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../client/load/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import type { Gateway } from "../../gateway/main.js";
import { attemptCounters, delta, EITHER, ensureBuilt, runLoad, startTestGateway, targetArgs } from "./load-cli.js";

const TOKEN_ONLY = DEV_PROJECTS.find((p) => p.mode === "token")!;

let gw: Gateway;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
  dir = mkdtempSync(join(tmpdir(), "rtm-load-population-"));
});

afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

function populationFile(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

const MIGRATION = {
  uidsPerCohort: 200,
  cohorts: [
    { name: "updated", share: 0.5, credential: "token", tokenVersion: "007" },
    { name: "old006", share: 0.1, credential: "token", tokenVersion: "006", holdSeconds: 1, tokenTtlSeconds: 3, renewBeforeExpirySeconds: 2 },
    { name: "legacy", share: 0.2, credential: "appid" },
    { name: "wrong-uid", share: 0.1, credential: "token", bug: "wrong_uid" },
    { name: "expired", share: 0.05, credential: "token", bug: "expired" },
    { name: "wrong-cert", share: 0.05, credential: "token", bug: "wrong_certificate" },
    { name: "unused", share: 0, credential: "appid" },
  ],
};

describe("rtm-auth load --population", () => {
  it("either project: each cohort gets its predicted answer, per cohort in the report, equal to /metrics", async () => {
    const file = populationFile("migration.json", MIGRATION);
    const before = await attemptCounters(gw);
    const html = join(dir, "migration.html");
    const run = await runLoad([...targetArgs(gw), "--population", file, "--rate", "100", "--duration", "2s", "--workers", "1", "--seed", "5", "--threshold", "unexpected==0", "--json", "-", "--html", html]);
    const after = await attemptCounters(gw);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as LoadReport;
    expect(r.options).toMatchObject({ mix: null, invalid: null, holdS: null, renewEveryS: null, tokenTtlS: null, population: { file } });
    expect(r.options.population!.cohorts.map((c) => c.name)).toEqual(MIGRATION.cohorts.map((c) => c.name));
    expect(Object.keys(r.cohorts)).toEqual(MIGRATION.cohorts.map((c) => c.name));
    const c = r.cohorts;
    for (const name of ["updated", "old006", "legacy", "wrong-uid", "expired", "wrong-cert"]) expect(c[name]!.attempts, name).toBeGreaterThan(0);
    expect(c["unused"]).toMatchObject({ attempts: 0, share: 0 });
    for (const name of ["updated", "old006", "legacy"]) expect([name, c[name]!.accepted, c[name]!.refused, c[name]!.expect]).toEqual([name, c[name]!.attempts, 0, null]);
    expect(c["wrong-uid"]).toMatchObject({ accepted: 0, refused: c["wrong-uid"]!.attempts, refusedBy: { uid_mismatch: c["wrong-uid"]!.attempts }, expect: "uid_mismatch", unexpected: 0 });
    expect(c["expired"]).toMatchObject({ accepted: 0, refusedBy: { token_expired: c["expired"]!.attempts }, expect: "token_expired" });
    expect(c["wrong-cert"]).toMatchObject({ accepted: 0, refusedBy: { invalid_signature: c["wrong-cert"]!.attempts }, expect: "invalid_signature" });
    // old006 holds 1 s and renews every 1 s (3 s lifetime less 2): about one renewal each.
    expect(c["old006"]!.renewals).toBeGreaterThan(0);
    expect(c["old006"]!.renewRefused).toBe(0);
    expect(r.unexpected).toEqual({ total: 0, by: {} });
    expect(r.login.attempts).toBe(200);
    // The wire codes (rtm1 login) and the gateway's own counters agree with the report.
    expect(r.login.refusedBy["uid_mismatch"]).toEqual({ "3 LOGIN_ERR_INVALID_ARGUMENT": c["wrong-uid"]!.attempts });
    expect(r.login.refusedBy["token_expired"]).toEqual({ "6 LOGIN_ERR_TOKEN_EXPIRED": c["expired"]!.attempts });
    expect(r.login.refusedBy["invalid_signature"]).toEqual({ "5 LOGIN_ERR_INVALID_TOKEN": c["wrong-cert"]!.attempts });
    // The HTML report has the per-cohort table, every cohort a row.
    const page = readFileSync(html, "utf8");
    expect(page).toContain("<h3>By cohort</h3>");
    for (const name of Object.keys(c)) expect(page).toContain(`<tr><td>${name}</td>`);
    expect(page).toContain("uid_mismatch ×");
    const d = delta(before, after);
    expect(d.get("login refused uid_mismatch")).toBe(c["wrong-uid"]!.attempts);
    expect(d.get("login refused token_expired")).toBe(c["expired"]!.attempts);
    expect(d.get("login accepted ok")).toBe(c["updated"]!.accepted + c["old006"]!.accepted + c["legacy"]!.accepted);
    expect(d.get("renewToken accepted ok")).toBe(c["old006"]!.renewals);
  }, 30_000);

  it("token-only project: the App-ID cohort's token_required is unexpected and fails unexpected==0 (exit 1); the text report names the cohort", async () => {
    const file = populationFile("legacy.json", { uidsPerCohort: 100, cohorts: [{ name: "updated", share: 0.7, credential: "token" }, { name: "legacy", share: 0.3, credential: "appid" }] });
    const run = await runLoad(["--url", gw.url, "--app-id", TOKEN_ONLY.appId, "--certificate", TOKEN_ONLY.certificate!, "--population", file, "--rate", "50", "--duration", "1s", "--workers", "1", "--seed", "2", "--threshold", "unexpected==0"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`population ${file}: updated 0.7, legacy 0.3`);
    expect(run.stdout).toMatch(/by cohort \(share; expected answer\):\n\s+updated \(0\.7; accept\)\s+\d+ attempts/);
    expect(run.stdout).toMatch(/legacy \(0\.3; accept\)[^\n]*\d+ unexpected\n\s+refused token_required\s+\d+/);
    expect(run.stdout).toMatch(/login refused: token_required \(cohort legacy\)\s+\d+/);
    expect(run.stdout).toMatch(/unexpected==0\s+\d+\s+FAIL/);
  }, 30_000);

  it("two worker threads share the uid pools: a pool smaller than the load is skipped, never logged in twice", async () => {
    const file = populationFile("small.json", { uidsPerCohort: 6, cohorts: [{ name: "few", share: 1, credential: "token", holdSeconds: 2 }] });
    const run = await runLoad([...targetArgs(gw), "--population", file, "--rate", "40", "--duration", "1s", "--workers", "2", "--seed", "9", "--json", "-"]);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as LoadReport;
    const few = r.cohorts["few"]!;
    expect(few.attempts).toBe(6);
    expect(few.accepted).toBe(6);
    expect(few.skipped).toBe(34);
    expect(r.serverCloses).toEqual({});
    expect(r.generator.saturation.join(" ")).toContain("34 arrivals skipped: every uid of their cohort was logged in");
  }, 30_000);

  it.each<[string, (file: string) => string[], RegExp]>([
    ["--mix with --population", (f) => ["--population", f, "--mix", "token007:1"], /--population describes every user: it cannot be combined with --mix/],
    ["--invalid and --hold with --population", (f) => ["--population", f, "--invalid", "0.1", "--hold", "1s"], /cannot be combined with --invalid, --hold/],
    ["--renew-every and --token-ttl with --population", (f) => ["--population", f, "--renew-every", "1s", "--token-ttl", "60"], /cannot be combined with --renew-every, --token-ttl/],
    ["a missing file", () => ["--population", join(dir, "none.json")], /--population: .*none\.json: no such file/],
    ["a bad share", () => ["--population", populationFile("bad.json", { cohorts: [{ name: "a", share: 0.5, credential: "appid" }, { name: "b", share: "x", credential: "appid" }] })], /--population: .*bad\.json: cohorts\[1\]\.share must be a number in \[0, 1\]/],
  ])("%s is a usage error (exit 2)", async (_what, args, message) => {
    const file = populationFile("ok.json", { cohorts: [{ name: "a", share: 1, credential: "token" }] });
    const run = await runLoad([...targetArgs(gw), ...args(file), "--duration", "1s"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("an expired-token cohort needs local minting: --admin-url is a usage error naming the cohort", async () => {
    const file = populationFile("expired.json", { cohorts: [{ name: "ok", share: 0.9, credential: "token" }, { name: "stale", share: 0.1, credential: "token", bug: "expired" }] });
    const run = await runLoad(["--url", gw.url, "--app-id", EITHER.appId, "--admin-url", gw.httpUrl, "--population", file, "--duration", "1s"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--population: cohort stale needs an expired token, which only local minting makes: give --certificate instead of --admin-url");
  });

  it("--admin-url mints the other cohorts' tokens through the admin API, bugs included", async () => {
    const file = populationFile("admin.json", {
      uidsPerCohort: 100,
      cohorts: [
        { name: "updated", share: 0.6, credential: "token" },
        { name: "stamp", share: 0.2, credential: "token", bug: "expiry_as_timestamp" },
        { name: "mixed-up", share: 0.2, credential: "token", bug: "wrong_uid" },
      ],
    });
    const run = await runLoad(["--url", gw.url, "--app-id", EITHER.appId, "--admin-url", gw.httpUrl, "--population", file, "--rate", "40", "--duration", "1s", "--workers", "1", "--seed", "4", "--json", "-"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as LoadReport;
    expect(r.cohorts["updated"]).toMatchObject({ refused: 0, errors: 0 });
    expect(r.cohorts["stamp"]).toMatchObject({ refused: 0, errors: 0 });
    expect(r.cohorts["mixed-up"]).toMatchObject({ accepted: 0, errors: 0, refusedBy: { uid_mismatch: r.cohorts["mixed-up"]!.attempts } });
    expect(r.cohorts["updated"]!.accepted + r.cohorts["stamp"]!.accepted).toBeGreaterThan(0);
    expect(r.unexpected.total).toBe(0);
  });
});
