/**
 * The procedures the Redis Cluster and Sentinel suites run on two gateway processes sharing one
 * Redis (test/integration/redis-cluster.test.ts, test/integration/redis-sentinel.test.ts):
 *
 * - {@link seedProcedure}: the certificate lifecycle split across the two gateways, as the
 *   one-server test does it (test/integration/two-gateways-redis.test.ts): every change made on
 *   one is asserted through logins on the other;
 * - {@link loginsWhile}: logins run on both gateways (fresh uids, tokens of both certificates)
 *   while something happens to Redis; every refusal is kept with its wire code and reason.
 */
import { expect } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../../bench/gateway-process.js";
import { createRtmClient, type LoginResult } from "../../client/index.js";
import { adminApi, type AdminApi } from "./admin-api.js";
import { expectRtmError } from "./recorder.js";

export interface CertView {
  value: string;
  status: string;
}
export interface ProjectView {
  appId: string;
  mode: string;
  noCertificate: boolean;
  certificates: { primary: CertView | null; secondary: CertView | null };
}

export interface GatewayPair {
  readonly A: GatewayProcess;
  readonly B: GatewayProcess;
  readonly apiA: AdminApi;
  readonly apiB: AdminApi;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two gateway processes on `redisUrl` under `prefix` (REDIS_MAX_STALENESS_SECONDS stays at its default, 30). */
export async function startGatewayPair(redisUrl: string, prefix: string): Promise<GatewayPair> {
  const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn" };
  const [A, B] = await Promise.all([startGatewayProcess({ name: "gateway A", env, startTimeoutMs: 30_000 }), startGatewayProcess({ name: "gateway B", env, startTimeoutMs: 30_000 })]);
  return { A, B, apiA: adminApi(A.http), apiB: adminApi(B.http), stop: async () => void (await Promise.all([A.stop(), B.stop()])) };
}

/** The project as `api`'s gateway sees it, once `done` holds (polled every 10 ms, at most `withinMs`). */
export async function seen(api: AdminApi, appId: string, done: (v: ProjectView) => boolean, what: string, withinMs = 3_000): Promise<ProjectView> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    const r = await api.call<ProjectView>("GET", `/admin/projects/${appId}`);
    last = r.body;
    if (r.status === 200 && done(r.body)) return r.body;
    if (Date.now() >= deadline) throw new Error(`not propagated within ${withinMs} ms: ${what}; last view ${JSON.stringify(last)}`);
    await sleep(10);
  }
}

export async function login(gw: GatewayProcess, appId: string, uid: string, token: string | null): Promise<LoginResult> {
  const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
  try {
    return await client.login({ uid, token });
  } finally {
    await client.close();
  }
}

export async function refused(gw: GatewayProcess, appId: string, uid: string, token: string | null, expected: { code: number; reason: string }): Promise<void> {
  const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
  try {
    await expectRtmError(client.login({ uid, token }), expected);
  } finally {
    await client.close();
  }
}

/** A 007 token for `uid` signed with the project's `certificate`, minted by `api`'s gateway. */
export async function mint(api: AdminApi, appId: string, uid: string, certificate: "primary" | "secondary"): Promise<string> {
  const r = await api.call("POST", "/admin/tokens", { appId, uid, version: "007", expireSeconds: 3600, certificate });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

/** `call` again while it answers 503 (Redis failing over), for at most `withinMs`. */
export async function whileUnavailable<T>(call: () => Promise<{ status: number; body: T }>, withinMs = 10_000): Promise<{ status: number; body: T }> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const r = await call();
    if (r.status !== 503 || Date.now() >= deadline) return r;
    await sleep(100);
  }
}

/**
 * The one-server test's procedure (two-gateways-redis.test.ts, "the seed procedure"), each change
 * on one gateway checked through the other: create (App ID), enable the primary, delete "No
 * certificate", enable a secondary, swap, delete the old primary. `appId` may be given (a test
 * that wants the project's keys on a chosen cluster master). Resolves with the App ID.
 */
