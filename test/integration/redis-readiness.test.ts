/**
 * Readiness tells the truth (issue 11, Build item 7; docs/redis.md, "Readiness"), on the test's
 * OWN redis-server (never the shared one):
 * - a Redis restarted empty (no persistence) is reported by `/readyz` (`ready`, the project count
 *   and a warning), logged as a warning, and the dev seed is written again when it is on;
 * - the staleness window counts from the last good contact with Redis, not from when the loss
 *   was noticed;
 * - `/readyz` always carries the project count.
 */
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { StoreUnavailable } from "../../core/errors.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { RedisCertificateStore } from "../../gateway/infra/certificate-store-redis.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { adminApi } from "../support/admin-api.js";
import { adminClient, redisServerUnavailable, silentLogger, startOwnRedisServer, testRedisClients, uniquePrefix, type OwnRedisServer } from "../support/redis.js";
import { startTcpProxy } from "../support/tcp-proxy.js";

const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the Redis readiness tests are required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the readiness tests: ${noServer}`);
}

const T0 = 1_718_000_000;
const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const X = "0123456789abcdef0123456789abcdef";
const Y = "fedcba9876543210fedcba9876543210";
const WAIT = { timeout: 10_000, interval: 25 };
const record = (appId: string): ProjectRecord => ({ appId, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0 });

/** A logger whose lines are kept, to assert on. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let out = "";
  const logger = createLogger("warn", new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) }));
  return { logger, lines: () => out };
}

describe.skipIf(noServer !== undefined)("readiness with Redis (own redis-server)", () => {
  let server: OwnRedisServer;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    server = await startOwnRedisServer(); // no persistence: a kill and a start bring it back empty
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  async function gateway(prefix: string, devSeed: boolean) {
    const log = capturingLogger();
    const gw: Gateway = await startGateway({
      config: { port: 0, host: "127.0.0.1", redisUrl: server.url, redisKeyPrefix: prefix, devSeed, logLevel: "warn", journalSize: 0 },
      logger: log.logger,
    });
    closers.push(() => gw.close());
    return { gw, api: adminApi(gw.httpUrl), lines: log.lines };
  }

  it("a Redis restarted empty: /readyz says so (ready, projects, warning), a warning is logged, the dev seed is back when on", async () => {
    const seeded = await gateway(uniquePrefix("empty-seed"), true);
    const bare = await gateway(uniquePrefix("empty-bare"), false);
    expect((await seeded.api.call("POST", "/admin/projects", { mechanism: "appid", appId: X })).status).toBe(201);
    for (const id of [X, Y]) expect((await bare.api.call("POST", "/admin/projects", { mechanism: "appid", appId: id })).status).toBe(201);
    expect(await seeded.api.call("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready", projects: DEV_PROJECTS.length + 1 } });
    expect((await seeded.api.call("GET", "/readyz")).body).not.toHaveProperty("warning");
    expect(await bare.api.call("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready", projects: 2 } });

    await server.kill();
    await server.start(); // empty

    // The seed is on: the dev projects are written again; the project the gateway had is gone.
    await vi.waitFor(async () => {
      const r = await seeded.api.call("GET", "/readyz");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ready", projects: DEV_PROJECTS.length });
      expect(r.body.warning).toMatch(/^Redis came back empty at \d{4}-\d\d-\d\dT[\d:.]+Z \(restarted without persistence, or flushed\): 4 project\(s\) were known before, 3 now; re-create the missing ones$/);
    }, WAIT);
    expect(seeded.lines()).toContain("redis came back empty (restarted without persistence, or flushed)");
    expect(seeded.lines()).toContain("DEV SEED RE-APPLIED");
    const direct = adminClient(server.url);
    closers.push(() => direct.quit());
    const seededPrefix = seeded.gw.config.redisKeyPrefix;
    for (const p of DEV_PROJECTS) expect(await direct.exists(`${seededPrefix}{${p.appId}}:project`)).toBe(1);
    expect(await direct.exists(`${seededPrefix}{${X}}:project`)).toBe(0);
    // The re-seeded token project decides logins again (certificates active since the clock's now).
    const token = DEV_PROJECTS.find((p) => p.mode === "token")!;
    expect(seeded.gw.store.auth(token.appId, seeded.gw.clock.nowSeconds())?.certificates).toEqual([{ slot: "primary", value: token.certificate }]);

    // The seed is off: nothing comes back; ready, with no projects, and the warning.
    await vi.waitFor(async () => {
      const r = await bare.api.call("GET", "/readyz");
      expect(r).toMatchObject({ status: 200, body: { status: "ready", projects: 0 } });
      expect(r.body.warning).toContain("2 project(s) were known before, 0 now");
    }, WAIT);
    expect(bare.lines()).toContain("redis came back empty");
    expect(bare.lines()).not.toContain("DEV SEED RE-APPLIED");

    // Once the projects are back, the warning goes.
    expect((await seeded.api.call("POST", "/admin/projects", { mechanism: "appid", appId: X })).status).toBe(201);
    const after = await seeded.api.call("GET", "/readyz");
    expect(after.body).toEqual({ status: "ready", projects: DEV_PROJECTS.length + 1 });
  }, 30_000);

  it("a reset (every project deleted through the API) is not mistaken for a Redis that lost its data", async () => {
    const { gw, api, lines } = await gateway(uniquePrefix("reset"), false);
    expect((await api.call("POST", "/admin/projects", { mechanism: "appid", appId: X })).status).toBe(201);
    expect((await api.call("POST", "/admin/reset")).status).toBe(204);
    // A reload after a reconnect finds no projects, but the versions are kept: no warning.
    await server.stop();
    await server.start(); // SHUTDOWN SAVE: the data (versions included) is back
    await vi.waitFor(() => expect((gw.store as RedisCertificateStore).status()).toMatchObject({ connected: true, stale: false }), WAIT);
    expect((await api.call("GET", "/readyz")).body).toEqual({ status: "ready", projects: 0 });
    expect(lines()).not.toContain("redis came back empty");
  }, 20_000);

  it("the staleness window counts from the last good contact, not from when the loss is noticed", async () => {
    let t = 1_000_000;
    const proxy = await startTcpProxy(server.port);
    closers.push(() => proxy.close());
    const s = new RedisCertificateStore(testRedisClients(`redis://127.0.0.1:${proxy.port}`, 25), {
      keyPrefix: uniquePrefix("contact"),
      logger: silentLogger,
      heartbeatMs: 100,
      maxStalenessMs: 10_000,
      now: () => t,
    });
    closers.push(() => s.close());
    await s.start();
    await s.update(A, () => record(A));
    await vi.waitFor(() => expect(s.status().lastContactAt).toBe(1_000_000), WAIT);

    proxy.freeze(); // the link dies silently: nothing answers, nothing closes
    await new Promise((r) => setTimeout(r, 50));
    t = 1_008_000; // 8 s pass before the heartbeat notices
    await vi.waitFor(() => expect(s.status().connected).toBe(false), WAIT);
    expect(s.status().lastContactAt).toBe(1_000_000);

    // 10 s after the last contact: still served from the copy...
    t = 1_010_000;
    expect(s.auth(A, T0)?.mode).toBe("appid");
    expect(s.isReady()).toBe(true);
    // ...and one millisecond later refused (counted from detection it would be served until 1_018_000).
    t = 1_010_001;
    expect(() => s.auth(A, T0)).toThrow(StoreUnavailable);
    expect(s.isReady()).toBe(false);
    expect(s.status()).toMatchObject({ connected: false, stale: true });

    proxy.restore();
    await vi.waitFor(() => expect(s.isReady() && s.status().connected).toBe(true), WAIT);
    expect(s.status().lastContactAt).toBe(1_010_001);
    expect(s.auth(A, T0)?.mode).toBe("appid");
  });
});

describe("/readyz with the in-memory store", () => {
  it("carries the project count and no warning", async () => {
    const gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true, journalSize: 0 } });
    try {
      const r = await adminApi(gw.httpUrl).call("GET", "/readyz");
      expect(r).toMatchObject({ status: 200, body: { status: "ready", projects: DEV_PROJECTS.length } });
      expect(r.body).toEqual({ status: "ready", projects: DEV_PROJECTS.length });
    } finally {
      await gw.close();
    }
  });
});
