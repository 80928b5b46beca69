/**
 * The Redis store on a Redis Cluster (docs/redis.md, "Redis Cluster", "Failover"): a private
 * 3-master cluster with one replica each (test/support/redis-cluster.ts), reached through
 * `redis+cluster://`.
 *
 * - the CertificateStore contract, as on one server;
 * - the key layout: every key of a project in the project's slot, changes announced with SPUBLISH
 *   on the `{changes}` shard channel;
 * - two gateway processes: the seed procedure split across them; then the master that owns both
 *   the change channel's slot and the project's slot is killed while logins run on both gateways:
 *   no valid login is refused, and a certificate deleted after the failover is refused on both.
 *
 * Skipped (with the reason) when redis-server or redis-cli is missing; with CI=true it fails instead.
 */
import { randomBytes } from "node:crypto";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { RedisCertificateStore } from "../../gateway/infra/certificate-store-redis.js";
import { createRedisClients, waitForReady } from "../../gateway/infra/redis-clients.js";
import { RedisRolloutCounters } from "../../gateway/migration/rollout-counters.js";
import { slotOf } from "../../gateway/infra/redis-subscriber.js";
import { certificateStoreContract } from "../contract/certificate-store.contract.js";
import { contractStoresOn, silentLogger, storeOn, uniquePrefix } from "../support/redis.js";
import { clusterSkipReason, startRedisCluster, type TestCluster } from "../support/redis-cluster.js";
import { loginsWhile, login, mint, refused, seedProcedure, seen, startGatewayPair, whileUnavailable, type GatewayPair, type ProjectView } from "../support/redis-cluster-procedures.js";

const skip = clusterSkipReason();
const A_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

async function deleteUnder(client: Cluster, prefix: string): Promise<void> {
  for (const node of client.nodes("master")) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      cursor = next;
      for (const k of keys) await node.del(k);
    } while (cursor !== "0");
  }
}

