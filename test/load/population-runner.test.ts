/**
 * The population runner (client/load/population-runner.ts) against a real in-process gateway
 * with a frozen simulated clock (test/support/gateway-harness.ts): each cohort gets the answer
 * docs/population.md gives for its credential and bug, per auth mode and after the step to token
 * only (reason and wire code); holding clients renew across steps; a session the gateway ended
 * logs in again at the next step (or its uid goes back to the pool); a seed repeats a run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PopulationRunner, type CohortStepResult, type PopulationStepResult } from "../../client/load/population-runner.js";
import { parsePopulation, type Population } from "../../client/load/population.js";
import { connectInProcess } from "../../gateway/ws/in-process-peer.js";
import { adminApi } from "../support/admin-api.js";
import { APPS, startHarness, T0, type Harness } from "../support/gateway-harness.js";

let h: Harness;
const runners: PopulationRunner[] = [];

beforeAll(async () => {
  h = await startHarness({ journalSize: 0 });
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.close()));
  await h?.close();
});

const population = (cohorts: unknown[], uidsPerCohort = 100): Population => parsePopulation(JSON.stringify({ uidsPerCohort, cohorts }), "test.json");

function runner(app: { appId: string; certificate: string | null }, pop: Population, seed = 7): PopulationRunner {
  const r = new PopulationRunner({ url: h.gateway.url, appId: app.appId, profile: "rtm1", population: pop, certificate: app.certificate, seed });
  runners.push(r);
  return r;
}

/** Every cohort's login answers: accepted count, refusals by reason, refusal codes. */
const answers = (c: CohortStepResult) => ({ accepted: c.accepted, refused: c.refused, codes: c.refusedCodes });

/** One cohort of each kind, each with a share so that 200 draws reach all of them. */
const EVERY_KIND = population([
  { name: "updated", share: 0.4, credential: "token", tokenVersion: "007" },
  { name: "old006", share: 0.1, credential: "token", tokenVersion: "006" },
  { name: "legacy", share: 0.2, credential: "appid" },
  { name: "bad-expiry", share: 0.1, credential: "token", bug: "expiry_as_timestamp" },
  { name: "wrong-uid", share: 0.1, credential: "token", bug: "wrong_uid" },
  { name: "expired", share: 0.05, credential: "token", bug: "expired" },
  { name: "wrong-cert", share: 0.05, credential: "token", bug: "wrong_certificate" },
]);

/** rtm1 login codes (gateway/protocol/wire-codes.ts). */
const INVALID_TOKEN = "5 LOGIN_ERR_INVALID_TOKEN";
const TOKEN_EXPIRED = "6 LOGIN_ERR_TOKEN_EXPIRED";
/** rtm1 login code of uid_mismatch: the uid argument does not match the token's. */
const INVALID_ARGUMENT = "3 LOGIN_ERR_INVALID_ARGUMENT";

function expectOnly(c: CohortStepResult, outcome: "accepted" | { reason: string; code: string }, name: string): void {
  expect(c.logins, `${name}: no login drawn`).toBeGreaterThan(0);
  expect(c.errors, name).toEqual({});
  if (outcome === "accepted") expect(answers(c), name).toEqual({ accepted: c.logins, refused: {}, codes: {} });
  else expect(answers(c), name).toEqual({ accepted: 0, refused: { [outcome.reason]: c.logins }, codes: { [outcome.reason]: { [outcome.code]: c.logins } } });
}

