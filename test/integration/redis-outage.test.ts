/**
 * Redis going away, on a private redis-server (never the shared one): the store keeps serving
 * logins from its copy for at most maxStalenessMs, then fails closed; writes are refused while
 * down and change nothing; changes missed while disconnected arrive with the reload after the
 * reconnect; the login broadcast reaches the other gateway and not itself.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import type { RemoteLogin } from "../../core/session/login-broadcast.js";
import { StoreUnavailable } from "../../core/errors.js";
import { RedisCertificateStore, type RedisCertificateStoreOptions } from "../../gateway/infra/certificate-store-redis.js";
import { RedisLoginBroadcast } from "../../gateway/infra/login-broadcast-redis.js";
import { RedisSubscriber } from "../../gateway/infra/redis-subscriber.js";
import { createLogger } from "../../gateway/logger.js";
import { adminClient, redisServerUnavailable, silentLogger, startOwnRedisServer, testRedisClients, uniquePrefix, type OwnRedisServer } from "../support/redis.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

// These tests stop and kill Redis, so they need their own redis-server (never the suite's or the
// shared one): without the binary they are skipped, or fail with CI=true.
const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the Redis outage tests are required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the outage tests: ${noServer}`);
}

const T0 = 1_718_000_000;
const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CERT = "11111111111111111111111111111111";
const CERT2 = "22222222222222222222222222222222";
const WAIT = { timeout: 3_000, interval: 10 };
const record = (appId: string, over: Partial<ProjectRecord> = {}): ProjectRecord => ({
  appId,
  noCertificate: false,
  primary: { value: CERT, enabledAt: T0, activeAt: T0 },
  secondary: null,
  enabled: true,
  version: 0,
  ...over,
});

describe.skipIf(noServer !== undefined)("Redis outages (own redis-server)", () => {
  let server: OwnRedisServer;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    server = await startOwnRedisServer();
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  async function store(url: string, prefix: string, options: Partial<RedisCertificateStoreOptions> = {}): Promise<RedisCertificateStore> {
    const s = new RedisCertificateStore(testRedisClients(url, 25), { keyPrefix: prefix, logger: silentLogger, heartbeatMs: 0, ...options });
    closers.push(() => s.close());
    await s.start();
    return s;
  }

  it("serves auth() from the copy while down for at most maxStalenessMs, then fails closed; writes are refused and change nothing", async () => {
    let t = 5_000_000;
    const prefix = uniquePrefix("outage");
    const s = await store(server.url, prefix, { maxStalenessMs: 300, now: () => t });
    const stored = await s.update(A, () => record(A));
    expect(s.auth(A, T0)?.certificates).toEqual([{ slot: "primary", value: CERT }]);

    await server.stop();
    await vi.waitFor(() => expect(s.status().connected).toBe(false), WAIT);
    // Within the allowed staleness: logins still answered from the copy.
    t += 300;
    expect(s.auth(A, T0)?.certificates).toEqual([{ slot: "primary", value: CERT }]);
    expect(s.auth(B, T0)).toBeUndefined();
    expect(s.isReady()).toBe(true);
    expect(s.status()).toMatchObject({ connected: false, stale: false });
    // Past it: "could not look", never "not found" and never an accept.
    t += 1;
    expect(() => s.auth(A, T0)).toThrow(StoreUnavailable);
    expect(() => s.auth(B, T0)).toThrow(StoreUnavailable);
    expect(s.isReady()).toBe(false);
    expect(s.status()).toMatchObject({ connected: false, stale: true });

    // A write while down fails fast and changes nothing.
    const started = Date.now();
    await expect(s.update(A, (cur) => ({ ...cur!, enabled: false }))).rejects.toThrow(StoreUnavailable);
    await expect(s.update(B, () => record(B))).rejects.toThrow(StoreUnavailable);
    await expect(s.clear()).rejects.toThrow(StoreUnavailable);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.get(A)).toEqual(stored);

    await server.start();
    await vi.waitFor(() => expect(s.isReady()).toBe(true), WAIT);
    expect(s.status()).toMatchObject({ connected: true, stale: false, lastSyncAt: t });
    expect(s.auth(A, T0)?.mode).toBe("token");
    expect(s.get(A)).toEqual(stored);
    expect(s.get(B)).toBeUndefined();
    const admin = adminClient(server.url);
    closers.push(() => admin.quit());
    expect(JSON.parse((await admin.get(`${prefix}{${A}}:project`))!)).toEqual(stored);
    expect(await admin.exists(`${prefix}{${B}}:project`)).toBe(0);
    // Writable again.
    expect((await s.update(A, (cur) => ({ ...cur!, enabled: false })))?.version).toBe(2);
  });

  it("picks up a change another instance wrote while it was cut off (reload after reconnect)", async () => {
    const prefix = uniquePrefix("reload");
    const proxy: TcpProxy = await startTcpProxy(server.port);
    closers.push(() => proxy.close());
    const far = await store(`redis://127.0.0.1:${proxy.port}`, prefix);
    const near = await store(server.url, prefix);
    await near.update(A, () => record(A));
    await near.update(B, () => record(B));
    await vi.waitFor(() => expect(far.list().map((p) => p.appId)).toEqual([A, B]), WAIT);

    proxy.cut();
    await vi.waitFor(() => expect(far.status().connected).toBe(false), WAIT);
    const changed = await near.update(A, (cur) => ({ ...cur!, secondary: { value: CERT2, enabledAt: T0, activeAt: T0 } }));
    await near.update(B, () => undefined);
    const heard: string[] = [];
    far.onChange((id) => heard.push(id));
    let reloads = 0;
    far.onReload(() => reloads++);
    await new Promise((r) => setTimeout(r, 100));
    expect(far.get(A)?.secondary).toBeNull(); // missed: the messages went nowhere
    expect(far.get(B)).toBeDefined();

    proxy.restore();
    await vi.waitFor(() => expect(far.get(A)).toEqual(changed), WAIT);
    expect(far.get(B)).toBeUndefined();
    expect(heard.sort()).toEqual([A, B]);
    expect(reloads).toBeGreaterThanOrEqual(1); // rtm_auth_certificate_cache_events_total{event="reload"}
    await vi.waitFor(() => expect(far.status().connected).toBe(true), WAIT);
    // And it follows live changes again.
    const later = await near.update(A, (cur) => ({ ...cur!, enabled: false }));
    await vi.waitFor(() => expect(far.get(A)).toEqual(later), WAIT);
  });

  it("notices a silently dead link with its heartbeat and fails closed after maxStalenessMs", async () => {
    const prefix = uniquePrefix("heartbeat");
    const proxy = await startTcpProxy(server.port);
    closers.push(() => proxy.close());
    const s = await store(`redis://127.0.0.1:${proxy.port}`, prefix, { heartbeatMs: 100, maxStalenessMs: 400 });
    await s.update(A, () => record(A));
    proxy.freeze();
    await vi.waitFor(() => expect(s.status().connected).toBe(false), WAIT);
    await vi.waitFor(() => expect(() => s.auth(A, T0)).toThrow(StoreUnavailable), WAIT);
    proxy.restore();
    await vi.waitFor(() => expect(s.isReady()).toBe(true), WAIT);
    expect(s.auth(A, T0)?.mode).toBe("token");
  });

  it("after a crash that lost recent writes, Redis is the truth again", async () => {
    const prefix = uniquePrefix("crash");
    const s = await store(server.url, prefix);
    await s.update(A, () => record(A));
    await server.stop(); // saved: A
    await server.start();
    await vi.waitFor(() => expect(s.isReady() && s.status().connected).toBe(true), WAIT);
    await s.update(B, () => record(B)); // not saved
    await s.update(A, (cur) => ({ ...cur!, enabled: false })); // not saved
    const heard: string[] = [];
    s.onChange((id) => heard.push(id));
    await server.kill();
    await server.start();
    await vi.waitFor(() => expect(s.get(B)).toBeUndefined(), WAIT);
    expect(s.get(A)).toMatchObject({ enabled: true, version: 1 });
    expect(heard.sort()).toEqual([A, B]);
    // Versions continue from what Redis has.
    expect((await s.update(A, (cur) => ({ ...cur!, enabled: false })))?.version).toBe(2);
  });

  describe("RedisLoginBroadcast", () => {
    it("delivers between two gateways, not to the announcing one, sharing the store's subscriber", async () => {
      const prefix = uniquePrefix("logins");
      const gw1Conn = testRedisClients(server.url);
      const gw1Sub = new RedisSubscriber(gw1Conn.subscriber, { logger: silentLogger });
      const gw1Store = new RedisCertificateStore({ redis: gw1Conn.redis, subscriber: gw1Sub }, { keyPrefix: prefix, logger: silentLogger, heartbeatMs: 0 });
      const gw1 = new RedisLoginBroadcast({ redis: gw1Conn.redis, subscriber: gw1Sub }, { origin: "gw1", keyPrefix: prefix, logger: silentLogger, ownsConnections: false });
      const gw2 = new RedisLoginBroadcast(testRedisClients(server.url), { origin: "gw2", keyPrefix: prefix, logger: silentLogger });
      closers.push(() => gw1Store.close(), () => gw1.close(), () => gw2.close());
      await gw1Store.start();
      await gw1.start();
      await gw2.start();
      const at1: RemoteLogin[] = [];
      const at2: RemoteLogin[] = [];
      gw1.onRemoteLogin((l) => at1.push(l));
      gw2.onRemoteLogin((l) => at2.push(l));

      gw1.announce(A, "alice", "gw1-1");
      gw2.announce(A, "bob", "gw2-1");
      await vi.waitFor(() => expect(at2).toEqual([{ appId: A, uid: "alice", sessionId: "gw1-1", origin: "gw1" }]), WAIT);
      await vi.waitFor(() => expect(at1).toEqual([{ appId: A, uid: "bob", sessionId: "gw2-1", origin: "gw2" }]), WAIT);
      // The shared subscriber still carries the store's changes.
      await gw1Store.update(A, () => record(A));
      expect(gw1Store.get(A)?.version).toBe(1);
      // Closing the broadcast leaves the shared connections to the store.
      await gw1.close();
      await gw1Store.update(B, () => record(B));
      expect(gw1Store.isReady()).toBe(true);
    });

    it("announce never throws while Redis is down, logs a warning (no uid), and works again after", async () => {
      const prefix = uniquePrefix("logins-down");
      let output = "";
      const logger = createLogger("warn", new Writable({ write: (c: Buffer, _e, done) => ((output += c.toString()), done()) }));
      const gw1 = new RedisLoginBroadcast(testRedisClients(server.url, 25), { origin: "gw1", keyPrefix: prefix, logger });
      const gw2 = new RedisLoginBroadcast(testRedisClients(server.url, 25), { origin: "gw2", keyPrefix: prefix, logger });
      closers.push(() => gw1.close(), () => gw2.close());
      await gw1.start();
      await gw2.start();
      const at2: RemoteLogin[] = [];
      gw2.onRemoteLogin((l) => at2.push(l));

      await server.stop();
      await vi.waitFor(() => expect(() => gw1.announce(A, "secret-uid", "gw1-1")).not.toThrow(), WAIT);
      for (let i = 0; i < 5; i++) gw1.announce(A, "secret-uid", `gw1-${i + 2}`);
      await vi.waitFor(() => expect(output).toContain("remote login could not be announced"), WAIT);
      expect(output).not.toContain("secret-uid");
      expect(output.match(/remote login could not be announced/g)?.length).toBe(1); // throttled

      await server.start();
      await vi.waitFor(
        async () => {
          gw1.announce(A, "carol", "gw1-9");
          await new Promise((r) => setTimeout(r, 20));
          expect(at2.map((l) => l.uid)).toContain("carol");
        },
        { timeout: 3_000, interval: 50 },
      );
      expect(at2.every((l) => l.origin === "gw1" && l.uid === "carol")).toBe(true);
    });
  });
});
