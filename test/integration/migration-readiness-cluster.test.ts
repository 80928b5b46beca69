/**
 * Readiness figures of several gateways on one Redis (docs/migration.md, "Several gateways"): the
 * report from either gateway counts the logins, distinct uids and live sessions of both, and so do
 * the verdicts of a dry-run; a gateway cut off from Redis drops out of the others' reports once its
 * TTL runs out, while its own report answers 200 with its figures alone (`scope: "local"`, a
 * warning); a gateway closed drops out at once; figures lost from Redis are written again. Short
 * sharing period and TTL (50 ms / 400 ms).
 * Runs on its own redis-server (one gateway reaches it through a proxy that is cut).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient, type RtmClient } from "../../client/index.js";
import type { DryRunResult, ReadinessReport } from "../../core/protocol/admin.js";
import { buildRtmToken } from "../../core/token/index.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { adminClient, deleteKeys, keysUnder, redisServerUnavailable, startOwnRedisServer, uniquePrefix, type OwnRedisServer } from "../support/redis.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const noServer = redisServerUnavailable();
if (noServer !== undefined && process.env.CI === "true") throw new Error(`the readiness cluster test is required in CI (CI=true): ${noServer}`);

const APP = "5eed0000000000000000000000000005";
const PERIOD_MS = 50;
const TTL_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(noServer !== undefined)("readiness figures of every gateway on one Redis", () => {
  let redis: OwnRedisServer;
  let proxy: TcpProxy;
  let prefix: string;
  let a: Gateway;
  let b: Gateway;
  let c: Gateway | undefined;
  let certificate: string;
  const clients: RtmClient[] = [];
  let salt = 1;

  const start = (url: string): Promise<Gateway> =>
    startGateway({
      config: { port: 0, logLevel: "silent", devSeed: false, redisUrl: url, redisKeyPrefix: prefix },
      readinessShare: { periodMs: PERIOD_MS, ttlMs: TTL_MS, readTimeoutMs: 300 },
    });
  const admin = async <T = any>(gw: Gateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${gw.httpUrl}/admin${path}`, { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
    return { status: r.status, body: (await r.json()) as T };
  };
  const report = async (gw: Gateway): Promise<ReadinessReport> => {
    const r = await admin<ReadinessReport>(gw, "GET", `/projects/${APP}/readiness`);
    expect(r.status).toBe(200);
    return r.body;
  };
  /** Polls `gw`'s report until `done` holds (bounded); returns the last report. */
  async function reportUntil(gw: Gateway, done: (r: ReadinessReport) => boolean, ms = 3_000): Promise<ReadinessReport> {
    const deadline = performance.now() + ms;
    let r = await report(gw);
    while (!done(r) && performance.now() < deadline) {
      await sleep(20);
      r = await report(gw);
    }
    return r;
  }
  const mint = (uid: string, cert = certificate): string =>
    buildRtmToken({ version: "007", appId: APP, certificate: cert, uid, expireSeconds: 3600, issueTs: Math.floor(Date.now() / 1000), salt: salt++ });
  /** Logs `uid` in on `gw`; keeps the session live unless `logout`. Resolves with the refusal reason, or null. */
  async function login(gw: Gateway, uid: string, token: string | null, logout = false): Promise<string | null> {
    const client = createRtmClient({ url: gw.url, appId: APP, profile: "rtm2" });
    try {
      await client.login({ uid, token });
    } catch (err) {
      await client.close();
      return (err as { reason: string }).reason;
    }
    if (logout) await client.logout();
    else clients.push(client);
    return null;
  }

  beforeAll(async () => {
    redis = await startOwnRedisServer();
    proxy = await startTcpProxy(redis.port);
    prefix = uniquePrefix("readiness-cluster");
    a = await start(redis.url);
    b = await start(redis.url);
    expect((await admin(a, "POST", "/projects", { mechanism: "appid", appId: APP })).status).toBe(201);
    const enabled = await admin<{ certificates: { primary: { value: string } } }>(a, "POST", `/projects/${APP}/certificates/primary`);
    expect(enabled.status).toBe(200);
    certificate = enabled.body.certificates.primary.value;
    // B serves the project (and its certificate) once the change has reached it.
    for (let i = 0; i < 100 && (await admin<{ mode: string }>(b, "GET", `/projects/${APP}`)).body.mode !== "either"; i++) await sleep(20);
  }, 30_000);
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await c?.close();
    await a?.close();
    await b?.close();
    await proxy?.close();
    if (redis !== undefined) await deleteKeys(redis.url, prefix).catch(() => undefined);
    await redis?.dispose();
  });

  it("the report from either gateway, and a dry-run on one, count the logins and live sessions of both", async () => {
    // A: three App-ID sessions and two token sessions live; one App-ID login ("shared") over.
    for (const uid of ["la0", "la1", "la2"]) expect(await login(a, uid, null)).toBeNull();
    expect(await login(a, "shared", null, true)).toBeNull();
    for (const uid of ["ta0", "ta1"]) expect(await login(a, uid, mint(uid))).toBeNull();
    // B: two App-ID sessions and one token session live; "shared" again (one distinct uid); a forged token.
    for (const uid of ["lb0", "lb1"]) expect(await login(b, uid, null)).toBeNull();
    expect(await login(b, "shared", null, true)).toBeNull();
    expect(await login(b, "tb0", mint("tb0"))).toBeNull();
    expect(await login(b, "forged", mint("forged", "0123456789abcdef0123456789abcdef"))).toBe("invalid_signature");

    // Every figure the test then reads: B shares its figures every period, so a report may hold B's
    // logins from one period and its refusal (its last request) only from the next.
    const whole = (r: ReadinessReport) =>
      r.gateways === 2 && r.logins.appid === 7 && r.logins.token === 3 && r.liveSessions.appid === 5 && r.liveSessions.token === 3 && r.refused["invalid_signature"] === 1;
    for (const gw of [a, b]) {
      const r = await reportUntil(gw, whole);
      expect(r).toMatchObject({ scope: "cluster", gateways: 2, warning: null });
      expect(r.logins).toEqual({ appid: 7, token: 3, byVersion: { "006": 0, "007": 3 }, bySlot: { primary: 3, secondary: 0 } });
      expect(r.refused).toEqual({ invalid_signature: 1 });
      expect(r.distinctUids).toEqual({ appid: { count: 6, exact: true }, token: { count: 3, exact: true } });
      expect(r.appIdUids.map((u) => u.uid).sort()).toEqual(["la0", "la1", "la2", "lb0", "lb1", "shared"]);
      expect(r.liveSessions).toEqual({ appid: 5, token: 3, primary: 3, secondary: 0 });
      expect(r.verdicts.delete_no_certificate).toMatchObject({ wouldRefuse: 7, wouldRefuseShare: 0.7, reason: "token_required", liveSessionsAffected: 5, allowed: true });
      expect(r.verdicts.delete_primary).toMatchObject({ wouldRefuse: 3, liveSessionsAffected: 3 });
    }

    // The dry-run on B counts A's live App-ID sessions too.
    const dry = await admin<DryRunResult>(b, "DELETE", `/projects/${APP}/no-certificate?dryRun=true`);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, step: "delete_no_certificate", wouldRefuse: 7, reason: "token_required", liveSessionsAffected: 5 });
    expect(dry.body.readiness).toMatchObject({ scope: "cluster", gateways: 2 });
    expect((await admin<{ mode: string }>(a, "GET", `/projects/${APP}`)).body.mode).toBe("either"); // nothing changed

    // A session ending on A leaves B's figures within a period or so.
    const la2 = clients.splice(2, 1)[0] as RtmClient;
    await la2.logout();
    const after = await reportUntil(b, (r) => r.liveSessions.appid === 4);
    expect(after.liveSessions).toEqual({ appid: 4, token: 3, primary: 3, secondary: 0 });
    expect(after.logins.appid).toBe(7); // the login itself stays in the window
  });

  it("figures lost from Redis (deleted, a flush) are written again in full at the next write, with nothing new to write", async () => {
    const client = adminClient(redis.url);
    try {
      const hashes = await keysUnder(client, `${prefix}{readiness}:gateway:`);
      expect(hashes).toHaveLength(2);
      await client.del(...hashes);
    } finally {
      await client.quit();
    }
    // Right after the loss a report may lack the others' figures; within a few periods they are whole again.
    for (const gw of [a, b]) {
      const r = await reportUntil(gw, (x) => x.gateways === 2 && x.logins.appid === 7 && x.liveSessions.appid === 4);
      expect(r).toMatchObject({ scope: "cluster", gateways: 2, logins: { appid: 7, token: 3 }, liveSessions: { appid: 4, token: 3 } });
      expect(r.distinctUids.appid).toEqual({ count: 6, exact: true });
    }
  });

  it("a gateway cut off from Redis drops out once its TTL runs out, and answers with its own figures meanwhile; one closed drops out at once", async () => {
    c = await start(`redis://127.0.0.1:${proxy.port}`);
    expect(await login(c, "lc0", null)).toBeNull();
    const three = await reportUntil(a, (r) => r.gateways === 3 && r.liveSessions.appid === 5);
    expect(three).toMatchObject({ scope: "cluster", gateways: 3, logins: { appid: 8 }, liveSessions: { appid: 5 } });

    proxy.cut();
    const cutAt = performance.now();
    // C's own report: 200, its figures alone, and why.
    const own = await reportUntil(c, (r) => r.scope === "local");
    expect(own).toMatchObject({ scope: "local", gateways: 1, logins: { appid: 1, token: 0 }, liveSessions: { appid: 1, token: 0 } });
    expect(own.warning).toMatch(/^figures of this gateway only: the other gateways' could not be read from Redis/);
    const dryOnC = await admin<DryRunResult>(c, "DELETE", `/projects/${APP}/no-certificate?dryRun=true`);
    expect(dryOnC.status).toBe(200);
    expect(dryOnC.body).toMatchObject({ wouldRefuse: 1, liveSessionsAffected: 1, readiness: { scope: "local" } });

    // A still has C's last figures until C's TTL runs out, then not.
    const two = await reportUntil(a, (r) => r.gateways === 2, TTL_MS + 2_000);
    expect(performance.now() - cutAt).toBeGreaterThanOrEqual(TTL_MS - 2 * PERIOD_MS);
    expect(two).toMatchObject({ scope: "cluster", gateways: 2, logins: { appid: 7 }, liveSessions: { appid: 4, token: 3 } });

    await b.close();
    const alone = await report(a);
    expect(alone).toMatchObject({ scope: "cluster", gateways: 1, warning: null, logins: { appid: 4, token: 2 }, liveSessions: { appid: 2, token: 2 } });
    expect(alone.distinctUids).toEqual({ appid: { count: 4, exact: true }, token: { count: 2, exact: true } });
  });
});
