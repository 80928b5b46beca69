/**
 * Two gateway PROCESSES on one Redis (`rtm-auth serve` twice, REDIS_URL + a unique
 * REDIS_KEY_PREFIX): the seed procedure of a project's certificate lifecycle split across the two
 * (every admin change made on one is asserted through logins on the other, over the admin API and
 * the client SDK), remote login across gateways (close 4501), `/metrics` on both, and the Redis
 * cost of a login: no certificate read at all (the store serves logins from its in-process copy),
 * only the identity's ownership record (one SET … GET), and for a fresh identity no message to any
 * gateway (docs/redis.md, "Session ownership").
 *
 * The whole file runs on its OWN redis-server (startOwnRedisServer): `INFO commandstats` deltas
 * are only attributable to the gateways on a server nobody else uses (and CONFIG RESETSTAT is
 * never sent to a shared one). Without the binary the file is skipped with the reason; with
 * CI=true it fails instead. Keys live under a unique prefix and are deleted at the end.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CERTIFICATE_READS, commandStatsDelta, parseCommandStats, startGatewayProcess, watchScripts, type GatewayProcess } from "../../bench/gateway-process.js";
import { createRtmClient, type LoginResult } from "../../client/index.js";
import { buildRtmToken } from "../../core/token/index.js";
import { HEARTBEAT_COMMANDS, OWNER_BATCH_SHA } from "../../gateway/infra/login-broadcast-redis.js";
import { WRITE_COMMANDS as READINESS_WRITES } from "../../gateway/infra/readiness-redis.js";
import { adminApi, type AdminApi } from "../support/admin-api.js";
import { adminClient, deleteKeys, redisServerUnavailable, startOwnRedisServer, uniquePrefix, type OwnRedisServer } from "../support/redis.js";
import { expectRtmError, recordedClient } from "../support/recorder.js";

const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the two-gateway Redis test is required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the two-gateway test: ${noServer}`);
}

/** Propagation from one gateway to the other is expected within this (polled, bounded). */
const PROPAGATION_MS = 2_000;
const LOAD_LOGINS = 200;
const LOAD_CONCURRENCY = 20;

