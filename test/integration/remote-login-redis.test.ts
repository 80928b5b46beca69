/**
 * Remote login across gateways through ownership records (docs/redis.md, "Session ownership";
 * docs/agora-behaviour.md, "Remote login"): one `SET … GET` per login, one message only to the
 * previous owner when that is another live gateway, nothing for a fresh identity or a dead
 * gateway, exactly one survivor when one identity logs in on two gateways at once, and what
 * happens while Redis is down and after.
 *
 * In-process gateways (startGateway with REDIS_URL) with short timings (heartbeat 100 ms, live
 * window 1.5 s), plus one `rtm-auth serve` process for the dead-gateway case (killed with
 * SIGKILL: no cleanup at all). The whole file runs on its OWN redis-server (startOwnRedisServer):
 * it stops Redis. Without the binary the file is skipped with the reason; with CI=true it fails.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../../bench/gateway-process.js";
import { createRtmClient } from "../../client/index.js";
import type { RemoteLogin } from "../../core/session/login-broadcast.js";
import { DEFAULT_BATCH_WINDOW_MS, MAX_BATCH, NEWER_LOGIN_MARGIN_MS, OWNER_BATCH_SHA, RedisLoginBroadcast, type RemoteLoginTuning } from "../../gateway/infra/login-broadcast-redis.js";
import type { RedisConnection } from "../../gateway/infra/redis-clients.js";
import { redisKeys } from "../../gateway/infra/redis-keys.js";
import { RedisSubscriber } from "../../gateway/infra/redis-subscriber.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { recordedClient, type Recorded } from "../support/recorder.js";
import { adminClient, deleteKeys, redisServerUnavailable, silentLogger, startOwnRedisServer, testRedisClients, uniquePrefix, type OwnRedisServer } from "../support/redis.js";

const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the remote-login Redis tests are required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the remote-login Redis tests: ${noServer}`);
}

const TUNING: RemoteLoginTuning = { heartbeatMs: 100, liveWindowMs: 1_500, recordTtlSeconds: 30 };
/** A kick reaches the other gateway within this (polled). */
const WAIT = { timeout: 3_000, interval: 10 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  sent: number;
  received: number;
  none: number;
  thisGateway: number;
  liveGateway: number;
  deadGateway: number;
  newerLogin: number;
  failures: number;
}

/** The gateway's remote-login and ownership counters, read from its /metrics registry. */
async function counts(gw: Gateway): Promise<Counts> {
  const values = async (name: string) => (await gw.registry.getSingleMetric(name)!.get()).values;
  const m = await values("rtm_auth_remote_login_messages_total");
  const w = await values("rtm_auth_session_owner_writes_total");
  const f = await values("rtm_auth_session_owner_write_failures_total");
  const by = (vals: typeof m, label: string, v: string) => vals.find((x) => x.labels[label] === v)?.value ?? 0;
  return {
    sent: by(m, "direction", "sent"),
    received: by(m, "direction", "received"),
    none: by(w, "previous_owner", "none"),
    thisGateway: by(w, "previous_owner", "this_gateway"),
    liveGateway: by(w, "previous_owner", "live_gateway"),
    deadGateway: by(w, "previous_owner", "dead_gateway"),
    newerLogin: by(w, "previous_owner", "newer_login"),
    failures: f[0]?.value ?? 0,
  };
}

/** A record's "<gatewayId> <sessionId>", without its login time (docs/redis.md, "Session ownership"). */
const holder = (v: string | null): string | null => (v === null ? null : v.replace(/ \d+$/, ""));

const ZERO: Counts = { sent: 0, received: 0, none: 0, thisGateway: 0, liveGateway: 0, deadGateway: 0, newerLogin: 0, failures: 0 };

