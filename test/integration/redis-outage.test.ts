/**
 * Redis going away, on a private redis-server (never the shared one): the store keeps serving
 * logins from its copy for at most maxStalenessMs, then fails closed; writes are refused while
 * down and change nothing; changes missed while disconnected arrive with the reload after the
 * reconnect. (Remote login while Redis is down: test/integration/remote-login-redis.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { StoreUnavailable } from "../../core/errors.js";
import { RedisCertificateStore, type RedisCertificateStoreOptions } from "../../gateway/infra/certificate-store-redis.js";
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
});