describe("each cohort gets the answer of its credential and bug", () => {
  it("token-only project: App-ID clients token_required, each bug its reason, bad expiry accepted with the 24 h cap", async () => {
    const r = await runner(APPS.token, EVERY_KIND).step(h.clock.nowSeconds(), 200);
    const c = r.cohorts;
    expectOnly(c["updated"]!, "accepted", "updated");
    expectOnly(c["old006"]!, "accepted", "old006");
    expectOnly(c["bad-expiry"]!, "accepted", "bad-expiry");
    expectOnly(c["legacy"]!, { reason: "token_required", code: INVALID_TOKEN }, "legacy");
    expectOnly(c["wrong-uid"]!, { reason: "uid_mismatch", code: INVALID_ARGUMENT }, "wrong-uid");
    expectOnly(c["expired"]!, { reason: "token_expired", code: TOKEN_EXPIRED }, "expired");
    expectOnly(c["wrong-cert"]!, { reason: "invalid_signature", code: INVALID_TOKEN }, "wrong-cert");
    // holdSeconds 0: every accepted client logged out at once.
    for (const [name, x] of Object.entries(c)) expect({ name, logouts: x.logouts, live: x.live }).toEqual({ name, logouts: x.accepted, live: 0 });
    expect(Object.values(c).reduce((s, x) => s + x.logins + x.skipped, 0)).toBe(200);
  });

  it("either project: App-ID clients accepted too; the bugs refused the same way", async () => {
    const c = (await runner(APPS.either, EVERY_KIND).step(h.clock.nowSeconds(), 200)).cohorts;
    for (const name of ["updated", "old006", "bad-expiry", "legacy"]) expectOnly(c[name]!, "accepted", name);
    expectOnly(c["wrong-uid"]!, { reason: "uid_mismatch", code: INVALID_ARGUMENT }, "wrong-uid");
    expectOnly(c["expired"]!, { reason: "token_expired", code: TOKEN_EXPIRED }, "expired");
    expectOnly(c["wrong-cert"]!, { reason: "invalid_signature", code: INVALID_TOKEN }, "wrong-cert");
  });

  it("App-ID-only project: App-ID clients accepted, every token refused token_not_accepted before its bug is looked at", async () => {
    // The project has no certificate: the token cohorts sign with one of their own.
    const c = (await runner({ appId: APPS.appid.appId, certificate: "0123456789abcdef0123456789abcdef" }, EVERY_KIND).step(h.clock.nowSeconds(), 200)).cohorts;
    expectOnly(c["legacy"]!, "accepted", "legacy");
    for (const name of ["updated", "old006", "bad-expiry", "wrong-uid", "expired", "wrong-cert"]) expectOnly(c[name]!, { reason: "token_not_accepted", code: INVALID_TOKEN }, name);
  });

  it("rtm2: the same reasons with the RTM 2.x codes", async () => {
    const rtm2 = (app: { appId: string; certificate: string | null }) => {
      const r = new PopulationRunner({ url: h.gateway.url, appId: app.appId, profile: "rtm2", population: EVERY_KIND, certificate: app.certificate, seed: 3 });
      runners.push(r);
      return r;
    };
    const t = (await rtm2(APPS.token).step(h.clock.nowSeconds(), 200)).cohorts;
    expectOnly(t["legacy"]!, { reason: "token_required", code: "-10005 RTM_ERROR_INVALID_TOKEN" }, "legacy");
    expectOnly(t["wrong-uid"]!, { reason: "uid_mismatch", code: "-10005 RTM_ERROR_INVALID_TOKEN" }, "wrong-uid");
    expectOnly(t["expired"]!, { reason: "token_expired", code: "-10009 RTM_ERROR_TOKEN_EXPIRED" }, "expired");
    expectOnly(t["wrong-cert"]!, { reason: "invalid_signature", code: "-10005 RTM_ERROR_INVALID_TOKEN" }, "wrong-cert");
    expectOnly(t["updated"]!, "accepted", "updated");
    const a = (await rtm2({ appId: APPS.appid.appId, certificate: "0123456789abcdef0123456789abcdef" }).step(h.clock.nowSeconds(), 100)).cohorts;
    expectOnly(a["updated"]!, { reason: "token_not_accepted", code: "-10003 RTM_ERROR_INVALID_APP_ID" }, "updated on App ID only");
  });

  it("legacy clients are accepted until the project goes token only, then refused token_required; updated clients never notice", async () => {
    const appId = "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a";
    const certificate = "9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c";
    await h.store.update(appId, () => ({ appId, noCertificate: true, primary: { value: certificate, enabledAt: T0 - 86_400, activeAt: T0 - 86_400 }, secondary: null, enabled: true, version: 0 }));
    const pop = population([
      { name: "updated", share: 0.8, credential: "token" },
      { name: "legacy", share: 0.2, credential: "appid" },
    ]);
    const run = runner({ appId, certificate }, pop);
    const before = (await run.step(h.clock.nowSeconds(), 100)).cohorts;
    expectOnly(before["legacy"]!, "accepted", "legacy before");
    expectOnly(before["updated"]!, "accepted", "updated before");
    const step = await adminApi(h.gateway.httpUrl).call("DELETE", `/admin/projects/${appId}/no-certificate`);
    expect(step.status).toBe(200);
    h.clock.advance(60);
    const after = (await run.step(h.clock.nowSeconds(), 100)).cohorts;
    expectOnly(after["legacy"]!, { reason: "token_required", code: INVALID_TOKEN }, "legacy after");
    expectOnly(after["updated"]!, "accepted", "updated after");
  });
});

