/**
 * Upgrading from the one-server key layout (docs/redis.md, "Upgrading from one-server keys"): a
 * Redis holding the earlier version's keys (`{prefix}project:<appId>`, the set `{prefix}projects`,
 * the hash `{prefix}versions`, `{prefix}idem:<digest>`) is moved into the hash-tagged layout when
 * gateways load it: nothing is lost (records, versions of deleted projects, idempotency records),
 * two gateways starting at once are safe, a second pass moves nothing, the old keys stay, an old
 * gateway's compare-and-set can no longer match, and a project an old gateway creates afterwards is
 * moved at the next load.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { RedisCertificateStore } from "../../gateway/infra/certificate-store-redis.js";
import { MIGRATED, migrateLegacyProjects } from "../../gateway/infra/legacy-migration.js";
import { redisKeys } from "../../gateway/infra/redis-keys.js";
import { adminClient, deleteKeys, silentLogger, suiteRedis, testRedisClients, uniquePrefix } from "../support/redis.js";

const redis = await suiteRedis();
const url = redis.available ? redis.url : "";

const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const D = "dddddddddddddddddddddddddddddddd";
const E = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const CERT = "0123456789abcdef0123456789abcdef";

const legacyRecord = (appId: string, version: number): ProjectRecord => ({
  appId,
  noCertificate: false,
  primary: { value: CERT, enabledAt: 1_700_000_000, activeAt: 1_700_000_000 },
  secondary: null,
  enabled: true,
  version,
});

describe.skipIf(!redis.available)("the one-server key layout is moved to the hash-tagged one", () => {
  const prefix = uniquePrefix("layout-migration");
  let c: Redis;
  const stores: RedisCertificateStore[] = [];
  const start = async (): Promise<RedisCertificateStore> => {
    const s = new RedisCertificateStore(testRedisClients(url), { keyPrefix: prefix, logger: silentLogger });
    stores.push(s);
    await s.start();
    return s;
  };

  beforeAll(async () => {
    c = adminClient(url);
    // What the earlier version left: A (version 3), D deleted at version 5, an applied keyed write on A.
    await c.set(`${prefix}project:${A}`, JSON.stringify(legacyRecord(A, 3)));
    await c.sadd(`${prefix}projects`, A);
    await c.hset(`${prefix}versions`, A, "3", D, "5");
    const digest = createHash("sha256").update(`${A}\nswap-1`).digest("hex");
    await c.set(`${prefix}idem:${digest}`, "3", "PX", 60_000);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await c.quit();
    await deleteKeys(url, prefix);
  });

  it("two gateways starting at once both load every project, its record and version", async () => {
    const [one, two] = await Promise.all([start(), start()]);
    for (const s of [one, two]) {
      expect(s.list()).toEqual([legacyRecord(A, 3)]);
      expect(s.auth(A, 1_700_000_100)?.certificates).toHaveLength(1);
    }
    expect(JSON.parse((await c.get(`${prefix}{${A}}:project`))!)).toEqual(legacyRecord(A, 3));
    expect(await c.get(`${prefix}{${A}}:version`)).toBe("3");
    // The deleted project's version moved too: versions keep growing.
    expect(await c.get(`${prefix}{${D}}:version`)).toBe("5");
    expect(await c.exists(`${prefix}{${D}}:project`)).toBe(0);
    expect((await c.smembers(`${prefix}{index}:projects`)).sort()).toEqual([A, D]);
    expect((await one.update(D, () => legacyRecord(D, 0)))?.version).toBe(6);
    await vi.waitFor(() => expect(two.get(D)?.version).toBe(6), { timeout: 2_000, interval: 10 });
  });

  it("keeps the old keys, marks each moved version field, and a second pass moves nothing", async () => {
    expect(await c.exists(`${prefix}project:${A}`, `${prefix}projects`)).toBe(2);
    expect(await c.hgetall(`${prefix}versions`)).toEqual({ [A]: MIGRATED, [D]: MIGRATED });
    expect(await migrateLegacyProjects(c, redisKeys(prefix), silentLogger)).toBe(0);
    // An earlier gateway's compare-and-set read the version with tonumber(HGET …): it never matches again.
    const matches = await c.eval("return tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') == tonumber(ARGV[2]) and 1 or 0", 1, `${prefix}versions`, A, "3");
    expect(matches).toBe(0);
  });

  it("honours an idempotency record of the old layout: the keyed write is not applied again", async () => {
    const s = stores[0]!;
    const fn = vi.fn((cur: ProjectRecord | undefined) => ({ ...cur!, enabled: false }));
    const answer = await s.update(A, fn, { idempotencyKey: "swap-1" });
    expect(fn).not.toHaveBeenCalled();
    expect(answer).toEqual(legacyRecord(A, 3));
    expect(await c.get(`${prefix}{${A}}:version`)).toBe("3");
  });

  it("moves a project an old gateway created after the upgrade at the next load", async () => {
    await c.set(`${prefix}project:${E}`, JSON.stringify(legacyRecord(E, 1)));
    await c.sadd(`${prefix}projects`, E);
    await c.hset(`${prefix}versions`, E, "1");
    const later = await start();
    expect(later.get(E)).toEqual(legacyRecord(E, 1));
    expect(await c.hget(`${prefix}versions`, E)).toBe(MIGRATED);
    // A project the new layout already has is never overwritten by the old one.
    await c.hset(`${prefix}versions`, A, "1");
    await c.set(`${prefix}project:${A}`, JSON.stringify(legacyRecord(A, 1)));
    expect(await migrateLegacyProjects(c, redisKeys(prefix), silentLogger)).toBe(1);
    expect(await c.get(`${prefix}{${A}}:version`)).toBe("3");
    expect(JSON.parse((await c.get(`${prefix}{${A}}:project`))!)).toEqual(legacyRecord(A, 3));
  });
});
