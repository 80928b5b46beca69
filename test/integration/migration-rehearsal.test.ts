/**
 * The seed's whole App-ID → token migration, rehearsed on the manual clock (docs/rehearsal.md):
 * the example plan (docs/examples/rollout-token-only.json: 10 %, 25 %, 50 %, everyone, guards on
 * token_required) against the example populations. With 20 % legacy App-ID clients the guard of
 * the 10 % stage trips and the rollout rolls back by itself; with none, the same plan completes
 * and "No certificate" is really deleted at the end. The same seed gives the same run.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPopulation } from "../../client/load/population.js";
import { parsePopulation } from "../../client/load/population.js";
import { rehearse, RehearsalError, stepWarnings, type RehearsalResult } from "../../gateway/migration/rehearsal.js";
import { appliedSeries } from "../../gateway/migration/rehearsal-html.js";
import { parseRolloutPlan } from "../../gateway/migration/rollout-schema.js";
import { formatRehearsal } from "../../gateway/cli/rehearse-command.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway } from "../../gateway/main.js";

const example = (name: string): string => new URL(`../../docs/examples/${name}`, import.meta.url).pathname;
const plan = parseRolloutPlan(JSON.parse(readFileSync(example("rollout-token-only.json"), "utf8")));
/** Half-hour steps (shorter than the example's one-hour tokens) of 50 logins: enough for every guard's minimum within its stage's least time. */
const PACE = { stepSeconds: 1800, loginsPerStep: 50 } as const;