describe.skipIf(noServer !== undefined)("remote login through ownership records (own redis-server)", () => {
  let server: OwnRedisServer;
  const cleanups: Array<() => Promise<unknown>> = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = await startOwnRedisServer();
  }, 30_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    if (server === undefined) return;
    for (const p of prefixes) await deleteKeys(server.url, p).catch(() => undefined);
    await server.dispose();
  });

  function prefix(label: string): string {
    const p = uniquePrefix(label);
    prefixes.push(p);
    return p;
  }

  async function gateway(keyPrefix: string, options: { tuning?: RemoteLoginTuning; logger?: ReturnType<typeof createLogger> } = {}): Promise<Gateway> {
    const gw = await startGateway({
      config: { port: 0, logLevel: "silent", devSeed: false, redisUrl: server.url, redisKeyPrefix: keyPrefix, drainSeconds: 1 },
      remoteLogin: options.tuning ?? TUNING,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    cleanups.push(() => gw.close());
    return gw;
  }

  /** An App ID project created on the first gateway, once every other one has it. */
  async function project(gateways: readonly Gateway[]): Promise<string> {
    const res = await fetch(`${gateways[0]!.httpUrl}/admin/projects`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ mechanism: "appid" }) });
    expect(res.status).toBe(201);
    const appId = ((await res.json()) as { appId: string }).appId;
    for (const gw of gateways) await vi.waitFor(() => expect(gw.store.get(appId)).toBeDefined(), WAIT);
    return appId;
  }

  interface Session {
    readonly rec: Recorded;
    readonly sessionId: string;
  }

  /** Logs `uid` in on `gw` (App ID login, RTM 1.x); the client is closed after the test. */
  async function login(gw: Gateway, appId: string, uid: string): Promise<Session> {
    const rec = recordedClient(gw.url, appId, "rtm1");
    cleanups.push(() => rec.client.close());
    const r = await rec.client.login({ uid, token: null });
    return { rec, sessionId: r.sessionId };
  }

  const originOf = (sessionId: string): string => sessionId.slice(0, sessionId.indexOf("-"));
  const closedWithin = (s: Session, ms: number): Promise<number | "open"> => Promise.race([s.rec.closed(), sleep(ms).then(() => "open" as const)]);
  const live = (gateways: readonly Gateway[], appId: string, uid: string) => gateways.flatMap((g) => g.sessions.list({ appId, uid }).map((s) => s.sessionId));

  it("a fresh identity sends no message; a login elsewhere tells only the previous owner, which ends exactly the replaced session", async () => {
    const p = prefix("owner-basic");
    const [a, b, c] = [await gateway(p), await gateway(p), await gateway(p)];
    const appId = await project([a, b, c]);
    const redis = adminClient(server.url);
    cleanups.push(() => redis.quit());
    const key = redisKeys(p).sessionOwner(appId, "alice");

    const onA = await login(a, appId, "alice");
    await vi.waitFor(async () => expect(await counts(a)).toEqual({ ...ZERO, none: 1 }), WAIT);
    expect(holder(await redis.get(key))).toBe(`${originOf(onA.sessionId)} ${onA.sessionId}`);
    for (const g of [b, c]) expect(await counts(g)).toEqual(ZERO);

    // The same uid on B: one message, to A only; A ends its session with 4501 (REMOTE_LOGIN).
    const onB = await login(b, appId, "alice");
    expect(await closedWithin(onA, 2_000)).toBe(4501);
    expect(onA.rec.states()).toContain("ABORTED/REMOTE_LOGIN");
    expect(holder(await redis.get(key))).toBe(`${originOf(onB.sessionId)} ${onB.sessionId}`);
    expect(await counts(b)).toEqual({ ...ZERO, liveGateway: 1, sent: 1 });
    expect(await counts(a)).toEqual({ ...ZERO, none: 1, received: 1 });
    expect(await counts(c)).toEqual(ZERO);
    expect(live([a, b, c], appId, "alice")).toEqual([onB.sessionId]);

    // Again on B: the previous owner is B itself (ended locally), no message at all.
    const again = await login(b, appId, "alice");
    expect(await closedWithin(onB, 2_000)).toBe(4501);
    await vi.waitFor(async () => expect(await counts(b)).toEqual({ ...ZERO, liveGateway: 1, thisGateway: 1, sent: 1 }), WAIT);
    await sleep(100);
    expect((await counts(a)).received).toBe(1);
    expect((await counts(c)).received).toBe(0);
    expect(live([a, b, c], appId, "alice")).toEqual([again.sessionId]);
  });

  it("a message names the replaced session: a newer session of the identity on that gateway is left alone", async () => {
    const p = prefix("owner-replaces");
    const [a, b] = [await gateway(p), await gateway(p)];
    const appId = await project([a, b]);
    // alice: A (a1), then B (b1, tells A to end a1), then A again (a2, tells B to end b1).
    const a1 = await login(a, appId, "alice");
    const b1 = await login(b, appId, "alice");
    const a2 = await login(a, appId, "alice");
    expect(await closedWithin(a1, 2_000)).toBe(4501);
    expect(await closedWithin(b1, 2_000)).toBe(4501);
    // The message about a1 may reach A after a2 exists: a2 survives it.
    await sleep(200);
    expect(await closedWithin(a2, 0)).toBe("open");
    expect(live([a, b], appId, "alice")).toEqual([a2.sessionId]);
  });

  it("logout deletes the record while it is still ours: the next login elsewhere finds no owner and sends nothing", async () => {
    const p = prefix("owner-logout");
    const [a, b] = [await gateway(p), await gateway(p)];
    const appId = await project([a, b]);
    const redis = adminClient(server.url);
    cleanups.push(() => redis.quit());
    const key = redisKeys(p).sessionOwner(appId, "bob");
    const client = createRtmClient({ url: a.url, appId, profile: "rtm2" });
    cleanups.push(() => client.close());
    await client.login({ uid: "bob", token: null });
    await vi.waitFor(async () => expect(await redis.exists(key)).toBe(1), WAIT);
    await client.logout();
    await vi.waitFor(async () => expect(await redis.exists(key)).toBe(0), WAIT);
    await login(b, appId, "bob");
    await vi.waitFor(async () => expect((await counts(b)).none).toBe(1), WAIT);
    expect((await counts(b)).sent).toBe(0);
    expect((await counts(a)).received).toBe(0);
  });

  it("one identity logging in on two gateways at the same moment: exactly one session survives (50 identities, 10 rounds)", async () => {
    const p = prefix("owner-race");
    const [a, b] = [await gateway(p), await gateway(p)];
    const appId = await project([a, b]);
    const uids = Array.from({ length: 50 }, (_, i) => `racer-${i}`);
    const redis = adminClient(server.url);
    cleanups.push(() => redis.quit());
    const keys = redisKeys(p);
    for (let round = 0; round < 10; round++) {
      // Both gateways get every identity at once; the order of the two differs per identity and round.
      const fired = uids.flatMap((uid, i) => ((i + round) % 2 === 0 ? [login(a, appId, uid), login(b, appId, uid)] : [login(b, appId, uid), login(a, appId, uid)]));
      await Promise.all(fired);
      await vi.waitFor(() => {
        for (const uid of uids) expect(live([a, b], appId, uid), `round ${round}, ${uid}`).toHaveLength(1);
      }, WAIT);
      // The survivor is the session the record names (the newer login; within one millisecond, the later write in Redis's order).
      for (const uid of uids) expect(holder(await redis.get(keys.sessionOwner(appId, uid)))).toBe(`${originOf(live([a, b], appId, uid)[0]!)} ${live([a, b], appId, uid)[0]}`);
      // Nothing else ends later.
      await sleep(100);
      for (const uid of uids) expect(live([a, b], appId, uid), `round ${round}, ${uid}, later`).toHaveLength(1);
    }
    // Every message sent was received by the one gateway it was sent to.
    await vi.waitFor(async () => {
      const [ca, cb] = [await counts(a), await counts(b)];
      expect(ca.sent + cb.sent).toBe(ca.received + cb.received);
      expect(ca.failures + cb.failures).toBe(0);
    }, WAIT);
  }, 60_000);

  it("messages per gateway with G = 1, 2 and 4 at the same logins: none for fresh identities, one per relogin on another gateway, each to one gateway", async () => {
    const LOGINS = 240;
    const RELOGIN_EVERY = 4; // every 4th login re-uses a logged-in identity on the next gateway
    const perGateway: Record<number, { sent: number[]; received: number[]; relogins: number }> = {};
    for (const G of [1, 2, 4]) {
      const p = prefix(`owner-fanout-${G}`);
      const gws: Gateway[] = [];
      for (let i = 0; i < G; i++) gws.push(await gateway(p));
      const appId = await project(gws);
      const where: Array<{ uid: string; at: number }> = [];
      let relogins = 0;
      for (let n = 0; n < LOGINS; n += 8) {
        // Eight logins at a time, in flight together; a relogin re-uses an identity of an earlier
        // batch (whose session is settled), never one that another login of this batch uses.
        const settled = where.length;
        const picked = new Set<number>();
        await Promise.all(
          Array.from({ length: 8 }, (_, k) => {
            const i = n + k;
            const pick = settled === 0 ? -1 : (i * 7) % settled;
            if (i % RELOGIN_EVERY === RELOGIN_EVERY - 1 && pick >= 0 && !picked.has(pick)) {
              picked.add(pick);
              const w = where[pick]!;
              w.at = (w.at + 1) % G;
              relogins++;
              return login(gws[w.at]!, appId, w.uid);
            }
            const uid = `fan-${i}`;
            const at = i % G;
            where.push({ uid, at });
            return login(gws[at]!, appId, uid);
          }),
        );
        // Settled: the batch's records are written too (they wait up to the write window), so a
        // relogin always finds the record of the session it replaces.
        const written = n + 8;
        await vi.waitFor(async () => {
          const c = await Promise.all(gws.map(counts));
          expect(c.reduce((s, x) => s + x.none + x.thisGateway + x.liveGateway + x.deadGateway + x.newerLogin, 0)).toBe(written);
        }, WAIT);
      }
      const crossGateway = G === 1 ? 0 : relogins;
      // Every record written (the writes are not awaited by the logins) and every message heard.
      await vi.waitFor(async () => {
        const c = await Promise.all(gws.map(counts));
        expect(c.reduce((s, x) => s + x.none + x.thisGateway + x.liveGateway + x.deadGateway + x.newerLogin, 0)).toBe(LOGINS);
        expect(c.reduce((s, x) => s + x.received, 0)).toBe(crossGateway);
      }, WAIT);
      const c = await Promise.all(gws.map(counts));
      perGateway[G] = { sent: c.map((x) => x.sent), received: c.map((x) => x.received), relogins };
      expect(c.reduce((s, x) => s + x.sent, 0), `G=${G}: messages sent`).toBe(crossGateway);
      expect(c.reduce((s, x) => s + x.none, 0), `G=${G}: fresh identities`).toBe(LOGINS - relogins);
      expect(c.reduce((s, x) => s + x.deadGateway + x.failures, 0)).toBe(0);
      // Each relogin ended exactly one session: one per identity is left.
      for (const w of where) expect(live(gws, appId, w.uid)).toHaveLength(1);
      for (const gw of gws) await gw.close();
    }
    // The broadcast design delivered every login to every other gateway: LOGINS × (G − 1) messages in
    // all. Here the most any one gateway received never grows with G.
    const most = (G: number) => Math.max(...perGateway[G]!.received);
    expect(most(1)).toBe(0);
    expect(most(4)).toBeLessThanOrEqual(most(2));
    expect(perGateway[2]!.received.reduce((s, x) => s + x, 0)).toBe(perGateway[2]!.relogins);
    console.log(`remote-login messages received per gateway: G=1 ${perGateway[1]!.received.join("/")}, G=2 ${perGateway[2]!.received.join("/")}, G=4 ${perGateway[4]!.received.join("/")} (${perGateway[2]!.relogins} relogins in ${LOGINS} logins)`);
  }, 60_000);

  it("the sweep writes a lost record again, and ends a session here whose record names another session (a message that never arrived)", async () => {
    const p = prefix("owner-sweep");
    // Records live 3 s: the sweep runs every second.
    const tuning = { ...TUNING, recordTtlSeconds: 3 };
    const [a, b] = [await gateway(p, { tuning }), await gateway(p, { tuning })];
    const appId = await project([a, b]);
    const redis = adminClient(server.url);
    cleanups.push(() => redis.quit());
    const keys = redisKeys(p);
    const carol = await login(a, appId, "carol");
    const dave = await login(a, appId, "dave");
    const carolKey = keys.sessionOwner(appId, "carol");
    const daveKey = keys.sessionOwner(appId, "dave");
    await vi.waitFor(async () => expect(await redis.exists(carolKey, daveKey)).toBe(2), WAIT);

    // Refreshed by the sweep (every second), with no login: the record's remaining lifetime runs
    // down and jumps back up, twice (a record never refreshed would be gone 3 s after its write).
    let refreshes = 0;
    let last = await redis.pttl(carolKey);
    const until = performance.now() + 4_000;
    while (refreshes < 2 && performance.now() < until) {
      await sleep(50);
      const now = await redis.pttl(carolKey);
      if (now > last + 300) refreshes++;
      last = now;
    }
    expect(refreshes, "sweeps that wrote carol's record again within 4 s").toBe(2);
    expect(holder(await redis.get(carolKey))).toBe(`${originOf(carol.sessionId)} ${carol.sessionId}`);

    // Lost (deleted behind the gateways' back): written again by the next sweep, and a login on B
    // then ends carol's session on A as usual.
    await redis.del(carolKey);
    await vi.waitFor(async () => expect(holder(await redis.get(carolKey))).toBe(`${originOf(carol.sessionId)} ${carol.sessionId}`), { timeout: 3_000, interval: 50 });
    await login(b, appId, "carol");
    expect(await closedWithin(carol, 2_000)).toBe(4501);

    // dave's record now names a session of B that A never heard of: the sweep ends dave's session on A.
    const origin = originOf((await login(b, appId, "erin")).sessionId);
    await redis.set(daveKey, `${origin} ${origin}-zz`, "EX", 30);
    expect(await closedWithin(dave, 3_000)).toBe(4501);
    expect(dave.rec.states()).toContain("ABORTED/REMOTE_LOGIN");
  }, 30_000);

  it("Redis stopped: logins keep succeeding without remote kicks and warn (no uid); after the restart one session per identity is left and the next login kicks remotely again", async () => {
    const p = prefix("owner-down");
    let output = "";
    const logger = createLogger("warn", new Writable({ write: (c: Buffer, _e, done) => ((output += c.toString()), done()) }));
    const [a, b] = [await gateway(p, { logger }), await gateway(p, { logger })];
    const appId = await project([a, b]);
    const before = await login(a, appId, "frank");

    await server.stop();
    try {
      // The store answers from its copy (REDIS_MAX_STALENESS_SECONDS, default 30): logins are accepted.
      const downA = await login(a, appId, "secret-uid-1");
      const downB = await login(b, appId, "secret-uid-1");
      const frankOnB = await login(b, appId, "frank");
      await vi.waitFor(async () => expect((await counts(a)).failures + (await counts(b)).failures).toBeGreaterThanOrEqual(3), WAIT);
      await vi.waitFor(() => expect(output).toContain("session ownership could not be written"), WAIT);
      expect(output).not.toContain("secret-uid");
      expect(output.match(/session ownership could not be written/g)?.length).toBeLessThanOrEqual(2); // one per gateway per 10 s
      // No remote kick while Redis is down: both sessions of each identity are still open.
      await sleep(300);
      for (const s of [before, downA, downB, frankOnB]) expect(await closedWithin(s, 0)).toBe("open");
    } finally {
      await server.start();
    }
    // The unwritten sessions are claimed once Redis answers: one session per identity is left.
    await vi.waitFor(() => {
      expect(live([a, b], appId, "secret-uid-1")).toHaveLength(1);
      expect(live([a, b], appId, "frank")).toHaveLength(1);
    }, { timeout: 5_000, interval: 20 });
    // frank's record before the outage named A; B's unwritten session claimed it and told A.
    expect(await closedWithin(before, 2_000)).toBe(4501);
    // And the next login kicks remotely again, across gateways.
    const survivor = live([a, b], appId, "secret-uid-1")[0]!;
    const onA = a.sessions.list({ appId, uid: "secret-uid-1" }).length === 1;
    const other = onA ? b : a;
    const owner = onA ? a : b;
    const next = await login(other, appId, "secret-uid-1");
    await vi.waitFor(() => expect(owner.sessions.list({ appId, uid: "secret-uid-1" })).toEqual([]), WAIT);
    expect(live([a, b], appId, "secret-uid-1")).toEqual([next.sessionId]);
    expect(survivor).not.toBe(next.sessionId);
  }, 30_000);

  it("a dead gateway's records (process killed): the next login elsewhere succeeds, sends no message, and takes the record over", async () => {
    const p = prefix("owner-dead");
    const dead: GatewayProcess = await startGatewayProcess({ name: "gateway to kill", env: { REDIS_URL: server.url, REDIS_KEY_PREFIX: p, LOG_LEVEL: "warn" } });
    cleanups.push(() => dead.stop(500));
    // The killed gateway beats every second (the default): a window of 1.5 s judges it dead soon after.
    const b = await gateway(p);
    const res = await fetch(`${dead.http}/admin/projects`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ mechanism: "appid" }) });
    expect(res.status).toBe(201);
    const appId = ((await res.json()) as { appId: string }).appId;
    await vi.waitFor(() => expect(b.store.get(appId)).toBeDefined(), WAIT);
    const redis = adminClient(server.url);
    cleanups.push(() => redis.quit());
    const keys = redisKeys(p);

    const onDead = createRtmClient({ url: dead.url, appId, profile: "rtm1" });
    cleanups.push(() => onDead.close());
    const held = await onDead.login({ uid: "grace", token: null });
    const deadId = originOf(held.sessionId);
    await vi.waitFor(async () => expect(holder(await redis.get(keys.sessionOwner(appId, "grace")))).toBe(`${deadId} ${held.sessionId}`), WAIT);
    await vi.waitFor(async () => expect(await redis.zscore(keys.liveGateways, deadId)).not.toBeNull(), WAIT);

    process.kill(dead.pid, "SIGKILL");
    await vi.waitFor(() => expect(dead.running).toBe(false), WAIT);
    // Its id stays in the set (no cleanup) with its last heartbeat; B judges it dead once that is
    // older than B's window.
    const lastBeat = Number(await redis.zscore(keys.liveGateways, deadId));
    await sleep(Math.max(0, lastBeat + TUNING.liveWindowMs! + 300 - Date.now()));

    const taken = await login(b, appId, "grace");
    await vi.waitFor(async () => expect((await counts(b)).deadGateway).toBe(1), WAIT);
    expect(await counts(b)).toEqual({ ...ZERO, deadGateway: 1 });
    expect(holder(await redis.get(keys.sessionOwner(appId, "grace")))).toBe(`${originOf(taken.sessionId)} ${taken.sessionId}`);
    expect(live([b], appId, "grace")).toEqual([taken.sessionId]);
  }, 40_000);

  describe("RedisLoginBroadcast", () => {
    const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /**
     * Routes every call of the ownership batch script on `redis` (EVALSHA by its SHA, or EVAL of its
     * source) through `around`, which gets the real call and the number of keys (writes) it carries.
     */
    function onBatchCalls(redis: RedisConnection, around: (send: () => Promise<unknown>, keys: number, method: "eval" | "evalsha") => Promise<unknown>): void {
      const r = redis as unknown as Record<"eval" | "evalsha", (...a: unknown[]) => Promise<unknown>>;
      for (const method of ["eval", "evalsha"] as const) {
        const real = r[method].bind(redis);
        r[method] = async (...args: unknown[]) => {
          const sha = method === "evalsha" ? args[0] : createHash("sha1").update(String(args[0])).digest("hex");
          return sha === OWNER_BATCH_SHA ? await around(() => real(...args), Number(args[1]), method) : await real(...args);
        };
      }
    }

    async function broadcast(keyPrefix: string, origin: string): Promise<RedisLoginBroadcast> {
      const bc = new RedisLoginBroadcast(testRedisClients(server.url), { origin, keyPrefix, logger: silentLogger, ...TUNING });
      cleanups.push(() => bc.close());
      await bc.start();
      return bc;
    }

    it("tells only the previous owner, with the replaced session; ignores malformed messages and ones for another gateway's sessions", async () => {
      const p = prefix("owner-unit");
      const [g1, g2, g3] = [await broadcast(p, "gw1"), await broadcast(p, "gw2"), await broadcast(p, "gw3")];
      await vi.waitFor(() => expect([...g1.liveGateways()].sort()).toEqual(["gw1", "gw2", "gw3"]), WAIT);
      const heard: Record<string, RemoteLogin[]> = { gw1: [], gw2: [], gw3: [] };
      for (const g of [g1, g2, g3]) g.onRemoteLogin((l) => heard[g.origin]!.push(l));

      g1.announce(A, "a uid with spaces", "gw1-1");
      await vi.waitFor(() => expect(g1.stats().ownerWrites.none).toBe(1), WAIT);
      g2.announce(A, "a uid with spaces", "gw2-1");
      await vi.waitFor(() => expect(heard.gw1).toEqual([{ appId: A, uid: "a uid with spaces", sessionId: "gw2-1", origin: "gw2", replaces: "gw1-1" }]), WAIT);
      expect(g2.stats()).toMatchObject({ messagesSent: 1, ownerWrites: { liveGateway: 1 } });

      const redis = adminClient(server.url);
      cleanups.push(() => redis.quit());
      const channel = redisKeys(p).gatewayChannel("gw3");
      for (const bad of ["", "gw3-1", "gw3-1 gw2-9 gw2 " + A, "gw3-1 gw2-9 gw3 " + A + " self", "gw3-1 gw2-9 bad/id " + A + " x"]) await redis.publish(channel, bad);
      await redis.publish(channel, `gw3-1 gw2-9 gw2 ${A} zoe`);
      await vi.waitFor(() => expect(heard.gw3).toEqual([{ appId: A, uid: "zoe", sessionId: "gw2-9", origin: "gw2", replaces: "gw3-1" }]), WAIT);
      expect(g3.stats().messagesReceived).toBe(1);
      expect(heard.gw2).toEqual([]);
    });

    it("shares a subscriber and a command connection: closing the broadcast leaves both to their other users", async () => {
      const p = prefix("owner-shared");
      const { redis, subscriber } = testRedisClients(server.url);
      const sub = new RedisSubscriber(subscriber, { logger: silentLogger });
      cleanups.push(() => sub.close(), async () => redis.disconnect());
      const other: string[] = [];
      await sub.subscribe(`${p}other`, (m) => other.push(m));
      const shared = new RedisLoginBroadcast({ redis, subscriber: sub }, { origin: "gw1", keyPrefix: p, logger: silentLogger, ownsConnections: false, ...TUNING });
      await shared.start();
      const g2 = await broadcast(p, "gw2");
      const heard: RemoteLogin[] = [];
      shared.onRemoteLogin((l) => heard.push(l));
      shared.announce(A, "amy", "gw1-1");
      await vi.waitFor(() => expect(shared.stats().ownerWrites.none).toBe(1), WAIT);
      await vi.waitFor(() => expect(g2.liveGateways().has("gw1")).toBe(true), WAIT);
      g2.announce(A, "amy", "gw2-1");
      await vi.waitFor(() => expect(heard.map((l) => l.replaces)).toEqual(["gw1-1"]), WAIT);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      expect(await admin.zscore(redisKeys(p).liveGateways, "gw1")).not.toBeNull();

      await shared.close();
      // Gone from the live set at once; the connections still serve their other users.
      expect(await admin.zscore(redisKeys(p).liveGateways, "gw1")).toBeNull();
      expect(redis.status).toBe("ready");
      await admin.publish(`${p}other`, "still here");
      await vi.waitFor(() => expect(other).toEqual(["still here"]), WAIT);
    });

    /**
     * A broadcast whose next SET fails: `applied` runs it first (a reply lost to a timeout),
     * otherwise it never reaches Redis (a connection down).
     */
    async function failingOnce(keyPrefix: string, origin: string, applied: boolean, sessions: { appId: string; uid: string; sessionId: string }[]): Promise<RedisLoginBroadcast> {
      const clients = testRedisClients(server.url);
      // A login's record write is one call of the batch script (one server: no cluster here).
      let failed = false;
      onBatchCalls(clients.redis, async (send) => {
        if (failed) return await send();
        failed = true;
        if (applied) await send();
        throw new Error("Command timed out");
      });
      const bc = new RedisLoginBroadcast(clients, { origin, keyPrefix, logger: silentLogger, ...TUNING });
      cleanups.push(() => bc.close());
      bc.trackSessions(() => sessions);
      await bc.start();
      return bc;
    }

    it("a write that timed out after it was applied, then a newer login elsewhere: the late claim ends the session here and never the newer one", async () => {
      const p = prefix("owner-late-newer");
      const s1 = { appId: A, uid: "kim", sessionId: "gw1-1" };
      const g1 = await failingOnce(p, "gw1", true, [s1]);
      const g2 = await broadcast(p, "gw2");
      await vi.waitFor(() => expect([...g2.liveGateways()].sort()).toEqual(["gw1", "gw2"]), WAIT);
      const heard: { gw1: RemoteLogin[]; gw2: RemoteLogin[] } = { gw1: [], gw2: [] };
      g1.onRemoteLogin((l) => heard.gw1.push(l));
      g2.onRemoteLogin((l) => heard.gw2.push(l));

      g1.announce(A, "kim", "gw1-1");
      await vi.waitFor(() => expect(g1.stats().ownerWriteFailures).toBe(1), WAIT);
      await sleep(5);
      g2.announce(A, "kim", "gw2-1");
      // gw1's own record was applied, so gw2's write names it: gw1 hears of it at once.
      await vi.waitFor(() => expect(heard.gw1.map((l) => l.replaces)).toContain("gw1-1"), WAIT);
      await g1.sweep();
      await sleep(300); // heartbeats and any late message
      expect(heard.gw2).toEqual([]);
      expect(heard.gw1.every((l) => l.replaces === "gw1-1" && l.sessionId === "gw2-1" && l.origin === "gw2")).toBe(true);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      expect(await admin.get(redisKeys(p).sessionOwner(A, "kim"))).toMatch(/^gw2 gw2-1 \d+$/);
    });

    it("a write that never reached Redis: the late claim loses to a newer login's record (the session here ends) and wins over an older one's (that session ends)", async () => {
      const p = prefix("owner-late-order");
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const keys = redisKeys(p);
      const heard: { gw1: RemoteLogin[]; gw2: RemoteLogin[] } = { gw1: [], gw2: [] };

      // Older record elsewhere (gw2 logged in first), then gw1's newer login fails: gw1's claim wins.
      const g2 = await broadcast(p, "gw2");
      g2.onRemoteLogin((l) => heard.gw2.push(l));
      g2.announce(A, "lee", "gw2-1");
      await vi.waitFor(async () => expect(await admin.get(keys.sessionOwner(A, "lee"))).toMatch(/^gw2 gw2-1 \d+$/), WAIT);
      await sleep(5);
      const mine = { appId: A, uid: "lee", sessionId: "gw1-1" };
      const sessions = [mine];
      const g1 = await failingOnce(p, "gw1", false, sessions);
      g1.onRemoteLogin((l) => heard.gw1.push(l));
      await vi.waitFor(() => expect(g2.liveGateways().has("gw1")).toBe(true), WAIT);
      g1.announce(A, "lee", "gw1-1");
      await vi.waitFor(() => expect(g1.stats().ownerWriteFailures).toBe(1), WAIT);
      await g1.sweep();
      await vi.waitFor(() => expect(heard.gw2).toEqual([{ appId: A, uid: "lee", sessionId: "gw1-1", origin: "gw1", replaces: "gw2-1" }]), WAIT);
      expect(await admin.get(keys.sessionOwner(A, "lee"))).toMatch(/^gw1 gw1-1 \d+$/);
      expect(heard.gw1).toEqual([]);

      // A newer record elsewhere: gw1's late claim (its login is older) loses, and its session ends.
      const p2 = prefix("owner-late-order-2");
      const keys2 = redisKeys(p2);
      const older = { appId: A, uid: "max", sessionId: "gw3-1" };
      const g3 = await failingOnce(p2, "gw3", false, [older]);
      const heard3: RemoteLogin[] = [];
      g3.onRemoteLogin((l) => heard3.push(l));
      const g4 = await broadcast(p2, "gw4");
      const heard4: RemoteLogin[] = [];
      g4.onRemoteLogin((l) => heard4.push(l));
      g3.announce(A, "max", "gw3-1");
      await vi.waitFor(() => expect(g3.stats().ownerWriteFailures).toBe(1), WAIT);
      await sleep(5);
      g4.announce(A, "max", "gw4-1");
      await vi.waitFor(async () => expect(await admin.get(keys2.sessionOwner(A, "max"))).toMatch(/^gw4 gw4-1 \d+$/), WAIT);
      await g3.sweep();
      await vi.waitFor(() => expect(heard3).toEqual([{ appId: A, uid: "max", sessionId: "gw4-1", origin: "gw4", replaces: "gw3-1" }]), WAIT);
      await sleep(300);
      expect(heard4).toEqual([]);
      expect(await admin.get(keys2.sessionOwner(A, "max"))).toMatch(/^gw4 gw4-1 \d+$/);
    });

    it("refuses an origin that cannot name a channel, and timings out of range", () => {
      const { redis, subscriber } = testRedisClients(server.url);
      cleanups.push(async () => redis.disconnect(), async () => subscriber.disconnect());
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "has space", logger: silentLogger })).toThrow(/gateway origin/);
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "ok", logger: silentLogger, heartbeatMs: 10 })).toThrow(/heartbeatMs must be an integer in \[50, 10000\]/);
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "ok", logger: silentLogger, heartbeatMs: 1_000, liveWindowMs: 1_500 })).toThrow(/liveWindowMs must be an integer in \[2000, 60000\]/);
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "ok", logger: silentLogger, recordTtlSeconds: 0 })).toThrow(/recordTtlSeconds/);
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "ok", logger: silentLogger, batchWindowMs: 1_001 })).toThrow(/batchWindowMs must be an integer in \[0, 1000\]/);
      expect(() => new RedisLoginBroadcast({ redis, subscriber }, { origin: "ok", logger: silentLogger, batchWindowMs: -1 })).toThrow(/batchWindowMs must be an integer in \[0, 1000\]/);
    });

    /** A broadcast whose batch-script calls are counted (how many, and how many writes each carried). */
    async function counted(keyPrefix: string, origin: string, tuning: RemoteLoginTuning = TUNING): Promise<{ bc: RedisLoginBroadcast; batches: number[]; methods: string[]; redis: RedisConnection }> {
      const clients = testRedisClients(server.url);
      const batches: number[] = [];
      const methods: string[] = [];
      onBatchCalls(clients.redis, async (send, keys, method) => {
        batches.push(keys);
        methods.push(method);
        return await send();
      });
      const bc = new RedisLoginBroadcast(clients, { origin, keyPrefix, logger: silentLogger, ...tuning });
      cleanups.push(() => bc.close());
      await bc.start();
      return { bc, batches, methods, redis: clients.redis };
    }

    it("batches: the record writes of one window go out as one script call, in order, a logout's delete included; a full batch goes at once", async () => {
      const p = prefix("owner-batch");
      const keys = redisKeys(p);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const { bc, batches, methods, redis } = await counted(p, "gw1", { ...TUNING, batchWindowMs: 50 });
      bc.announce(A, "ann", "gw1-1");
      bc.announce(A, "bea", "gw1-2");
      bc.release(A, "bea", "gw1-2"); // logged out in the same window: its write and its delete go as one entry
      bc.announce(A, "ann", "gw1-3"); // relogin here: replaces gw1-1's record, no message
      await sleep(10);
      expect(batches, "nothing sent before the window ends").toEqual([]);
      expect(await admin.get(keys.sessionOwner(A, "ann"))).toBeNull();
      await vi.waitFor(() => expect(bc.stats().ownerWrites).toEqual({ none: 2, thisGateway: 1, liveGateway: 0, deadGateway: 0, newerLogin: 0 }), WAIT);
      expect(batches).toEqual([3]);
      expect(await admin.get(keys.sessionOwner(A, "ann"))).toMatch(/^gw1 gw1-3 \d+$/);
      expect(await admin.exists(keys.sessionOwner(A, "bea"))).toBe(0);

      // MAX_BATCH writes in one turn: that batch leaves at once, the rest after the window.
      for (let i = 0; i < MAX_BATCH + 3; i++) bc.announce(A, `many-${i}`, `gw1-m${i}`);
      expect(batches).toEqual([3, MAX_BATCH]);
      await vi.waitFor(() => expect(bc.stats().ownerWrites.none).toBe(2 + MAX_BATCH + 3), WAIT);
      expect(batches).toEqual([3, MAX_BATCH, 3]);
      expect(await admin.get(keys.sessionOwner(A, `many-${MAX_BATCH + 2}`))).toMatch(/^gw1 gw1-m\d+ \d+$/);

      // The first batch loads the script (EVAL), the next ones name it (EVALSHA). After a
      // reconnection (Redis may have restarted without its scripts) the next batch loads it again.
      expect(methods).toEqual(["eval", "evalsha", "evalsha"]);
      const readyAgain = new Promise((resolve) => redis.once("ready", resolve));
      (redis as Redis).disconnect(true);
      await readyAgain;
      bc.announce(A, "again", "gw1-y");
      await vi.waitFor(async () => expect(await admin.get(keys.sessionOwner(A, "again"))).toMatch(/^gw1 gw1-y \d+$/), WAIT);
      expect(methods.at(-1)).toBe("eval");

      // close() sends what waits.
      bc.announce(A, "last", "gw1-z");
      await bc.close();
      expect(batches).toEqual([3, MAX_BATCH, 3, 1, 1]);
      expect(await admin.get(keys.sessionOwner(A, "last"))).toMatch(/^gw1 gw1-z \d+$/);
    });

    it("a session that ends before its login's write has left goes as one entry: the session it replaced elsewhere still ends, and no record is left", async () => {
      const p = prefix("owner-ended");
      const keys = redisKeys(p);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const other = await broadcast(p, "gw2");
      const heard: RemoteLogin[] = [];
      other.onRemoteLogin((l) => heard.push(l));
      const { bc, batches } = await counted(p, "gw1", { ...TUNING, batchWindowMs: 50 });
      await vi.waitFor(() => expect([...bc.liveGateways()].sort()).toEqual(["gw1", "gw2"]), WAIT);
      other.announce(A, "rae", "gw2-1");
      other.announce(A, "sam", "gw2-2");
      await vi.waitFor(async () => expect(await admin.exists(keys.sessionOwner(A, "rae"), keys.sessionOwner(A, "sam"))).toBe(2), WAIT);
      // A newer login elsewhere, made while this gateway's write waits: it wins, and its record stays.
      await admin.set(keys.sessionOwner(A, "sam"), `gw2 gw2-3 ${Date.now() + NEWER_LOGIN_MARGIN_MS / 2}`);
      bc.announce(A, "rae", "gw1-1");
      bc.release(A, "rae", "gw1-1");
      bc.announce(A, "sam", "gw1-2");
      bc.release(A, "sam", "gw1-2");
      bc.announce(A, "tia", "gw1-3");
      bc.release(A, "tia", "gw1-3");
      await vi.waitFor(() => expect(heard).toEqual([{ appId: A, uid: "rae", sessionId: "gw1-1", origin: "gw1", replaces: "gw2-1" }]), WAIT);
      expect(batches).toEqual([3]);
      expect(bc.stats().ownerWrites).toEqual({ none: 1, thisGateway: 0, liveGateway: 1, deadGateway: 0, newerLogin: 1 });
      expect(await admin.exists(keys.sessionOwner(A, "rae"), keys.sessionOwner(A, "tia"))).toBe(0);
      expect(await admin.get(keys.sessionOwner(A, "sam"))).toMatch(/^gw2 gw2-3 \d+$/);
      expect(await admin.ttl(keys.sessionOwner(A, "sam"))).toBeGreaterThan(0);
      // A release after the write has left is a delete of its own.
      bc.announce(A, "uma", "gw1-4");
      await vi.waitFor(async () => expect(await admin.exists(keys.sessionOwner(A, "uma"))).toBe(1), WAIT);
      bc.release(A, "uma", "gw1-4");
      await vi.waitFor(async () => expect(await admin.exists(keys.sessionOwner(A, "uma"))).toBe(0), WAIT);
      expect(batches).toEqual([3, 1, 1]);
    });

    it("the default window is 20 ms: a write made 10 ms after the first goes in the same batch", async () => {
      expect(DEFAULT_BATCH_WINDOW_MS).toBe(20);
      const { bc, batches } = await counted(prefix("owner-default-window"), "gw1"); // TUNING sets no batch window
      const started = performance.now();
      bc.announce(A, "dee", "gw1-1");
      await sleep(10);
      const secondAt = performance.now() - started;
      const sentBefore = batches.length;
      bc.announce(A, "eli", "gw1-2");
      await vi.waitFor(() => expect(bc.stats().ownerWrites.none).toBe(2), WAIT);
      // Timers fire late, never more than a millisecond early: a batch already sent means the
      // sleep overran the window (a loaded machine), not that the window is shorter.
      if (sentBefore === 0) expect(batches).toEqual([2]);
      else expect(secondAt).toBeGreaterThanOrEqual(19);
    });

    it("a write that finds a newer login of another gateway leaves its record and ends the session here; this gateway's own records are always replaced; a login time beyond the batch's margin (a clock ahead) goes by Redis's order", async () => {
      const p = prefix("owner-newer");
      const keys = redisKeys(p);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const { bc } = await counted(p, "gw1", { ...TUNING, batchWindowMs: 0 });
      const heard: RemoteLogin[] = [];
      bc.onRemoteLogin((l) => heard.push(l));
      // A login elsewhere made while this gateway's writes wait (after them, within the margin).
      const later = Date.now() + NEWER_LOGIN_MARGIN_MS / 2;
      // A login time no write sent now can be older than: that gateway's clock runs ahead.
      const ahead = Date.now() + 60_000;
      await admin.set(keys.sessionOwner(A, "nia"), `gw2 gw2-7 ${later}`);
      await admin.set(keys.sessionOwner(A, "own"), `gw1 gw1-0 ${ahead}`);
      await admin.set(keys.sessionOwner(A, "old"), `gw2 gw2-8 ${Date.now() - 60_000}`);
      await admin.set(keys.sessionOwner(A, "skew"), `gw2 gw2-9 ${ahead}`);
      bc.announce(A, "nia", "gw1-1");
      bc.announce(A, "own", "gw1-2");
      bc.announce(A, "old", "gw1-3");
      bc.announce(A, "skew", "gw1-4");
      await vi.waitFor(() => expect(bc.stats().ownerWrites.newerLogin).toBe(1), WAIT);
      expect(heard).toEqual([{ appId: A, uid: "nia", sessionId: "gw2-7", origin: "gw2", replaces: "gw1-1" }]);
      expect(await admin.get(keys.sessionOwner(A, "nia"))).toBe(`gw2 gw2-7 ${later}`);
      expect(await admin.ttl(keys.sessionOwner(A, "nia"))).toBeGreaterThan(0);
      expect(await admin.get(keys.sessionOwner(A, "own"))).toMatch(/^gw1 gw1-2 \d+$/);
      expect(await admin.get(keys.sessionOwner(A, "skew"))).toMatch(/^gw1 gw1-4 \d+$/);
      // gw2 is not alive: the older records are taken over once the next heartbeat has judged them.
      await vi.waitFor(() => expect(bc.stats().ownerWrites).toEqual({ none: 0, thisGateway: 1, liveGateway: 0, deadGateway: 2, newerLogin: 1 }), WAIT);
      expect(await admin.get(keys.sessionOwner(A, "old"))).toMatch(/^gw1 gw1-3 \d+$/);
      expect(heard).toHaveLength(1);
    });

    it("a sweep sends the writes waiting in the window first: a session's refresh finds its own login's record, not the one that login replaced", async () => {
      const p = prefix("owner-sweep-window");
      const keys = redisKeys(p);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const mine = { appId: A, uid: "ola", sessionId: "gw1-1" };
      const { bc, batches } = await counted(p, "gw1", { ...TUNING, batchWindowMs: 1_000 });
      bc.trackSessions(() => [mine]);
      const heard: RemoteLogin[] = [];
      bc.onRemoteLogin((l) => heard.push(l));
      await admin.set(keys.sessionOwner(A, "ola"), `gw2 gw2-1 ${Date.now() - 1_000}`); // the session this login replaces
      bc.announce(A, "ola", "gw1-1");
      await bc.sweep();
      expect(batches).toEqual([1]);
      expect(await admin.get(keys.sessionOwner(A, "ola"))).toMatch(/^gw1 gw1-1 \d+$/);
      await sleep(300); // heartbeats
      expect(heard).toEqual([]);
    });

    it("a failed batch: each login in it is counted and remembered for a late claim, except one that logged out in the same batch", async () => {
      const p = prefix("owner-batch-failed");
      const clients = testRedisClients(server.url);
      let fail = true;
      onBatchCalls(clients.redis, async (send) => {
        if (fail) throw new Error("Command timed out");
        return await send();
      });
      const sessions = [{ appId: A, uid: "pia", sessionId: "gw1-1" }];
      const bc = new RedisLoginBroadcast(clients, { origin: "gw1", keyPrefix: p, logger: silentLogger, ...TUNING, batchWindowMs: 0 });
      cleanups.push(() => bc.close());
      bc.trackSessions(() => sessions);
      await bc.start();
      bc.announce(A, "pia", "gw1-1");
      bc.announce(A, "quin", "gw1-2");
      bc.release(A, "quin", "gw1-2");
      await vi.waitFor(() => expect(bc.stats().ownerWriteFailures).toBe(1), WAIT);
      fail = false;
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      await bc.sweep();
      expect(await admin.get(redisKeys(p).sessionOwner(A, "pia"))).toMatch(/^gw1 gw1-1 \d+$/);
      expect(await admin.exists(redisKeys(p).sessionOwner(A, "quin"))).toBe(0);
    });

    it("a record Redis cannot overwrite (another type under the key) fails that write alone: counted, remembered and claimed later; the rest of its batch is written", async () => {
      const p = prefix("owner-wrongtype");
      const keys = redisKeys(p);
      const admin = adminClient(server.url);
      cleanups.push(() => admin.quit());
      const sessions = [
        { appId: A, uid: "list", sessionId: "gw1-1" },
        { appId: A, uid: "fine", sessionId: "gw1-2" },
      ];
      const { bc, batches } = await counted(p, "gw1", { ...TUNING, batchWindowMs: 0 });
      bc.trackSessions(() => sessions);
      await admin.rpush(keys.sessionOwner(A, "list"), "x");
      bc.announce(A, "list", "gw1-1");
      bc.announce(A, "fine", "gw1-2");
      await vi.waitFor(() => expect(bc.stats().ownerWriteFailures).toBe(1), WAIT);
      expect(batches).toEqual([2]);
      expect(bc.stats().ownerWrites.none).toBe(1);
      expect(await admin.get(keys.sessionOwner(A, "fine"))).toMatch(/^gw1 gw1-2 \d+$/);
      expect(await admin.type(keys.sessionOwner(A, "list"))).toBe("list");
      // The sweep passes over that key (its claim cannot write it) and goes on with the others.
      await admin.del(keys.sessionOwner(A, "fine"));
      await bc.sweep();
      expect(await admin.type(keys.sessionOwner(A, "list"))).toBe("list");
      expect(await admin.get(keys.sessionOwner(A, "fine"))).toBe("gw1 gw1-2 0");
      // Once the key holds a string again (here: none), the next sweep restores the record.
      await admin.del(keys.sessionOwner(A, "list"));
      await bc.sweep();
      expect(await admin.get(keys.sessionOwner(A, "list"))).toBe("gw1 gw1-1 0");
    });

  });
});