const err = (code: string) => ({ error: { code, message: expect.any(String) } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CertView {
  value: string;
  status: string;
}
interface ProjectView {
  appId: string;
  mode: string;
  noCertificate: boolean;
  certificates: { primary: CertView | null; secondary: CertView | null };
}

/** One sample line of the Prometheus text format. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** rtm_auth_attempts_total of op=login, as "result reason mode credential slot profile" → count (zero series left out). */
async function loginAttempts(gw: GatewayProcess): Promise<Record<string, number>> {
  const res = await fetch(`${gw.http}/metrics`);
  expect(res.status).toBe(200);
  const out: Record<string, number> = {};
  for (const s of samples(await res.text(), "rtm_auth_attempts_total")) {
    const l = s.labels;
    if (l["op"] !== "login" || s.value === 0) continue;
    out[[l["result"], l["reason"], l["mode"], l["credential"], l["slot"], l["profile"]].join(" ")] = s.value;
  }
  return out;
}

describe.skipIf(noServer !== undefined)("two gateway processes on one Redis", () => {
  let server: OwnRedisServer;
  const prefix = uniquePrefix("two-gateways");
  let A: GatewayProcess;
  let B: GatewayProcess;
  let apiA: AdminApi;
  let apiB: AdminApi;
  /** The project of the seed procedure, and its primary after the rotation. */
  let appId = "";
  let primaryAfterRotation = "";

  beforeAll(async () => {
    if (!existsSync(new URL("../../dist/gateway/cli/main.js", import.meta.url))) {
      const built = spawnSync("npm", ["run", "build"], { encoding: "utf8", timeout: 120_000 });
      if (built.status !== 0) throw new Error(`npm run build failed: ${built.stdout}${built.stderr}`);
    }
    server = await startOwnRedisServer();
    const env = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn" };
    [A, B] = await Promise.all([startGatewayProcess({ name: "gateway A", env }), startGatewayProcess({ name: "gateway B", env })]);
    apiA = adminApi(A.http);
    apiB = adminApi(B.http);
  }, 150_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    if (server !== undefined) {
      await deleteKeys(server.url, prefix);
      await server.dispose();
    }
  });

  /** The project as `api`'s gateway sees it, once `done` holds (polled every 10 ms, at most PROPAGATION_MS). */
  async function seen(api: AdminApi, done: (v: ProjectView) => boolean, what: string): Promise<ProjectView> {
    const deadline = Date.now() + PROPAGATION_MS;
    let last: unknown;
    for (;;) {
      const r = await api.call<ProjectView>("GET", `/admin/projects/${appId}`);
      last = r.body;
      if (r.status === 200 && done(r.body)) return r.body;
      if (Date.now() >= deadline) throw new Error(`not propagated within ${PROPAGATION_MS} ms: ${what}; last view ${JSON.stringify(last)}`);
      await sleep(10);
    }
  }

  async function login(gw: GatewayProcess, uid: string, token: string | null): Promise<LoginResult> {
    const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
    try {
      return await client.login({ uid, token });
    } finally {
      await client.close();
    }
  }

  async function refused(gw: GatewayProcess, uid: string, token: string | null, expected: { code: number; reason: string }): Promise<void> {
    const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
    try {
      await expectRtmError(client.login({ uid, token }), expected);
    } finally {
      await client.close();
    }
  }

  async function mint(api: AdminApi, uid: string, certificate: "primary" | "secondary"): Promise<string> {
    const r = await api.call("POST", "/admin/tokens", { appId, uid, version: "007", expireSeconds: 3600, certificate });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token: expect.stringMatching(/^007/), version: "007" });
    return r.body.token as string;
  }

  it("both gateways use Redis and start with no projects", async () => {
    for (const api of [apiA, apiB]) {
      expect(await api.call("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
      expect((await api.call("GET", "/admin/projects")).body).toEqual({ projects: [] });
    }
    expect(A.port).not.toBe(B.port);
  });

  it("the seed procedure, every change made on one gateway and checked on the other", async () => {
    // 1. An App ID project, created on A: B sees it.
    const created = await apiA.call<ProjectView>("POST", "/admin/projects", { mechanism: "appid" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ mode: "appid", noCertificate: true, certificates: { primary: null, secondary: null } });
    appId = created.body.appId;
    await seen(apiB, (v) => v.mode === "appid", "the new project on B");

    // 2. Enable the primary on A: mode either on B; App ID and token logins both succeed on B.
    const primary = await apiA.call<ProjectView>("POST", `/admin/projects/${appId}/certificates/primary`);
    expect(primary.status).toBe(200);
    expect(primary.body).toMatchObject({ mode: "either", noCertificate: true, certificates: { primary: { status: "active" }, secondary: null } });
    const oldPrimary = primary.body.certificates.primary!.value;
    const onB = await seen(apiB, (v) => v.mode === "either", "mode either on B");
    expect(onB.certificates.primary?.value).toBe(oldPrimary);
    expect(await login(B, "alice", null)).toMatchObject({ credential: "appid", expiresAt: null });
    expect(await login(B, "alice", await mint(apiA, "alice", "primary"))).toMatchObject({ credential: "token", tokenVersion: "007" });

    // 3. Delete "No certificate" on A: an App ID login is refused on B (rtm1 code 5, token_required).
    const noCert = await apiA.call<ProjectView>("DELETE", `/admin/projects/${appId}/no-certificate`);
    expect(noCert.status).toBe(200);
    expect(noCert.body).toMatchObject({ mode: "token", noCertificate: false });
    await seen(apiB, (v) => v.mode === "token", "mode token on B");
    await refused(B, "alice", null, { code: 5, reason: "token_required" });

    // 4. A token signed with the primary, minted before the rotation (on A). Enable a secondary on
    //    B: a token signed with it (minted on B) logs in on A.
    const tokenOnOldPrimary = await mint(apiA, "alice", "primary");
    const secondary = await apiB.call<ProjectView>("POST", `/admin/projects/${appId}/certificates/secondary`);
    expect(secondary.status).toBe(200);
    expect(secondary.body.certificates.primary?.value).toBe(oldPrimary);
    expect(secondary.body.certificates.secondary).toMatchObject({ status: "active" });
    const newPrimary = secondary.body.certificates.secondary!.value;
    expect(newPrimary).not.toBe(oldPrimary);
    await seen(apiA, (v) => v.certificates.secondary?.value === newPrimary, "the secondary on A");
    const tokenOnSecondary = await mint(apiB, "bob", "secondary");
    expect(await login(A, "bob", tokenOnSecondary)).toMatchObject({ credential: "token", tokenVersion: "007" });

    // 5. Swap on A: B sees the old primary as the secondary; its token still logs in there.
    const swapped = await apiA.call<ProjectView>("POST", `/admin/projects/${appId}/certificates/swap`);
    expect(swapped.status).toBe(200);
    expect(swapped.body.certificates).toMatchObject({ primary: { value: newPrimary }, secondary: { value: oldPrimary } });
    await seen(apiB, (v) => v.certificates.primary?.value === newPrimary && v.certificates.secondary?.value === oldPrimary, "the swap on B");
    expect(await login(B, "alice", tokenOnOldPrimary)).toMatchObject({ credential: "token" });

    // 6. Delete the secondary (the OLD primary) on B: its token is refused on BOTH gateways.
    const deleted = await apiB.call<ProjectView>("DELETE", `/admin/projects/${appId}/certificates/secondary`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.certificates).toMatchObject({ primary: { value: newPrimary }, secondary: null });
    await seen(apiA, (v) => v.certificates.secondary === null, "the deleted secondary on A");
    await refused(B, "alice", tokenOnOldPrimary, { code: 5, reason: "invalid_signature" });
    await refused(A, "alice", tokenOnOldPrimary, { code: 5, reason: "invalid_signature" });
    // The token signed with the former secondary (now the primary) still logs in.
    expect(await login(B, "bob", tokenOnSecondary)).toMatchObject({ credential: "token" });

    // 7. The primary can never be deleted, on either gateway.
    for (const api of [apiA, apiB]) {
      const r = await api.call("DELETE", `/admin/projects/${appId}/certificates/primary`);
      expect(r.status).toBe(409);
      expect(r.body).toEqual(err("primary_not_deletable"));
    }
    for (const api of [apiA, apiB]) {
      expect((await api.call<ProjectView>("GET", `/admin/projects/${appId}`)).body).toMatchObject({
        mode: "token",
        noCertificate: false,
        certificates: { primary: { value: newPrimary, status: "active" }, secondary: null },
      });
    }
    primaryAfterRotation = newPrimary;
  }, 20_000);

  it("remote login across gateways: a uid logging in on B kicks its session on A (ABORTED/REMOTE_LOGIN, close 4501)", async () => {
    expect(appId).not.toBe("");
    const onA = recordedClient(A.url, appId, "rtm1");
    const onB = createRtmClient({ url: B.url, appId, profile: "rtm1" });
    try {
      const first = await onA.client.login({ uid: "carol", token: await mint(apiA, "carol", "primary") });
      onA.clear();
      const second = await onB.login({ uid: "carol", token: await mint(apiB, "carol", "primary") });
      expect(second.sessionId).not.toBe(first.sessionId);
      const code = await Promise.race([onA.closed(), sleep(PROPAGATION_MS).then(() => "no close within the bound")]);
      expect(code).toBe(4501);
      expect(onA.states()).toEqual(["ABORTED/REMOTE_LOGIN"]);
      // B's session lives on; A has none for carol.
      expect((await apiB.call("GET", `/admin/sessions?appId=${appId}&uid=carol`)).body.sessions).toMatchObject([{ sessionId: second.sessionId }]);
      expect((await apiA.call("GET", `/admin/sessions?appId=${appId}&uid=carol`)).body).toEqual({ sessions: [] });
    } finally {
      await onA.client.close();
      await onB.close();
    }
  });

  it("GET /metrics on each gateway counts its own accepted and refused logins, with their reasons", async () => {
    expect(await loginAttempts(A)).toEqual({
      "accepted ok token token secondary rtm1": 1, // bob, signed with the new secondary
      "accepted ok token token primary rtm1": 1, // carol (then kicked)
      "refused invalid_signature token token none rtm1": 1, // alice, old primary deleted
    });
    expect(await loginAttempts(B)).toEqual({
      "accepted ok either appid none rtm1": 1, // alice, App ID
      "accepted ok either token primary rtm1": 1, // alice, token
      "refused token_required token appid none rtm1": 1, // alice, App ID after No certificate went
      "accepted ok token token secondary rtm1": 1, // alice, old primary after the swap
      "refused invalid_signature token token none rtm1": 1, // alice, old primary deleted
      "accepted ok token token primary rtm1": 2, // bob after the rotation, carol
    });
    const closes = async (gw: GatewayProcess) =>
      Object.fromEntries(samples(await (await fetch(`${gw.http}/metrics`)).text(), "rtm_auth_session_closes_total").map((s) => [s.labels["code"], s.value]));
    expect((await closes(A))["4501"]).toBe(1);
    expect((await closes(B))["4501"]).toBe(0);
  });

  it(`${LOAD_LOGINS} logins on B: no certificate read in Redis, one ownership SET per login (in batch scripts) and no PUBLISH (fresh identities), besides heartbeats`, async () => {
    expect(primaryAfterRotation).not.toBe("");
    const issueTs = Math.floor(Date.now() / 1000);
    const tokens = Array.from({ length: LOAD_LOGINS }, (_, i) =>
      buildRtmToken({ version: "007", appId, certificate: primaryAfterRotation, uid: `load-${i}`, expireSeconds: 3600, issueTs, salt: randomInt(1, 2 ** 31) }),
    );
    const redis = adminClient(server.url);
    // Scripts are told apart by their SHA: the certificate store reads with one too.
    const scripts = await watchScripts({ host: "127.0.0.1", port: server.port });
    try {
      const before = parseCommandStats(await redis.info("commandstats"));
      const startedAt = performance.now();
      let next = 0;
      let accepted = 0;
      const worker = async () => {
        while (next < LOAD_LOGINS) {
          const i = next++;
          const r = await login(B, `load-${i}`, tokens[i]!);
          if (r.credential === "token") accepted++;
        }
      };
      await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
      expect(accepted).toBe(LOAD_LOGINS);
      // The ownership writes are fire-and-forget: let the last SETs reach Redis (bounded).
      let after = parseCommandStats(await redis.info("commandstats"));
      for (let i = 0; i < 50 && (after.get("set") ?? 0) - (before.get("set") ?? 0) < LOAD_LOGINS; i++) {
        await sleep(10);
        after = parseCommandStats(await redis.info("commandstats"));
      }

      const delta = commandStatsDelta(before, after);
      delta.delete("info"); // our own snapshots
      // Each gateway shares its readiness figures once a second (docs/migration.md, "Several
      // gateways": at most two HSETs and two PEXPIREs per write) and sends its liveness heartbeat
      // once a second (one MULTI, docs/redis.md "Session ownership"), whatever the number of logins.
      const periods = Math.ceil((performance.now() - startedAt) / 1000) + 1;
      const writes = 2 * periods;
      for (const c of new Set([...READINESS_WRITES, ...HEARTBEAT_COMMANDS])) {
        const bound = (READINESS_WRITES.includes(c) ? 2 * writes : 0) + (HEARTBEAT_COMMANDS.includes(c) ? 2 * periods : 0);
        expect(delta.get(c) ?? 0, `${c} (readiness writes and heartbeats, not per login)`).toBeLessThanOrEqual(bound);
        delta.delete(c);
      }
      // The ownership SETs go out in batches, one EVALSHA of the batch script each (docs/redis.md,
      // "Session ownership"); any other script would be a certificate read.
      const batches = (delta.get("evalsha") ?? 0) + (delta.get("eval") ?? 0);
      await vi.waitFor(() => expect(scripts.count()).toBeGreaterThanOrEqual(batches), 2_000);
      expect([...scripts.calls.keys()], "scripts run during the login run").toEqual([OWNER_BATCH_SHA]);
      expect(batches).toBeGreaterThan(0);
      const reads = CERTIFICATE_READS.filter((c) => c !== "evalsha" && c !== "eval" && delta.has(c)).map((c) => `${c}=${delta.get(c)}`);
      expect(reads, "certificate reads during the login run").toEqual([]);
      expect(delta.get("set"), "one SET per login, inside the batches").toBe(LOAD_LOGINS);
      expect(delta.get("publish") ?? 0, "messages for fresh identities").toBe(0);
      const others = [...delta.keys()].filter((c) => c !== "set" && c !== "ping" && c !== "evalsha" && c !== "eval");
      expect(others, `commands besides SET, EVALSHA, EVAL and PING: ${JSON.stringify(Object.fromEntries(delta))}`).toEqual([]);
    } finally {
      scripts.stop();
      await redis.quit().catch(() => redis.disconnect());
    }
  });

  it("the keys are all under the test's prefix", async () => {
    const redis = adminClient(server.url);
    try {
      const keys: string[] = [];
      let cursor = "0";
      for (let i = 0; i < 100; i++) {
        const [nextCursor, batch] = await redis.scan(cursor, "COUNT", 1_000);
        keys.push(...batch);
        cursor = nextCursor;
        if (cursor === "0") break;
      }
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => !k.startsWith(prefix))).toEqual([]);
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  });
});