describe.skipIf(skip !== undefined)("Redis Cluster (3 masters, 1 replica each)", () => {
  let cluster: TestCluster;
  let admin: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    admin = cluster.client();
  }, 90_000);

  afterAll(async () => {
    admin?.disconnect();
    await cluster?.dispose();
  });

  describe("the store", () => {
    certificateStoreContract("redis cluster", contractStoresOn(() => cluster.url, "cluster-contract", (prefix) => deleteUnder(admin, prefix)));

    it("keeps a project's keys in its slot and announces changes with SPUBLISH on the {changes} shard channel", async () => {
      const prefix = uniquePrefix("cluster-layout");
      const s = storeOn(cluster.url, prefix);
      const listener = admin.duplicate([], { shardedSubscribers: true });
      const messages: string[] = [];
      listener.on("smessage", (_channel: string, m: string) => messages.push(m));
      try {
        await listener.ssubscribe(`${prefix}{changes}`);
        await s.start();
        const record: ProjectRecord = { appId: A_ID, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0 };
        await s.update(A_ID, () => record, { idempotencyKey: "k" });
        const slot = slotOf(`${prefix}{${A_ID}}:project`);
        for (const key of [`${prefix}{${A_ID}}:project`, `${prefix}{${A_ID}}:version`]) expect(slotOf(key)).toBe(slot);
        expect(await admin.get(`${prefix}{${A_ID}}:version`)).toBe("1");
        expect(await admin.smembers(`${prefix}{index}:projects`)).toEqual([A_ID]);
        await vi.waitFor(() => expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual([{ appId: A_ID, version: 1 }]), { timeout: 3_000, interval: 20 });
        // The write marks and the idempotency record are in the project's slot too.
        const owner = await cluster.masterOf(`${prefix}{${A_ID}}:project`);
        const node = admin.nodes("master").find((n) => n.options.port === owner)!;
        const [, keys] = await node.scan("0", "MATCH", `${prefix}{${A_ID}}:*`, "COUNT", 10_000);
        expect(keys.some((k) => k.startsWith(`${prefix}{${A_ID}}:write:`))).toBe(true);
        expect(keys.some((k) => k.startsWith(`${prefix}{${A_ID}}:idem:`))).toBe(true);
      } finally {
        listener.disconnect();
        await s.close();
        await deleteUnder(admin, prefix);
      }
    });
  });

  it("an announcement whose SPUBLISH fails is sent again in the background: the peer still hears the change", async () => {
    const prefix = uniquePrefix("cluster-announce");
    const clients = createRedisClients(cluster.url, { connectionName: "rtm-auth-test", retryStrategy: () => 50, connectTimeout: 1_000 });
    const writer = new RedisCertificateStore({ redis: clients.redis, subscriber: clients.subscriber }, { keyPrefix: prefix, logger: silentLogger });
    const peer = storeOn(cluster.url, prefix);
    try {
      await Promise.all([writer.start(), peer.start()]);
      const cmd = clients.redis as Cluster;
      const original = cmd.spublish.bind(cmd) as (...a: unknown[]) => Promise<unknown>;
      let failed = 0;
      vi.spyOn(cmd, "spublish").mockImplementation(((...args: unknown[]) => (++failed <= 2 ? Promise.reject(new Error("Connection is closed.")) : original(...args))) as never);
      const record: ProjectRecord = { appId: A_ID, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0 };
      await writer.update(A_ID, () => record);
      await vi.waitFor(() => expect(peer.get(A_ID)?.version).toBe(1), { timeout: 5_000, interval: 10 });
      expect(failed).toBe(3);
    } finally {
      vi.restoreAllMocks();
      await Promise.all([writer.close(), peer.close()]);
      await deleteUnder(admin, prefix);
    }
  });

  it("rollout counters: a flush over several projects (several slots) is written, one MULTI per project", async () => {
    const prefix = uniquePrefix("cluster-rollout");
    const { redis } = createRedisClients(cluster.url, { connectionName: "rtm-auth-test" });
    await waitForReady(redis, 10_000);
    const counters = new RedisRolloutCounters(redis, { keyPrefix: prefix, flushMs: 60_000 });
    const B_ID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    try {
      counters.add(A_ID, 1, "login", null);
      counters.add(A_ID, 1, "login", "invalid_signature");
      counters.add(B_ID, 4, "renewToken", null);
      await counters.flush();
      expect(await counters.read(A_ID, 1)).toEqual({ login: { decisions: 2, refused: { invalid_signature: 1 } }, renewToken: { decisions: 0, refused: {} } });
      expect(await counters.read(B_ID, 4)).toEqual({ login: { decisions: 0, refused: {} }, renewToken: { decisions: 1, refused: {} } });
    } finally {
      await counters.close();
      redis.disconnect();
      await deleteUnder(admin, prefix);
    }
  });

  describe("the change channel's slot moves to another master", () => {
    it("both stores subscribe again on the new owner, reload, and hear the next change", async () => {
      const prefix = uniquePrefix("cluster-move");
      const [one, two] = [storeOn(cluster.url, prefix), storeOn(cluster.url, prefix)];
      try {
        await Promise.all([one.start(), two.start()]);
        const channel = `${prefix}{changes}`;
        const from = await cluster.masterOf(channel);
        const to = cluster.ports.find((p) => p !== from && admin.nodes("master").some((n) => n.options.port === p))!;
        const subscribers = async (port: number): Promise<number> => {
          const node = admin.nodes("master").find((n) => n.options.port === port)!;
          const reply = (await node.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number];
          return Number(reply[1]);
        };
        expect(await subscribers(from)).toBe(2);
        const reloads = { one: 0, two: 0 };
        one.onReload(() => reloads.one++);
        two.onReload(() => reloads.two++);
        await cluster.moveSlotOf(channel, to);
        // Redis ends the old subscriptions itself (SUNSUBSCRIBE); each store finds the new owner.
        await vi.waitFor(async () => expect(await subscribers(to)).toBe(2), { timeout: 10_000, interval: 50 });
        await vi.waitFor(() => expect(reloads).toEqual({ one: 1, two: 1 }), { timeout: 10_000, interval: 50 });
        const record: ProjectRecord = { appId: A_ID, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0 };
        await one.update(A_ID, () => record);
        await vi.waitFor(() => expect(two.get(A_ID)?.version).toBe(1), { timeout: 3_000, interval: 10 });
        expect(two.isReady()).toBe(true);
      } finally {
        await Promise.all([one.close(), two.close()]);
        await deleteUnder(admin, prefix);
      }
    }, 30_000);
  });

  describe("two gateway processes", () => {
    const prefix = uniquePrefix("cluster-gw");
    let pair: GatewayPair;

    beforeAll(async () => {
      pair = await startGatewayPair(cluster.url, prefix);
    }, 60_000);

    afterAll(async () => {
      await pair?.stop();
      if (admin !== undefined) await deleteUnder(admin, prefix).catch(() => undefined);
    });

    it("the seed procedure, every change made on one gateway and checked on the other", async () => {
      await seedProcedure(pair);
    }, 30_000);

    it("a master fails over while logins run: no valid login is refused; a certificate deleted afterwards is refused on both gateways", async () => {
      const { A, B, apiA, apiB } = pair;
      // A project whose keys live on the master that also owns the change channel: one kill hits both.
      const channelMaster = await cluster.masterOf(`${prefix}{changes}`);
      let appId = "";
      for (let i = 0; i < 200 && appId === ""; i++) {
        const id = randomBytes(16).toString("hex");
        if ((await cluster.masterOf(`${prefix}{${id}}:project`)) === channelMaster) appId = id;
      }
      expect(appId).not.toBe("");
      expect((await apiA.call("POST", "/admin/projects", { appId, mechanism: "token" })).status).toBe(201);
      const secondary = await apiA.call<ProjectView>("POST", `/admin/projects/${appId}/certificates/secondary`);
      expect(secondary.status).toBe(200);
      await seen(apiB, appId, (v) => v.certificates.secondary !== null, "the secondary on B");

      const failover = cluster.killAndFailOver(channelMaster);
      const tally = await loginsWhile(pair, appId, async (uid) => [await mint(apiA, appId, uid, "primary"), await mint(apiA, appId, uid, "secondary")], failover, 1_000);
      console.log(`logins during the cluster failover: ${tally.ok} accepted, ${tally.refusals.length} refused`);
      expect(tally.refusals).toEqual([]);
      expect(tally.ok).toBeGreaterThan(20);

      // After the failover: delete the secondary on A (Redis may still be settling: 503s are repeated).
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
      for (const api of [apiA, apiB]) expect(await api.call("GET", "/readyz")).toMatchObject({ status: 200 });
    }, 60_000);
  });
});