export async function seedProcedure(pair: GatewayPair, appId?: string): Promise<string> {
  const { A, B, apiA, apiB } = pair;
  const created = await apiA.call<ProjectView>("POST", "/admin/projects", { mechanism: "appid", ...(appId === undefined ? {} : { appId }) });
  expect(created.status).toBe(201);
  const id = created.body.appId;
  await seen(apiB, id, (v) => v.mode === "appid", "the new project on B");
  expect(await login(B, id, "alice", null)).toMatchObject({ credential: "appid" });

  const primary = await apiA.call<ProjectView>("POST", `/admin/projects/${id}/certificates/primary`);
  expect(primary.status).toBe(200);
  const oldPrimary = primary.body.certificates.primary!.value;
  await seen(apiB, id, (v) => v.mode === "either" && v.certificates.primary?.value === oldPrimary, "the primary on B");
  expect(await login(B, id, "alice", await mint(apiA, id, "alice", "primary"))).toMatchObject({ credential: "token", tokenVersion: "007" });

  expect((await apiA.call("DELETE", `/admin/projects/${id}/no-certificate`)).status).toBe(200);
  await seen(apiB, id, (v) => v.mode === "token", "mode token on B");
  await refused(B, id, "alice", null, { code: 5, reason: "token_required" });

  const tokenOnOldPrimary = await mint(apiA, id, "alice", "primary");
  const secondary = await apiB.call<ProjectView>("POST", `/admin/projects/${id}/certificates/secondary`);
  expect(secondary.status).toBe(200);
  const newPrimary = secondary.body.certificates.secondary!.value;
  await seen(apiA, id, (v) => v.certificates.secondary?.value === newPrimary, "the secondary on A");
  const tokenOnSecondary = await mint(apiB, id, "bob", "secondary");
  expect(await login(A, id, "bob", tokenOnSecondary)).toMatchObject({ credential: "token" });

  expect((await apiA.call("POST", `/admin/projects/${id}/certificates/swap`)).status).toBe(200);
  await seen(apiB, id, (v) => v.certificates.primary?.value === newPrimary && v.certificates.secondary?.value === oldPrimary, "the swap on B");
  expect(await login(B, id, "alice", tokenOnOldPrimary)).toMatchObject({ credential: "token" });

  expect((await apiB.call("DELETE", `/admin/projects/${id}/certificates/secondary`)).status).toBe(200);
  await seen(apiA, id, (v) => v.certificates.secondary === null, "the deleted secondary on A");
  await refused(B, id, "alice", tokenOnOldPrimary, { code: 5, reason: "invalid_signature" });
  await refused(A, id, "alice", tokenOnOldPrimary, { code: 5, reason: "invalid_signature" });
  expect(await login(B, id, "bob", tokenOnSecondary)).toMatchObject({ credential: "token" });
  return id;
}

export interface LoginTally {
  ok: number;
  readonly refusals: string[];
}

/**
 * Runs logins on both gateways (`perGateway` loops each, one fresh uid and connection per login,
 * the tokens taken in turn) until `during` has resolved and `afterMs` more have passed. Every
 * refusal or error is kept as "gateway: code reason".
 */
export async function loginsWhile(pair: GatewayPair, appId: string, tokensFor: (uid: string) => Promise<readonly string[]>, during: Promise<unknown>, afterMs: number, perGateway = 2): Promise<LoginTally> {
  const tally: LoginTally = { ok: 0, refusals: [] };
  let stopAt = Number.POSITIVE_INFINITY;
  void during.then(
    () => (stopAt = Date.now() + afterMs),
    () => (stopAt = Date.now()),
  );
  // Tokens are minted before the run (minting is an admin call, not what is measured).
  const uids = Array.from({ length: 8 }, (_, i) => `load-${i}`);
  const tokens = new Map<string, readonly string[]>();
  for (const uid of uids) tokens.set(uid, await tokensFor(uid));
  let n = 0;
  const loop = async (gw: GatewayProcess, name: string): Promise<void> => {
    while (Date.now() < stopAt) {
      const i = n++;
      const uid = `${uids[i % uids.length]}`;
      const list = tokens.get(uid)!;
      const token = list[Math.floor(i / uids.length) % list.length]!;
      const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
      try {
        await client.login({ uid, token });
        tally.ok++;
      } catch (err) {
        const e = err as { code?: unknown; reason?: unknown; message?: unknown };
        tally.refusals.push(`${name}: ${String(e.code)} ${String(e.reason ?? e.message)}`);
      } finally {
        await client.close();
      }
    }
  };
  await Promise.all([...Array.from({ length: perGateway }, () => loop(pair.A, "A")), ...Array.from({ length: perGateway }, () => loop(pair.B, "B"))]);
  await during;
  return tally;
}
