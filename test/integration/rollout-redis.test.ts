/**
 * Staged rollouts on two gateways sharing one Redis (docs/rollouts.md, "Several gateways"): the
 * rollout is one field of the project's record, so a plan put through one gateway is enforced on
 * the other's logins; the cohort's counts of both gateways add up in the guards (neither alone
 * reaches minLogins) and the guard trips; concurrent actions and ticks on both gateways make
 * exactly one transition per revision (compare-and-set); a repeated Idempotency-Key applies an
 * action once. In-process gateways, a unique key prefix, the controller's timer off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import type { JournalEntry, RolloutView } from "../../core/protocol/admin.js";
import { uidBucket } from "../../core/rollout/cohort.js";
import { SimulatedClock } from "../../gateway/clock/simulated-clock.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { adminApi, type AdminApi, type Reply } from "../support/admin-api.js";
import { deleteKeys, suiteRedis, uniquePrefix } from "../support/redis.js";

const redis = await suiteRedis();
const T0 = 1_718_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!redis.available)("staged rollouts on two gateways sharing one Redis", () => {
  const url = redis.available ? redis.url : "";
  const prefix = uniquePrefix("rollout");
  let a: Gateway;
  let b: Gateway;
  let apiA: AdminApi;
  let apiB: AdminApi;
  const start = (): Promise<Gateway> =>
    startGateway({
      config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false, redisUrl: url, redisKeyPrefix: prefix, rolloutTickMs: 0 },
      clock: new SimulatedClock({ frozenAtSeconds: T0 }),
    });

  beforeAll(async () => {
    a = await start();
    b = await start();
    apiA = adminApi(a.httpUrl);
    apiB = adminApi(b.httpUrl);
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (redis.available) await deleteKeys(url, prefix);
  });

  /** A project in its migration window (App ID and tokens), made through gateway A. */
  async function project(appId: string): Promise<void> {
    expect((await apiA.call("POST", "/admin/projects", { mechanism: "appid", appId })).status).toBe(201);
    expect((await apiA.call("POST", `/admin/projects/${appId}/certificates/primary`)).status).toBe(200);
  }

  /** Polls `api`'s rollout until `done` holds (bounded), and returns it. */
  async function until(api: AdminApi, appId: string, done: (v: RolloutView) => boolean, what: string): Promise<RolloutView> {
    let last: Reply<RolloutView> | undefined;
    for (let i = 0; i < 200; i++) {
      last = await api.call<RolloutView>("GET", `/admin/projects/${appId}/rollout`);
      if (last.status === 200 && done(last.body)) return last.body;
      await sleep(10);
    }
    throw new Error(`${what}: not seen within 2 s (last: ${last?.status} ${last?.text.slice(0, 300)})`);
  }

  async function login(gw: Gateway, appId: string, uid: string): Promise<string | null> {
    const c = createRtmClient({ url: gw.url, appId });
    try {
      await c.login({ uid, token: null });
      await c.logout();
      return null;
    } catch (err) {
      return (err as { reason: string }).reason;
    } finally {
      await c.close();
    }
  }

  const inCohort = (appId: string, percent: number, inside: boolean, count: number, tag: string): string[] => {
    const out: string[] = [];
    for (let i = 0; out.length < count; i++) if (uidBucket(appId, `${tag}${i}`) < percent * 100 === inside) out.push(`${tag}${i}`);
    return out;
  };

  const rolloutJournal = async (api: AdminApi, appId: string): Promise<JournalEntry[]> =>
    (await api.call<{ entries: JournalEntry[] }>("GET", `/admin/journal?appId=${appId}&op=rollout&limit=1000`)).body.entries;

  it("a plan put on A is enforced on B's logins; both gateways' cohort refusals add up in the guard, which trips", async () => {
    const APP = "7011ed15000000000000000000000001";
    await project(APP);
    const put = await apiA.call<RolloutView>("PUT", `/admin/projects/${APP}/rollout`, {
      target: { target: "token_only" },
      advance: "manual",
      stages: [
        { name: "canary", cohort: { uidPattern: "canary-*" }, minSeconds: 3600 },
        { name: "half", cohort: { percent: 50 }, minSeconds: 3600, guards: [{ reason: "token_required", maxPercent: 10, minLogins: 6 }] },
      ],
    });
    expect(put.status).toBe(201);
    expect((await apiA.call<RolloutView>("POST", `/admin/projects/${APP}/rollout/advance`)).body).toMatchObject({ stage: 1, revision: 2 });
    await until(apiB, APP, (v) => v.revision === 2, "B sees stage 1");

    const inside = inCohort(APP, 50, true, 6, "u");
    const [outside] = inCohort(APP, 50, false, 1, "u");
    // B enforces A's plan: a cohort uid's App-ID login is refused, another uid's is accepted.
    expect(await login(b, APP, outside as string)).toBeNull();
    for (const uid of inside.slice(0, 3)) expect(await login(b, APP, uid)).toBe("token_required");
    // Neither gateway alone reaches minLogins: B's three are not enough, and ticking judges nothing.
    await b.rollouts.tick();
    const afterB = await until(apiA, APP, (v) => v.counts?.login.decisions === 3, "A reads B's 3 counts");
    expect(afterB).toMatchObject({ status: "running", stage: 1, guards: [{ decisions: 3, refused: 3, holds: false, tripped: false }] });
    for (const uid of inside.slice(3)) expect(await login(a, APP, uid)).toBe("token_required");
    const both = await until(apiB, APP, (v) => v.counts?.login.decisions === 6, "B reads both gateways' 6 counts");
    expect(both.guards[0]).toMatchObject({ decisions: 6, refused: 6, percent: 100, tripped: true });
    expect(both.status).toBe("running");

    await Promise.all([a.rollouts.tick(), b.rollouts.tick()]);
    const rolled = await until(apiA, APP, (v) => v.status === "rolled_back", "A sees the rollback");
    expect(rolled).toMatchObject({ stage: 0, stageName: "canary", revision: 3 });
    expect(rolled.history.at(-1)).toMatchObject({ cause: "guard", by: "controller", fromStage: 1, toStage: 0, trip: { refused: 6, decisions: 6 } });
    await until(apiB, APP, (v) => v.revision === 3, "B sees the rollback");
    // One gateway made the transition: one journal entry and one metric increment between them.
    const guardEntries = [...(await rolloutJournal(apiA, APP)), ...(await rolloutJournal(apiB, APP))].filter((e) => e.rollout?.cause === "guard");
    expect(guardEntries).toHaveLength(1);
    const metric = /rtm_auth_rollout_transitions_total\{cause="guard",status="rolled_back"\} (\d+)/;
    const counted = await Promise.all([a, b].map(async (gw) => Number(metric.exec(await (await fetch(`${gw.httpUrl}/metrics`)).text())?.[1] ?? 0)));
    expect(counted[0]! + counted[1]!).toBe(1);
    // B applies the rolled-back stage now: the 50 % cohort is gone, the canary one applies.
    expect(await login(b, APP, inside[0] as string)).toBeNull();
    expect(await login(b, APP, "canary-7")).toBe("token_required");
  }, 15_000);

  it("concurrent actions and ticks on both gateways: exactly one transition per revision; a repeated Idempotency-Key applies an action once", async () => {
    const APP = "7011ed15000000000000000000000002";
    await project(APP);
    const stages = [1, 2, 3, 4, 5, 6].map((i) => ({ name: `s${i}`, cohort: { percent: i * 10 }, minSeconds: 600 }));
    expect((await apiA.call("PUT", `/admin/projects/${APP}/rollout`, { target: { target: "token_only" }, advance: "auto", stages })).status).toBe(201);
    await until(apiB, APP, (v) => v.revision === 1, "B sees the plan");

    // Both pause at once: one is applied, the other is refused (it finds the rollout paused or moving).
    const pauses = await Promise.all([apiA, apiB].map((api) => api.call("POST", `/admin/projects/${APP}/rollout/pause`)));
    const statuses = pauses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const loser = pauses.find((r) => r.status === 409) as Reply<{ error: { code: string } }>;
    expect(["rollout_not_running", "revision_mismatch"]).toContain(loser.body.error.code);
    await until(apiB, APP, (v) => v.status === "paused" && v.revision === 2, "B sees the pause");
    await until(apiA, APP, (v) => v.status === "paused" && v.revision === 2, "A sees the pause");

    // Both resume, then both advance at once: each revision is moved once, whoever moves it.
    await Promise.all([apiA, apiB].map((api) => api.call("POST", `/admin/projects/${APP}/rollout/resume`)));
    await until(apiB, APP, (v) => v.status === "running", "B sees it running");
    await until(apiA, APP, (v) => v.status === "running", "A sees it running");
    await Promise.all([apiA, apiB].map((api) => api.call("POST", `/admin/projects/${APP}/rollout/advance`)));

    // Both controllers judge a stage whose time has passed, at once: one auto advance.
    const before = await until(apiA, APP, () => true, "A's view");
    await until(apiB, APP, (v) => v.revision === before.revision, "B caught up");
    a.clock.advance(600);
    b.clock.advance(600);
    await Promise.all([a.rollouts.tick(), b.rollouts.tick(), a.rollouts.tick(), b.rollouts.tick()]);
    const after = await until(apiA, APP, (v) => v.revision === before.revision + 1, "the auto advance");
    expect(after.history.at(-1)).toMatchObject({ cause: "auto_advance", by: "controller", fromStage: before.stage, toStage: before.stage + 1 });

    // An action repeated with the same Idempotency-Key (a lost reply, sent again to the other gateway) is applied once.
    await until(apiB, APP, (v) => v.revision === after.revision, "B caught up again");
    const key = { "idempotency-key": `advance-${prefix}` };
    const first = await apiA.call<RolloutView>("POST", `/admin/projects/${APP}/rollout/advance`, undefined, key);
    expect(first.body).toMatchObject({ revision: after.revision + 1, stage: after.stage + 1 });
    await until(apiB, APP, (v) => v.revision === after.revision + 1, "B sees the keyed advance");
    const repeat = await apiB.call<RolloutView>("POST", `/admin/projects/${APP}/rollout/advance`, undefined, key);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ revision: after.revision + 1, stage: after.stage + 1 });

    // The record's history and the two journals: revisions 1..n, each once, none made twice.
    const final = await until(apiA, APP, (v) => v.revision === after.revision + 1, "the final state");
    expect(final.history.map((t) => t.revision)).toEqual(Array.from({ length: final.revision }, (_, i) => i + 1));
    const journaled = [...(await rolloutJournal(apiA, APP)), ...(await rolloutJournal(apiB, APP))].map((e) => e.rollout?.revision).sort((x, y) => (x ?? 0) - (y ?? 0));
    expect(journaled).toEqual(Array.from({ length: final.revision }, (_, i) => i + 1));
  }, 15_000);
});
