/**
 * RedisCertificateStore: the CertificateStore contract (with a peer instance on the same Redis
 * and prefix), then what is specific to Redis: the key layout, App ID validation, the change
 * message, unreadable records, and that certificate values never reach a log line.
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { StoreUnavailable } from "../../core/errors.js";
import { RedisCertificateStore, WRITE_MARK_TTL_MS, type RedisCertificateStoreOptions } from "../../gateway/infra/certificate-store-redis.js";
import { redisClientOptions } from "../../gateway/infra/redis-clients.js";
import { createLogger } from "../../gateway/logger.js";
import { adminClient, contractStoresOn, deleteKeys, keysUnder, silentLogger, suiteRedis, testRedisClients, uniquePrefix } from "../support/redis.js";
import { certificateStoreContract } from "./certificate-store.contract.js";

const redis = await suiteRedis();
const url = redis.available ? redis.url : "";

const T0 = 1_718_000_000;
const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const SECRET = "5ec4e75ec4e75ec4e75ec4e75ec4e75e";
const record = (appId: string, over: Partial<ProjectRecord> = {}): ProjectRecord => ({
  appId,
  noCertificate: true,
  primary: null,
  secondary: null,
  enabled: true,
  version: 0,
  ...over,
});

async function startStore(prefix: string, options: Partial<RedisCertificateStoreOptions> = {}): Promise<RedisCertificateStore> {
  const store = new RedisCertificateStore(testRedisClients(url), { keyPrefix: prefix, logger: silentLogger, ...options });
  await store.start();
  return store;
}

describe.skipIf(!redis.available)(`RedisCertificateStore (${redis.available ? redis.source : "no redis"})`, () => {
  certificateStoreContract("redis", contractStoresOn(() => url, "contract", (prefix) => deleteKeys(url, prefix)));

  describe("specifics", () => {
    const prefixes: string[] = [];
    const stores: RedisCertificateStore[] = [];
    const clients: Redis[] = [];
    const prefix = (label: string): string => {
      const p = uniquePrefix(label);
      prefixes.push(p);
      return p;
    };
    const store = async (p: string, options: Partial<RedisCertificateStoreOptions> = {}): Promise<RedisCertificateStore> => {
      const s = await startStore(p, options);
      stores.push(s);
      return s;
    };
    const admin = (): Redis => {
      const c = adminClient(url);
      clients.push(c);
      return c;
    };

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await Promise.all(clients.splice(0).map((c) => c.quit()));
      for (const p of prefixes) await deleteKeys(url, p);
      // Nothing of ours is left behind.
      const check = adminClient(url);
      for (const p of prefixes) expect(await keysUnder(check, p)).toEqual([]);
      await check.quit();
    });

    it("keeps each project's keys under its hash tag, an index, a short-lived mark per write, and announces {appId, version}", async () => {
      const p = prefix("layout");
      const s = await store(p);
      const listener = admin().duplicate();
      clients.push(listener);
      const messages: string[] = [];
      listener.on("message", (_channel: string, m: string) => messages.push(m));
      await listener.subscribe(`${p}{changes}`);

      const stored = await s.update(A, () => record(A, { primary: { value: SECRET, enabledAt: T0, activeAt: T0 } }));
      const c = admin();
      const keys = await keysUnder(c, p);
      expect(keys.filter((k) => !k.startsWith(`${p}{${A}}:write:`))).toEqual([`${p}{${A}}:project`, `${p}{${A}}:version`, `${p}{index}:projects`]);
      // The write's outcome mark (read back only when a reply is lost), with its bounded life.
      const marks = keys.filter((k) => k.startsWith(`${p}{${A}}:write:`));
      expect(marks).toHaveLength(1);
      expect(marks[0]!.slice(`${p}{${A}}:write:`.length)).toMatch(/^[0-9a-f]{32}$/);
      expect(await c.get(marks[0]!)).toBe("applied");
      const ttl = await c.pttl(marks[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(WRITE_MARK_TTL_MS);
      expect(JSON.parse((await c.get(`${p}{${A}}:project`))!)).toEqual(stored);
      expect(await c.smembers(`${p}{index}:projects`)).toEqual([A]);
      expect(await c.get(`${p}{${A}}:version`)).toBe("1");

      await s.update(A, () => undefined);
      expect(await c.exists(`${p}{${A}}:project`)).toBe(0);
      expect(await c.smembers(`${p}{index}:projects`)).toEqual([A]); // the index may name a deleted project
      expect(await c.get(`${p}{${A}}:version`)).toBe("2"); // versions only grow, across deletes too
      await vi.waitFor(() => expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual([
        { appId: A, version: 1 },
        { appId: A, version: 2 },
      ]), { timeout: 2_000, interval: 10 });
    });

    it("finds projects by their version keys when the index is gone, and writes the index again", async () => {
      const p = prefix("noindex");
      const s = await store(p);
      await s.update(A, () => record(A));
      await s.update(B, () => record(B));
      await s.update(B, () => undefined);
      const c = admin();
      await c.del(`${p}{index}:projects`);
      const fresh = await store(p);
      expect(fresh.list().map((r) => r.appId)).toEqual([A]);
      expect((await c.smembers(`${p}{index}:projects`)).sort()).toEqual([A, B].sort());
      // B's version survived its delete: a re-created B is version 3, after the deleted one.
      expect((await fresh.update(B, () => record(B)))?.version).toBe(3);
    });

    it("auth(), get() and list() make no Redis round trip", async () => {
      const p = prefix("hotpath");
      const connections = testRedisClients(url);
      const s = new RedisCertificateStore(connections, { keyPrefix: p, logger: silentLogger, heartbeatMs: 0 });
      stores.push(s);
      await s.start();
      await s.update(A, () => record(A, { primary: { value: SECRET, enabledAt: T0, activeAt: T0 } }));
      const sent = vi.spyOn(connections.redis, "sendCommand");
      for (let i = 0; i < 1_000; i++) {
        expect(s.auth(A, T0 + i)?.certificates).toHaveLength(1);
        expect(s.auth(SECRET, T0)).toBeUndefined();
        s.get(A);
        s.list();
      }
      expect(sent).not.toHaveBeenCalled();
    });

    it("builds keys only from 32-hex App IDs (no key injection)", async () => {
      const p = prefix("inject");
      const s = await store(p);
      for (const bad of ["", "x", `${A}:x`, "*", `${A.slice(1)}*`, `../${A}`, `${A} `]) {
        await expect(s.update(bad, () => record(bad))).rejects.toThrow(TypeError);
      }
      expect(await keysUnder(admin(), p)).toEqual([]);
      expect(s.get("*")).toBeUndefined();
      expect(() => new RedisCertificateStore(testRedisClients(url), { keyPrefix: "bad prefix*", logger: silentLogger })).toThrow(TypeError);
    });

    it("refuses connections that would queue commands while down", () => {
      const { subscriber } = testRedisClients(url);
      // Never connected (lazy): nothing to close.
      const queued = { options: redisClientOptions({ enableOfflineQueue: true }) } as unknown as Redis;
      expect(() => new RedisCertificateStore({ redis: queued, subscriber }, { logger: silentLogger })).toThrow(/enableOfflineQueue: false/);
    });

    it("is not ready and refuses auth() before start()", async () => {
      const s = new RedisCertificateStore(testRedisClients(url), { keyPrefix: prefix("unstarted"), logger: silentLogger });
      stores.push(s);
      expect(s.isReady()).toBe(false);
      expect(s.status()).toEqual({ connected: false, lastSyncAt: null, stale: true, lastContactAt: null });
      expect(() => s.auth(A, T0)).toThrow(StoreUnavailable);
      await s.start();
      expect(s.isReady()).toBe(true);
      expect(s.status()).toMatchObject({ connected: true, stale: false });
      expect(s.status().lastSyncAt).toEqual(expect.any(Number));
      expect(s.auth(A, T0)).toBeUndefined();
    });

    it("ignores older or malformed change messages and re-reads newer ones", async () => {
      const p = prefix("messages");
      const s = await store(p);
      const stored = await s.update(A, () => record(A));
      const c = admin();
      await c.publish(`${p}{changes}`, "not json");
      await c.publish(`${p}{changes}`, JSON.stringify({ appId: "*", version: 9 }));
      await c.publish(`${p}{changes}`, JSON.stringify({ appId: A, version: 0 }));
      // A write that bypasses this instance (as another gateway's would), then its message.
      const newer = { ...stored!, enabled: false, version: 2 };
      await c.set(`${p}{${A}}:project`, JSON.stringify(newer));
      await c.set(`${p}{${A}}:version`, "2");
      await c.publish(`${p}{changes}`, JSON.stringify({ appId: A, version: 2 }));
      await vi.waitFor(() => expect(s.get(A)).toEqual(newer), { timeout: 2_000, interval: 10 });
    });

    it("an unreadable stored record refuses its logins (StoreUnavailable), never 'unknown'", async () => {
      const p = prefix("corrupt");
      const c = admin();
      await c.set(`${p}{${A}}:project`, "{not json");
      await c.sadd(`${p}{index}:projects`, A);
      await c.set(`${p}{${A}}:version`, "3");
      const s = await store(p);
      expect(s.get(A)).toBeUndefined();
      expect(() => s.auth(A, T0)).toThrow(StoreUnavailable);
      await expect(s.update(A, (cur) => cur)).rejects.toThrow(StoreUnavailable);
      // Repaired by a write that replaces it.
      await c.set(`${p}{${A}}:project`, JSON.stringify(record(A, { version: 4 })));
      await c.set(`${p}{${A}}:version`, "4");
      await c.publish(`${p}{changes}`, JSON.stringify({ appId: A, version: 4 }));
      await vi.waitFor(() => expect(s.auth(A, T0)?.mode).toBe("appid"), { timeout: 2_000, interval: 10 });
    });

    it("never logs a certificate value", async () => {
      const p = prefix("nolog");
      let output = "";
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          output += chunk.toString();
          done();
        },
      });
      const logger = createLogger("trace", sink);
      const s = await store(p, { logger });
      const peer = await store(p, { logger });
      await s.update(A, () => record(A, { primary: { value: SECRET, enabledAt: T0, activeAt: T0 } }));
      await vi.waitFor(() => expect(peer.get(A)?.primary?.value).toBe(SECRET), { timeout: 2_000, interval: 10 });
      await peer.update(A, (cur) => ({ ...cur!, secondary: { value: SECRET.replace(/5/g, "6"), enabledAt: T0, activeAt: T0 } }));
      // Failures too: a corrupt record, a write refused by a closed store.
      await admin().set(`${p}{${A}}:project`, `{"appId":"${A}","primary":{"value":"${SECRET}"}`);
      await admin().set(`${p}{${A}}:version`, "9");
      await admin().publish(`${p}{changes}`, JSON.stringify({ appId: A, version: 9 }));
      await vi.waitFor(() => expect(() => s.auth(A, T0)).toThrow(StoreUnavailable), { timeout: 2_000, interval: 10 });
      await s.close();
      await expect(s.update(A, () => record(A, { primary: { value: SECRET, enabledAt: T0, activeAt: T0 } }))).rejects.toThrow(StoreUnavailable);
      expect(output.length).toBeGreaterThan(0);
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(SECRET.replace(/5/g, "6"));
    });
  });
});
