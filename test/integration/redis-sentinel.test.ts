/**
 * The Redis store behind Sentinel (docs/redis.md, "Sentinel", "Failover"): a private primary, one
 * replica and 3 Sentinels (test/support/redis-cluster.ts), reached through `redis+sentinel://`.
 *
 * - the CertificateStore contract, as on one server;
 * - two gateway processes: the seed procedure split across them; then `SENTINEL FAILOVER` while
 *   logins run on both gateways: no valid login is refused, both gateways follow the new primary,
 *   and a certificate deleted after the failover is refused on both.
 *
 * Skipped (with the reason) when redis-server or redis-cli is missing; with CI=true it fails instead.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateStoreContract } from "../contract/certificate-store.contract.js";
import { contractStoresOn, keysUnder, uniquePrefix } from "../support/redis.js";
import { clusterSkipReason, startRedisSentinel, type TestSentinel } from "../support/redis-cluster.js";
import { loginsWhile, login, mint, refused, seedProcedure, seen, startGatewayPair, whileUnavailable, type GatewayPair, type ProjectView } from "../support/redis-cluster-procedures.js";

const skip = clusterSkipReason();

describe.skipIf(skip !== undefined)("Redis behind Sentinel (a primary, a replica, 3 Sentinels)", () => {
  let sentinel: TestSentinel;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  }, 90_000);

  afterAll(async () => {
    await sentinel?.dispose();
  });

  /** The current primary, for assertions and cleanup (the caller quits it). */
  async function primary(): Promise<Redis> {
    return sentinel.node(await sentinel.primaryPort());
  }

  async function deleteUnder(prefix: string): Promise<void> {
    const c = await primary();
    try {
      const keys = await keysUnder(c, prefix);
      if (keys.length > 0) await c.del(...keys);
    } finally {
      c.disconnect();
    }
  }

  describe("the store", () => {
    certificateStoreContract("redis sentinel", contractStoresOn(() => sentinel.url, "sentinel-contract", (prefix) => deleteUnder(prefix)));
  });

  describe("two gateway processes", () => {
    const prefix = uniquePrefix("sentinel-gw");
    let pair: GatewayPair;

    beforeAll(async () => {
      pair = await startGatewayPair(sentinel.url, prefix);
    }, 60_000);

    afterAll(async () => {
      await pair?.stop();
      await deleteUnder(prefix).catch(() => undefined);
    });

    it("the seed procedure, every change made on one gateway and checked on the other", async () => {
      await seedProcedure(pair);
    }, 30_000);

    it("the primary fails over while logins run: no valid login is refused; a certificate deleted afterwards is refused on both gateways", async () => {
      const { A, B, apiA, apiB } = pair;
      const created = await apiA.call<ProjectView>("POST", "/admin/projects", { mechanism: "token" });
      expect(created.status).toBe(201);
      const appId = created.body.appId;
      expect((await apiA.call("POST", `/admin/projects/${appId}/certificates/secondary`)).status).toBe(200);
      await seen(apiB, appId, (v) => v.certificates.secondary !== null, "the secondary on B");
      const before = await sentinel.primaryPort();

      const failover = sentinel.failover();
      const tally = await loginsWhile(pair, appId, async (uid) => [await mint(apiA, appId, uid, "primary"), await mint(apiA, appId, uid, "secondary")], failover, 1_000);
      console.log(`logins during the Sentinel failover: ${tally.ok} accepted, ${tally.refusals.length} refused`);
      expect(tally.refusals).toEqual([]);
      expect(tally.ok).toBeGreaterThan(20);
      expect(await sentinel.primaryPort()).not.toBe(before);

      const tokenOnSecondary = await mint(apiB, appId, "dave", "secondary");
      const tokenOnPrimary = await mint(apiB, appId, "dave", "primary");
      // One Idempotency-Key for every repeat: a 503 outcome_unknown may have been applied, and a plain repeat would then answer 404.
      const key = `failover-${appId}`;
      const deleted = await whileUnavailable(() => apiA.call<ProjectView>("DELETE", `/admin/projects/${appId}/certificates/secondary`, undefined, { "Idempotency-Key": key }));
      expect(deleted.status).toBe(200);
      await seen(apiB, appId, (v) => v.certificates.secondary === null, "the deleted secondary on B", 10_000);
      for (const gw of [A, B]) {
        await refused(gw, appId, "dave", tokenOnSecondary, { code: 5, reason: "invalid_signature" });
        expect(await login(gw, appId, "dave", tokenOnPrimary)).toMatchObject({ credential: "token" });
      }
      // The write went to the new primary.
      const c = await primary();
      try {
        const stored = JSON.parse((await c.get(`${prefix}{${appId}}:project`))!) as { secondary: unknown };
        expect(stored.secondary).toBeNull();
      } finally {
        c.disconnect();
      }
    }, 90_000);
  });
});
