/**
 * The same App-ID → token migration rehearsed against two gateway PROCESSES sharing one Redis
 * (docs/rehearsal.md, "Rehearsing against running gateways"): the population is split between the two (each
 * uid on one gateway), the plan is put on the first, both clocks are moved each step, and the
 * cohort counts of both add up in the guards. 20 % legacy clients roll the plan back at the 10 %
 * stage; with none the plan completes and "No certificate" is deleted, as both gateways see.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../../bench/gateway-process.js";
import { loadPopulation } from "../../client/load/population.js";
import { rehearse } from "../../gateway/migration/rehearsal.js";
import { parseRolloutPlan } from "../../gateway/migration/rollout-schema.js";
import { deleteKeys, suiteRedis, uniquePrefix } from "../support/redis.js";

const redis = await suiteRedis();
const example = (name: string): string => new URL(`../../docs/examples/${name}`, import.meta.url).pathname;
/** The example plan with its guards' minimums cut by 10 (and 10 times fewer logins): the same stages and times, less traffic. */
const example_ = JSON.parse(readFileSync(example("rollout-token-only.json"), "utf8")) as { stages: Array<{ guards: Array<{ minLogins: number }> }> };
for (const s of example_.stages) for (const g of s.guards) g.minLogins /= 10;
const plan = parseRolloutPlan(example_);
const PACE = { stepSeconds: 1800, loginsPerStep: 10 } as const;

describe.skipIf(!redis.available)("rehearsing on two gateway processes sharing one Redis", () => {
  const url = redis.available ? redis.url : "";
  const prefix = uniquePrefix("rehearsal");
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    const env = { REDIS_URL: url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn", ROLLOUT_TICK_MS: "0" };
    [a, b] = await Promise.all([startGatewayProcess({ env, name: "A" }), startGatewayProcess({ env, name: "B" })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeys(url, prefix);
  });

  const targets = () => [{ url: a.http }, { url: b.http }];

  it("20 % legacy: the guard counts both gateways' cohort refusals and rolls back at 10 %", async () => {
    const r = await rehearse({ plan, population: loadPopulation(example("population-migration.json")), seed: 3, targets: targets(), appId: "7e4ea25a1000000000000000000000aa", ...PACE });
    expect(r.outcome, r.verdict).toBe("rolled_back");
    expect(r.rollbacks).toBe(1);
    const trip = r.timeline.find((t) => t.cause === "guard");
    expect(trip).toMatchObject({ fromStage: 0, toStage: -1, status: "rolled_back" });
    // Both gateways took logins of the cohort, and the guard judged more than either alone could have.
    expect(trip?.trip?.decisions).toBeGreaterThanOrEqual(20);
    expect(r.project.noCertificate).toBe(true);
    // Only the App-ID clients were refused for the mode; the updated ones never were.
    expect(r.cohorts.updated?.refused).toBe(0);
    // Both gateways served the population; their token_required refusals add up to the cohort's.
    const metrics = await Promise.all([a, b].map(async (g) => (await fetch(`${g.http}/metrics`)).text()));
    const sum = (text: string, re: RegExp): number => [...text.matchAll(re)].reduce((n, x) => n + Number(x[1]), 0);
    const logins = metrics.map((m) => sum(m, /^rtm_auth_attempts_total\{op="login",[^}]*\} (\d+)/gm));
    const required = metrics.map((m) => sum(m, /^rtm_auth_attempts_total\{op="login",result="refused",reason="token_required"[^}]*\} (\d+)/gm));
    expect(logins[0]).toBeGreaterThan(0);
    expect(logins[1]).toBeGreaterThan(0);
    expect(required[0]! + required[1]!).toBe(r.cohorts.legacy?.byReason.token_required);
  }, 120_000);

  it("0 % legacy: the same plan completes, and both gateways see No certificate deleted", async () => {
    const appId = "7e4ea25a1000000000000000000000bb";
    const r = await rehearse({ plan, population: loadPopulation(example("population-ready.json")), seed: 3, targets: targets(), appId, ...PACE });
    expect(r.outcome, `${r.verdict} ${JSON.stringify(r.cohorts)}`).toBe("completed");
    expect(r.timeline.map((t) => t.cause)).toEqual(["start", "auto_advance", "auto_advance", "auto_advance", "complete"]);
    expect(Object.values(r.cohorts).reduce((n, c) => n + c.refused, 0)).toBe(0);
    for (const g of [a, b]) {
      const p = (await (await fetch(`${g.http}/admin/projects/${appId}`)).json()) as { mode: string; noCertificate: boolean };
      expect(p).toMatchObject({ mode: "token", noCertificate: false });
    }
  }, 120_000);
});