describe("behaviour over steps", () => {
  it("holding clients renew before their token's expiry across steps, then log out when their hold is over", async () => {
    const pop = population([{ name: "holder", share: 1, credential: "token", tokenTtlSeconds: 900, renewBeforeExpirySeconds: 60, holdSeconds: 1800 }], 20);
    const run = runner(APPS.token, pop);
    const results: PopulationStepResult[] = [];
    results.push(await run.step(h.clock.nowSeconds(), 10));
    for (let i = 0; i < 6; i++) {
      h.clock.advance(300);
      results.push(await run.step(h.clock.nowSeconds(), 0));
    }
    const rows = results.map((r) => {
      const c = r.cohorts["holder"]!;
      return { logins: c.logins, accepted: c.accepted, renewals: c.renewals, renewRefused: c.renewRefused, logouts: c.logouts, ended: c.ended, live: c.live, errors: c.errors };
    });
    const none = { renewRefused: {}, ended: {}, errors: {} };
    // Expiry at login + 900; a client renews when its renewal (expiry − 60) falls before the next
    // step (now + 300, the last step's length), with a token issued now: expiry now + 900.
    expect(rows).toEqual([
      { logins: 10, accepted: 10, renewals: 0, logouts: 0, live: 10, ...none }, // +0: expiry 900
      { logins: 0, accepted: 0, renewals: 0, logouts: 0, live: 10, ...none }, // +300: renewal at 840 > 600
      { logins: 0, accepted: 0, renewals: 10, logouts: 0, live: 10, ...none }, // +600: 840 ≤ 900 → expiry 1500
      { logins: 0, accepted: 0, renewals: 0, logouts: 0, live: 10, ...none }, // +900: 1440 > 1200
      { logins: 0, accepted: 0, renewals: 10, logouts: 0, live: 10, ...none }, // +1200: 1440 ≤ 1500 → expiry 2100
      { logins: 0, accepted: 0, renewals: 0, logouts: 0, live: 10, ...none }, // +1500: 2040 > 1800
      { logins: 0, accepted: 0, renewals: 0, logouts: 10, live: 0, ...none }, // +1800: the hold is over
    ]);
    expect(h.gateway.sessions.list({ appId: APPS.token.appId }).filter((s) => s.uid.startsWith("holder-"))).toEqual([]);
  });

  it("a session the gateway ended logs in again at the next step (next_step), or its uid goes back to the pool (never)", async () => {
    const pop = population([
      { name: "again", share: 0.5, credential: "token", tokenTtlSeconds: 600, holdSeconds: 7200, reconnect: "next_step", uids: 5 },
      { name: "gone", share: 0.5, credential: "token", tokenTtlSeconds: 600, holdSeconds: 7200, reconnect: "never", uids: 5 },
    ]);
    const run = runner(APPS.token, pop, 11);
    const t0 = h.clock.nowSeconds();
    const first = (await run.step(t0, 40)).cohorts;
    // Five uids per cohort: every uid is logged in once, the other draws are skipped.
    expect([first["again"]!.accepted, first["gone"]!.accepted, first["again"]!.live + first["gone"]!.live]).toEqual([5, 5, 10]);
    expect(first["again"]!.skipped + first["gone"]!.skipped).toBe(30);

    h.clock.advance(602); // past every token's expiry: the gateway ends the sessions (4503)
    await expect.poll(() => run.live, { timeout: 2_000, interval: 5 }).toBe(0);
    const second = (await run.step(t0 + 602, 0)).cohorts;
    expect(second["again"]!.ended).toEqual({ session_token_expired: 5 });
    expect(second["gone"]!.ended).toEqual({ session_token_expired: 5 });
    expect([second["again"]!.logins, second["again"]!.reconnects, second["again"]!.accepted, second["again"]!.live]).toEqual([5, 5, 5, 5]);
    expect([second["gone"]!.logins, second["gone"]!.live]).toEqual([0, 0]);

    // The "gone" uids are back in their pool: new draws log them in again; "again" has none free.
    const third = (await run.step(t0 + 603, 40)).cohorts;
    expect([third["gone"]!.accepted, third["again"]!.logins]).toEqual([5, 0]);
    expect(run.totals().cohorts["again"]).toMatchObject({ logins: 10, reconnects: 5, accepted: 10, ended: { session_token_expired: 5 }, live: 5 });
  });

  it("expiry_as_timestamp: the session outlives the token's asked-for hour and ends at the 24 h cap (4503), not at 2080", async () => {
    const pop = population([
      { name: "stamp", share: 0.5, credential: "token", bug: "expiry_as_timestamp", tokenTtlSeconds: 3600, holdSeconds: 172_800, reconnect: "never", uids: 4 },
      { name: "right", share: 0.5, credential: "token", tokenTtlSeconds: 3600, holdSeconds: 172_800, reconnect: "never", uids: 4 },
    ]);
    const run = runner(APPS.token, pop, 5);
    const t0 = h.clock.nowSeconds();
    const first = (await run.step(t0, 40)).cohorts;
    expect([first["stamp"]!.live, first["right"]!.live]).toEqual([4, 4]);
    h.clock.advance(3601);
    await expect.poll(() => run.live, { timeout: 2_000, interval: 5 }).toBe(4);
    const hour = (await run.step(t0 + 3601, 0)).cohorts;
    expect([hour["stamp"]!.ended, hour["stamp"]!.live, hour["right"]!.ended, hour["right"]!.live]).toEqual([{}, 4, { session_token_expired: 4 }, 0]);
    h.clock.advance(86_401 - 3601);
    await expect.poll(() => run.live, { timeout: 2_000, interval: 5 }).toBe(0);
    const day = (await run.step(t0 + 86_401, 0)).cohorts;
    expect([day["stamp"]!.ended, day["stamp"]!.live]).toEqual([{ session_token_expired: 4 }, 0]);
  });

  it("one seed, one gateway: the same draws, uids and outcomes", async () => {
    const pop = population([
      { name: "a", share: 0.6, credential: "token", holdSeconds: 600 },
      { name: "b", share: 0.4, credential: "appid", holdSeconds: 300 },
    ], 30);
    const run = async (): Promise<unknown[]> => {
      const r = new PopulationRunner({ url: h.gateway.url, appId: APPS.either.appId, profile: "rtm2", population: pop, certificate: APPS.either.certificate, seed: 99 });
      const out: unknown[] = [];
      const t = h.clock.nowSeconds();
      for (let i = 0; i < 5; i++) out.push({ ...(await r.step(t + i * 200, 15)), wallMs: 0 });
      out.push(h.gateway.sessions.list({ appId: APPS.either.appId }).map((s) => s.uid).sort());
      await r.close();
      await expect.poll(() => h.gateway.sessions.list({ appId: APPS.either.appId }).length, { timeout: 2_000, interval: 5 }).toBe(0);
      return out;
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    expect((a[5] as string[]).length).toBeGreaterThan(0);
  });
});

describe("in-process connections (gateway/ws/in-process-peer.ts, the rehearsal's own gateway)", () => {
  it("give the same step results as WebSockets over TCP: logins, refusals with their codes, renewals, logouts, sessions the gateway ended by expiry, reconnects", async () => {
    const pop = population([
      // A 300 s token and no renewal planned at the first step (its horizon is the step itself): the
      // gateway ends these sessions at expiry (4503), and they log in again at the next step.
      { name: "short", share: 0.4, credential: "token", tokenTtlSeconds: 300, holdSeconds: 7200, reconnect: "next_step" },
      { name: "renewing", share: 0.2, credential: "token", tokenTtlSeconds: 900, renewBeforeExpirySeconds: 120, holdSeconds: 1300 },
      { name: "legacy", share: 0.2, credential: "appid", holdSeconds: 500 },
      { name: "bad", share: 0.2, credential: "token", bug: "wrong_uid" },
    ], 40);
    const appId = APPS.either.appId;
    const run = async (inProcess: boolean): Promise<unknown[]> => {
      const r = new PopulationRunner({
        url: h.gateway.url,
        appId,
        profile: "rtm2",
        population: pop,
        certificate: APPS.either.certificate,
        seed: 31,
        ...(inProcess ? { connect: (handler) => connectInProcess(h.gateway.sessions, handler) } : {}),
      });
      runners.push(r);
      const out: unknown[] = [];
      const t = h.clock.nowSeconds();
      for (let i = 0; i < 6; i++) {
        if (i > 0) {
          h.clock.advance(400);
          // The gateway's closes (expiry) reach the runner before the step, over TCP too.
          await expect.poll(() => r.live === h.gateway.sessions.list({ appId }).length, { timeout: 2_000, interval: 5 }).toBe(true);
        }
        out.push({ ...(await r.step(t + i * 400, 12)), at: i, wallMs: 0 });
      }
      out.push(h.gateway.sessions.list({ appId }).map((s) => s.uid).sort());
      await r.close();
      await expect.poll(() => h.gateway.sessions.list({ appId }).length, { timeout: 2_000, interval: 5 }).toBe(0);
      return out;
    };
    const tcp = await run(false);
    const inProcess = await run(true);
    expect(inProcess).toEqual(tcp);
    // The run did what it is meant to compare.
    const totals = (tcp.slice(0, 6) as PopulationStepResult[]).map((x) => x.cohorts);
    const sum = (name: string, f: (c: CohortStepResult) => number) => totals.reduce((n, c) => n + f(c[name]!), 0);
    expect(sum("short", (c) => c.ended["session_token_expired"] ?? 0)).toBeGreaterThan(0);
    expect(sum("short", (c) => c.reconnects)).toBeGreaterThan(0);
    expect(sum("renewing", (c) => c.renewals)).toBeGreaterThan(0);
    expect(sum("legacy", (c) => c.logouts)).toBeGreaterThan(0);
    expect(sum("bad", (c) => c.refused["uid_mismatch"] ?? 0)).toBeGreaterThan(0);
    expect((tcp[6] as string[]).length).toBeGreaterThan(0);
  });
});

describe("options", () => {
  it("a token cohort needs the certificate; steps go forward in time", async () => {
    const pop = population([{ name: "x", share: 1, credential: "token" }]);
    expect(() => new PopulationRunner({ url: h.gateway.url, appId: APPS.token.appId, profile: "rtm1", population: pop, certificate: null, seed: 1 })).toThrow(/certificate must be 32 hex/);
    const r = runner(APPS.token, pop);
    await r.step(T0 + 10_000, 0);
    await expect(r.step(T0 + 9_999, 0)).rejects.toThrow(/before the previous step's/);
  });
});