describe("rehearsing the seed's App-ID → token migration (memory store)", () => {
  let legacy: RehearsalResult;

  it("20 % legacy clients: a guard of the 10 % stage trips and the plan rolls back by itself", async () => {
    legacy = await rehearse({ plan, population: loadPopulation(example("population-migration.json")), seed: 7, ...PACE });
    expect(legacy.outcome).toBe("rolled_back");
    expect(legacy.rollbacks).toBe(1);
    const trip = legacy.timeline.find((t) => t.cause === "guard");
    expect(trip).toMatchObject({ by: "controller", fromStage: 0, fromStageName: "10%", toStage: -1, status: "rolled_back" });
    // It tripped on the legacy cohort's token_required refusals: only App-ID clients are refused that way.
    expect(trip?.trip?.percent).toBeGreaterThan(1);
    expect(legacy.cohorts.legacy?.byReason).toEqual({ token_required: expect.any(Number) });
    expect(legacy.cohorts.updated?.refused).toBe(0);
    // Before the trip, only the 10 % cohort was refused: about a tenth of the legacy logins, not all of them.
    const legacyShare = (legacy.cohorts.legacy?.refused ?? 0) / (legacy.cohorts.legacy?.logins ?? 1);
    expect(legacyShare).toBeGreaterThan(0.02);
    expect(legacyShare).toBeLessThan(0.3);
    // Nothing irreversible happened.
    expect(legacy.project).toMatchObject({ noCertificate: true, mode: "either" });
    expect(legacy.verdict).toContain('rolled back at stage "10%"');
  });

  it("0 % legacy clients: the same plan completes, and No certificate is deleted at the end", async () => {
    const ready = await rehearse({ plan, population: loadPopulation(example("population-ready.json")), seed: 7, ...PACE });
    expect(ready.outcome).toBe("completed");
    expect(ready.rollbacks).toBe(0);
    expect(ready.timeline.map((t) => t.cause)).toEqual(["start", "auto_advance", "auto_advance", "auto_advance", "complete"]);
    // Each stage was left no earlier than its least time: 1 d, 1 d, 2 d, 3 d: a week in all.
    expect(ready.timeline.map((t) => t.elapsed)).toEqual([0, 86_400, 172_800, 345_600, 604_800]);
    expect(ready.project).toMatchObject({ noCertificate: false, mode: "token" });
    expect(ready.warnings).toEqual([]);
    expect(ready.simulatedSeconds).toBeGreaterThanOrEqual(7 * 86_400);
    expect(Object.values(ready.cohorts).reduce((n, c) => n + c.refused, 0)).toBe(0);
    // The report's "applied" line climbs 10, 25, 50, 100 and stays at 100 once the final step is
    // taken (status completed), rather than falling to 0 as if rolled back.
    const applied = appliedSeries(ready);
    expect(applied).toMatchObject({ byPercent: true, top: 100 });
    expect([...new Set(applied.values)]).toEqual([10, 25, 50, 100]);
    expect(ready.series.at(-1)?.status).toBe("completed");
    expect(applied.values.at(-1)).toBe(100);
    // A rolled-back run's line ends at 0: no cohort applied.
    expect(appliedSeries(legacy).values.at(-1)).toBe(0);
  }, 60_000); // a week of 30-minute steps, 50 logins each: about 6 s alone on 2 cores (in-process clients; over sockets it took 20 s, and over 60 s in CI runs on a slow shared machine)

  it("the same seed gives the same run; the series has a point per step", async () => {
    const again = await rehearse({ plan, population: loadPopulation(example("population-migration.json")), seed: 7, ...PACE });
    expect(again.timeline).toEqual(legacy.timeline);
    expect(again.cohorts).toEqual(legacy.cohorts);
    expect(again.series).toHaveLength(again.steps);
    expect(again.series.at(-1)?.status).toBe("rolled_back");
  });

  it("without a confirmation the run stops at the last stage, incomplete, and nothing is deleted", async () => {
    const short = parseRolloutPlan({ target: { target: "token_only" }, stages: [{ name: "all", cohort: { percent: 100 }, minSeconds: 3600, guards: [] }] });
    const r = await rehearse({ plan: short, population: loadPopulation(example("population-ready.json")), seed: 1, confirmFinalStep: false, maxSeconds: 6 * 3600, loginsPerStep: 10 });
    expect(r.outcome).toBe("incomplete");
    expect(r.timeline.map((t) => t.cause)).toEqual(["start", "awaiting_confirmation"]);
    expect(r.project.noCertificate).toBe(true);
    // It stops there, at the step that reached the confirmation, instead of running to the limit.
    expect(r.simulatedSeconds).toBe(r.timeline.at(-1)!.elapsed);
    expect(r.simulatedSeconds).toBeLessThan(6 * 3600);
    expect(r.verdict).toBe(
      "ready for the final step after 1 hour of simulated time: the last stage held its guards and waits for the confirmation (delete_no_certificate), which this run does not give (--no-confirm); nothing irreversible was done.",
    );
  });

  it("draws that find no idle uid are counted (skipped) and warned about: the cohort's share of the logins is smaller than planned", async () => {
    const short = parseRolloutPlan({ target: { target: "token_only" }, stages: [{ name: "all", cohort: { percent: 100 }, minSeconds: 3600, guards: [] }] });
    const population = parsePopulation(
      JSON.stringify({
        cohorts: [
          { name: "few", share: 0.5, credential: "token", holdSeconds: 86_400, uids: 4 },
          { name: "many", share: 0.5, credential: "token", holdSeconds: 0 },
        ],
      }),
      "few.json",
    );
    const r = await rehearse({ plan: short, population, seed: 3, confirmFinalStep: false, maxSeconds: 3 * 1800, loginsPerStep: 20 });
    const few = r.cohorts["few"]!;
    expect(few.logins).toBe(4); // each of the 4 uids once: they hold for a day
    expect(few.skipped).toBeGreaterThan(10);
    expect(few.logins + few.skipped + r.cohorts["many"]!.logins + r.cohorts["many"]!.skipped).toBe(r.steps * 20);
    expect(r.cohorts["many"]!.skipped).toBe(0);
    expect(r.series.reduce((n, p) => n + p.cohorts["few"]!.skipped, 0)).toBe(few.skipped);
    expect(r.warnings).toEqual([
      `cohort few: ${few.skipped} of its draws logged nobody in, no uid of its 4 being idle (or the runner's bound on live sessions reached); its share of the logins is smaller than planned: give it more uids (uidsPerCohort, or the cohort's uids) or send fewer logins per step`,
    ]);
    expect(formatRehearsal(r)).toMatch(new RegExp(`\\n  few +share 0\\.5 +logins +4 +refused +0 \\(0 %\\)  skipped ${few.skipped}\\n`));
  });

  it("a certificate rotation: clients on the old (secondary) certificate trip an invalid_signature guard; without them the secondary is deleted", async () => {
    const rotation = parseRolloutPlan({
      target: { target: "delete_certificate", slot: "secondary" },
      stages: [
        { name: "quarter", cohort: { percent: 25 }, minSeconds: 3 * 3600, guards: [{ reason: "invalid_signature", maxPercent: 1, minLogins: 20 }] },
        { name: "all", cohort: { percent: 100 }, minSeconds: 3 * 3600, guards: [{ reason: "invalid_signature", maxPercent: 1, minLogins: 20 }] },
      ],
    });
    const population = (old: number) =>
      parsePopulation(
        JSON.stringify({
          cohorts: [
            { name: "new-cert", share: 1 - old, credential: "token" },
            { name: "old-cert", share: old, credential: "token", certificate: "secondary" },
          ],
        }),
        "rotation.json",
      );
    const tripped = await rehearse({ plan: rotation, population: population(0.3), seed: 5, loginsPerStep: 40 });
    expect(tripped.outcome).toBe("rolled_back");
    expect(tripped.timeline.find((t) => t.cause === "guard")).toMatchObject({ fromStageName: "quarter", trip: { reason: "invalid_signature" } });
    expect(tripped.cohorts["old-cert"]?.byReason).toEqual({ invalid_signature: expect.any(Number) });
    expect(tripped.cohorts["new-cert"]?.refused).toBe(0);
    expect(tripped.project.secondary).toBe(true);
    const done = await rehearse({ plan: rotation, population: population(0), seed: 5, loginsPerStep: 40 });
    expect(done.outcome).toBe("completed");
    expect(done.project.secondary).toBe(false);
    expect(done.verdict).toContain("secondary certificate deleted");
  });

  it("warns when a step is longer than a holding cohort's tokens live; refuses a plan without a final step and running gateways without an App ID", async () => {
    const population = loadPopulation(example("population-ready.json"));
    expect(stepWarnings(population, 3599)).toEqual([]);
    const warning = (step: number) =>
      `cohort updated: its 3600 s tokens expire between two steps of ${step} s, so the gateway ends its sessions before they renew or log out, and its clients log in again at the next step; use a step shorter than 3600 s to see them renew`;
    expect(stepWarnings(population, 3600)).toEqual([warning(3600)]);
    // A step longer than the hold (2 h) too: the session still ends at its token's expiry, not at its logout.
    expect(stepWarnings(population, 2 * 86_400)).toEqual([warning(2 * 86_400)]);
    const shortHolds = parsePopulation(
      JSON.stringify({
        cohorts: [
          { name: "brief", share: 0.5, credential: "token", tokenTtlSeconds: 3600, holdSeconds: 600, reconnect: "never" },
          { name: "none", share: 0.3, credential: "token", tokenTtlSeconds: 600, holdSeconds: 0 },
          { name: "appid", share: 0.2, credential: "appid", holdSeconds: 86_400 },
        ],
      }),
      "short.json",
    );
    expect(stepWarnings(shortHolds, 7200)).toEqual([
      "cohort brief: its 3600 s tokens expire between two steps of 7200 s, so the gateway ends its sessions before they renew or log out, and its uids go back to the pool; use a step shorter than 3600 s to see them renew",
    ]);
    const primary = parseRolloutPlan({ target: { target: "token_only" }, stages: [{ name: "a", cohort: { percent: 1 }, minSeconds: 0 }] });
    await expect(rehearse({ plan: primary, population, seed: 1, targets: [{ url: "http://127.0.0.1:1" }] })).rejects.toThrow(RehearsalError);
    await expect(rehearse({ plan: primary, population, seed: 1, targets: [{ url: "http://127.0.0.1:1" }] })).rejects.toThrow("needs the project's App ID (--app-id)");
  });

  it("refuses gateways with stores of their own even when both hold the same project (two dev seeds): the second never sees the rollout", async () => {
    const start = () => startGateway({ config: { port: 0, host: "127.0.0.1", devSeed: true, logLevel: "silent" }, logger: createLogger("silent") });
    const [a, b] = [await start(), await start()];
    try {
      const appId = "e2000000000000000000000000000002"; // the dev seed's migration-window project, the same on both
      const run = rehearse({ plan, population: loadPopulation(example("population-ready.json")), seed: 1, appId, targets: [{ url: a.httpUrl }, { url: b.httpUrl }], loginsPerStep: 10 });
      await expect(run).rejects.toThrow(
        `${b.httpUrl} does not see the rollout put on ${a.httpUrl} for project ${appId}: the gateways given with --gateway must share one certificate store`,
      );
      // What the refused run leaves, and how to end it; the project was there before the run.
      await expect(run).rejects.toThrow(`(the plan put on ${a.httpUrl} stays there (rtm-auth migrate abort --admin-url ${a.httpUrl} --app-id ${appId} ends it), and the gateways' clocks stay frozen)`);
      expect(a.sessions.sessionCount + b.sessions.sessionCount).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("refuses gateways that do not share one store before anything runs: the second one does not have the project", async () => {
    const start = () => startGateway({ config: { port: 0, host: "127.0.0.1", devSeed: false, logLevel: "silent" }, logger: createLogger("silent") });
    const [a, b] = [await start(), await start()];
    try {
      const appId = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
      const targets = [{ url: a.httpUrl }, { url: b.httpUrl }];
      const run = rehearse({ plan, population: loadPopulation(example("population-ready.json")), seed: 1, appId, targets, loginsPerStep: 10 });
      await expect(run).rejects.toThrow(RehearsalError);
      await expect(run).rejects.toThrow(`${b.httpUrl} does not have project ${appId}, which ${a.httpUrl} has: the gateways given with --gateway must share one certificate store`);
      // The run created the project on A (the admin API deletes none): the message says so.
      await expect(run).rejects.toThrow(`(this run created project ${appId} on ${a.httpUrl}, in the migration window, and it stays there)`);
      // Nothing ran: no login reached either gateway, and no plan was put.
      expect(a.sessions.sessionCount + b.sessions.sessionCount).toBe(0);
      expect(a.store.get(appId)?.rollout).toBeUndefined();
      // The project on both, with another primary certificate on B (created there on its own): refused too.
      const post = (path: string, body?: unknown) =>
        fetch(`${b.httpUrl}/admin${path}`, { method: "POST", ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
      expect((await post("/projects", { mechanism: "appid", appId })).status).toBe(201);
      expect((await post(`/projects/${appId}/certificates/primary`)).status).toBe(200);
      const again = rehearse({ plan, population: loadPopulation(example("population-ready.json")), seed: 1, appId, targets, loginsPerStep: 10 });
      await expect(again).rejects.toThrow(`${b.httpUrl} holds project ${appId} with another primary certificate than ${a.httpUrl}: the gateways given with --gateway must share one certificate store`);
      await expect(again).rejects.not.toThrow("this run created"); // the first run did
    } finally {
      await a.close();
      await b.close();
    }
  });
});
