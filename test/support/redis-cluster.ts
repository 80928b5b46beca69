/**
 * Private Redis Clusters and Sentinel setups for tests, from Debian's `redis-server` and
 * `redis-cli` (`redis-server --sentinel` is the Sentinel), on free 127.0.0.1 ports, each in its own
 * temp dir. Every process is killed, and its dir removed, by `dispose()`, and killed at the latest
 * when the test process exits (test/support/redis.ts's exit hook), whatever failed or timed out.
 *
 * - {@link startRedisCluster}: 3 masters, each with one replica (`--cluster-replicas 1`), made
 *   with `redis-cli --cluster create … --cluster-yes`; a node timeout of 1 s, so killing a master
 *   fails it over to its replica within a few seconds.
 * - {@link startRedisSentinel}: a primary, one replica and 3 Sentinels watching `mymaster` (quorum
 *   2, down after 1 s).
 *
 * `clusterToolsUnavailable()` says why these cannot run here (a binary missing), for
 * `describe.skipIf`; with `CI=true` the suites fail instead (.ci/run installs the tools).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { BASE_ARGS, freePort, rawCommand, RedisServerProcess } from "./redis.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why a cluster or Sentinel cannot be started here, or undefined when it can. */
export function clusterToolsUnavailable(): string | undefined {
  for (const [bin, args] of [
    ["redis-server", ["--version"]],
    ["redis-cli", ["--version"]],
  ] as const) {
    const r = spawnSync(process.env[bin === "redis-server" ? "REDIS_SERVER_BIN" : "REDIS_CLI_BIN"] ?? bin, [...args], { encoding: "utf8", timeout: 5_000 });
    if (r.error !== undefined || r.status !== 0) return `${bin} is not installed (Debian: apt-get install redis-server redis-tools)`;
  }
  return undefined;
}

/** Skips (locally) or fails (CI=true) when the tools are missing; returns the reason to skip, if any. */
export function clusterSkipReason(): string | undefined {
  const why = clusterToolsUnavailable();
  if (why !== undefined && process.env.CI === "true") throw new Error(`Redis Cluster/Sentinel tests need the tools in CI: ${why}`);
  if (why !== undefined) console.warn(`[redis-cluster] skipping: ${why}`);
  return why;
}

function cli(args: readonly string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.REDIS_CLI_BIN ?? "redis-cli", [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(" ")} exited ${code}: ${out.slice(-2_000)}`));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * Replication settings of every test node: a replica's first full sync starts at once. Redis 7's
 * default (repl-diskless-sync yes, repl-diskless-sync-delay 5) holds it for 5 s, during which the
 * replica is connected (`connected_slaves`) but holds no data: a failover then lost every key.
 */
const REPLICATION_ARGS = ["--repl-diskless-sync-delay", "0"] as const;

/**
 * A check for `until`: true once `replicas` replicas of the master on `port` have finished their
 * first sync (`state=online`) and each has every write the master had made when the check was
 * made (its offset has reached the master's replication offset read at the first call: the
 * gateways keep writing, and a replica's offset is the one it last acknowledged, once a second).
 * WAIT would not do: it waits for the calling connection's own writes, and redis-cli's made none.
 */
function replicasCaughtUp(port: number, replicas: number): () => Promise<boolean> {
  let target: number | undefined;
  return async () => {
    const info = await cli(["-p", String(port), "info", "replication"], 2_000);
    target ??= Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? "NaN");
    const online = [...info.matchAll(/^slave\d+:.*state=online,offset=(\d+)/gm)].map((m) => Number(m[1]));
    return online.length >= replicas && online.every((o) => o >= target!);
  };
}

/** Starts a redis-server on a free port with `args`, retrying when the port was taken in between. */
async function startNode(args: (port: number) => readonly string[]): Promise<{ port: number; server: RedisServerProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new RedisServerProcess({ host: "127.0.0.1", port }, args(port));
    try {
      await server.start();
      return { port, server };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (the masters as seeds). */
  readonly url: string;
  readonly ports: readonly number[];
  /** The port of the master that owns `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /**
   * Moves the slot of `key` to the master on `toPort` (IMPORTING/MIGRATING, the keys with MIGRATE,
   * then SETSLOT NODE on every master), as `redis-cli --cluster reshard` does for one slot.
   */
  moveSlotOf(key: string, toPort: number): Promise<void>;
  /**
   * Waits until the node on `port` has passed its writes to its replica (its replica's offset has
   * reached the master's replication offset), SIGKILLs it, and
   * waits until its slots are served by the promoted replica.
   */
  killAndFailOver(port: number, timeoutMs?: number): Promise<void>;
  /** A cluster client for assertions (connected; the caller quits it). */
  client(): Cluster;
  /** Kills every node and removes the dirs. */
  dispose(): Promise<void>;
}

/**
 * A cluster of `masters` masters, each with `replicasPerMaster` replicas. The node timeout is 1 s:
 * a killed master fails over to its replica in about 2-3 s.
 */
export async function startRedisCluster(options: { masters?: number; replicasPerMaster?: number } = {}): Promise<TestCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const root = mkdtempSync(join(tmpdir(), "rtm-redis-cluster-"));
  const nodes: Array<{ port: number; server: RedisServerProcess }> = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.server.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const dir = mkdtempSync(join(root, `node-${i}-`));
      nodes.push(
        await startNode((port) => [
          ...BASE_ARGS,
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, "nodes.conf"),
          "--cluster-node-timeout",
          "1000",
          "--cluster-replica-validity-factor",
          "0",
          ...REPLICATION_ARGS,
        ]),
      );
    }
    await cli(["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", String(replicas), "--cluster-yes"], 60_000);
    // Every node sees the cluster ok, and every master has its replicas attached.
    for (const n of nodes) {
      await until(`cluster state ok on ${n.port}`, async () => (await cli(["-p", String(n.port), "cluster", "info"], 2_000)).includes("cluster_state:ok"), 20_000);
    }
    const masterPorts = await currentMasters(nodes[0]!.port);
    for (const port of masterPorts) {
      await until(`replicas of ${port} in sync`, replicasCaughtUp(port, replicas), 20_000);
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  const ports = nodes.map((n) => n.port);
  const seeds = ports.slice(0, masters);
  const live = (): Array<{ port: number; server: RedisServerProcess }> => nodes.filter((n) => n.server.running);
  return {
    url: `redis+cluster://${seeds.map((p) => `127.0.0.1:${p}`).join(",")}`,
    ports,
    async masterOf(key: string): Promise<number> {
      const node = live()[0]!;
      const slot = Number((await rawCommand({ host: "127.0.0.1", port: node.port }, `CLUSTER KEYSLOT ${key}`)).slice(1));
      const shards = await slotOwners(node.port);
      const owner = shards.find((s) => slot >= s.from && slot <= s.to);
      if (owner === undefined) throw new Error(`no owner of slot ${slot}`);
      return owner.port;
    },
    async moveSlotOf(key: string, toPort: number): Promise<void> {
      const any = live()[0]!.port;
      const slot = Number((await rawCommand({ host: "127.0.0.1", port: any }, `CLUSTER KEYSLOT ${key}`)).slice(1));
      const from = (await slotOwners(any)).find((s) => slot >= s.from && slot <= s.to)!.port;
      if (from === toPort) return;
      const id = async (port: number): Promise<string> => (await cli(["-p", String(port), "cluster", "myid"], 2_000)).trim();
      const [fromId, toId] = [await id(from), await id(toPort)];
      await cli(["-p", String(toPort), "cluster", "setslot", String(slot), "importing", fromId], 2_000);
      await cli(["-p", String(from), "cluster", "setslot", String(slot), "migrating", toId], 2_000);
      for (;;) {
        const keys = (await cli(["-p", String(from), "cluster", "getkeysinslot", String(slot), "100"], 2_000)).split("\n").filter((k) => k !== "");
        if (keys.length === 0) break;
        await cli(["-p", String(from), "migrate", "127.0.0.1", String(toPort), "", "0", "5000", "KEYS", ...keys], 5_000);
      }
      const masters = await currentMasters(any);
      for (const port of [toPort, from, ...masters.filter((p) => p !== toPort && p !== from)]) {
        await cli(["-p", String(port), "cluster", "setslot", String(slot), "node", toId], 2_000);
      }
      await until(`slot ${slot} on ${toPort} everywhere`, async () => {
        for (const n of live()) {
          const owner = (await slotOwners(n.port)).find((s) => slot >= s.from && slot <= s.to);
          if (owner?.port !== toPort) return false;
        }
        return true;
      }, 10_000);
    },
    async killAndFailOver(port: number, timeoutMs = 20_000): Promise<void> {
      const node = nodes.find((n) => n.port === port);
      if (node === undefined) throw new Error(`no node on ${port}`);
      const other = live().find((n) => n.port !== port)!;
      const slotsBefore = (await slotOwners(other.port)).filter((s) => s.port === port);
      // Its replica has every write made so far: what the test loses is the master, not writes it
      // had not replicated yet (those a failover may lose: docs/redis.md, "Failover").
      await until(`the replica of ${port} in sync`, replicasCaughtUp(port, 1), 10_000, 20);
      await node.server.kill();
      await until(
        `failover of ${port}`,
        async () => {
          const owners = await slotOwners(other.port);
          const moved = slotsBefore.every((s) => owners.some((o) => o.from === s.from && o.port !== port && nodes.find((n) => n.port === o.port)?.server.running === true));
          const info = await cli(["-p", String(other.port), "cluster", "info"], 2_000);
          return moved && info.includes("cluster_state:ok");
        },
        timeoutMs,
      );
    },
    client(): Cluster {
      return new Cluster(
        seeds.map((p) => ({ host: "127.0.0.1", port: p })),
        { redisOptions: { connectionName: "rtm-auth-test-admin" }, clusterRetryStrategy: () => 100 },
      );
    },
    dispose,
  };
}

/** The slot ranges and the port of the master serving each, as `port` sees them. */
async function slotOwners(port: number): Promise<Array<{ from: number; to: number; port: number }>> {
  const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 1_000, commandTimeout: 2_000 });
  c.on("error", () => undefined);
  try {
    await c.connect();
    const slots = await c.cluster("SLOTS");
    return slots.map((range) => ({ from: range[0], to: range[1], port: Number(range[2]?.[1]) }));
  } finally {
    c.disconnect();
  }
}

async function currentMasters(port: number): Promise<number[]> {
  return [...new Set((await slotOwners(port)).map((s) => s.port))];
}

export interface TestSentinel {
  /** `redis+sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/mymaster` */
  readonly url: string;
  readonly masterName: string;
  /** The port of the primary as the Sentinels say now. */
  primaryPort(): Promise<number>;
  /**
   * Waits until the replica has every write of the primary, then `SENTINEL FAILOVER`, and waits
   * until the Sentinels name the new primary and it accepts writes.
   */
  failover(timeoutMs?: number): Promise<number>;
  /** A plain connection to the data node on `port` (connected; the caller quits it). */
  node(port: number): Redis;
  dispose(): Promise<void>;
}

/** A primary, one replica and 3 Sentinels (quorum 2, down after 1 s) watching `mymaster`. */
export async function startRedisSentinel(): Promise<TestSentinel> {
  const root = mkdtempSync(join(tmpdir(), "rtm-redis-sentinel-"));
  const processes: RedisServerProcess[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  const masterName = "mymaster";
  const sentinelPorts: number[] = [];
  try {
    const dataNode = async (i: number, extra: (port: number) => readonly string[]): Promise<number> => {
      const dir = mkdtempSync(join(root, `data-${i}-`));
      const n = await startNode((port) => [...BASE_ARGS, ...REPLICATION_ARGS, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...extra(port)]);
      processes.push(n.server);
      return n.port;
    };
    const primary = await dataNode(0, () => []);
    await dataNode(1, () => ["--replicaof", "127.0.0.1", String(primary)]);
    await until("the replica in sync", replicasCaughtUp(primary, 1), 20_000);
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(root, `sentinel-${i}-`));
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const conf = join(dir, "sentinel.conf");
        writeFileSync(
          conf,
          [
            `port ${port}`,
            "bind 127.0.0.1",
            `dir ${dir}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${primary} 2`,
            `sentinel down-after-milliseconds ${masterName} 1000`,
            `sentinel failover-timeout ${masterName} 10000`,
            `sentinel parallel-syncs ${masterName} 1`,
            "",
          ].join("\n"),
        );
        const server = new RedisServerProcess({ host: "127.0.0.1", port }, [conf, "--sentinel", "--loglevel", "warning"]);
        try {
          await server.start();
          processes.push(server);
          sentinelPorts.push(port);
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
    }
    // Each Sentinel knows the other two and the replica.
    for (const port of sentinelPorts) {
      await until(
        `sentinel ${port} ready`,
        async () => {
          const info = await cli(["-p", String(port), "sentinel", "master", masterName], 2_000);
          const field = (name: string): number => Number(new RegExp(`(?:^|\\n)${name}\\n(\\d+)`).exec(info)?.[1] ?? -1);
          return field("num-other-sentinels") === 2 && field("num-slaves") === 1;
        },
        30_000,
        200,
      );
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  const primaryPort = async (): Promise<number> => {
    const reply = await cli(["-p", String(sentinelPorts[0]), "sentinel", "get-master-addr-by-name", masterName], 2_000);
    return Number(reply.trim().split("\n")[1]);
  };
  return {
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(",")}/${masterName}`,
    masterName,
    primaryPort,
    async failover(timeoutMs = 30_000): Promise<number> {
      const before = await primaryPort();
      // As for the cluster: the test fails the primary over, it does not lose writes the replica
      // had not received yet (a forced failover may: docs/redis.md, "Failover").
      await until(`the replica of ${before} in sync`, replicasCaughtUp(before, 1), 10_000, 20);
      await until("SENTINEL FAILOVER accepted", async () => (await cli(["-p", String(sentinelPorts[0]), "sentinel", "failover", masterName], 2_000)).includes("OK"), timeoutMs, 500);
      let after = before;
      await until(
        "the new primary",
        async () => {
          after = await primaryPort();
          if (after === before) return false;
          const role = await cli(["-p", String(after), "role"], 2_000);
          return role.startsWith("master");
        },
        timeoutMs,
      );
      return after;
    },
    node(port: number): Redis {
      return new Redis({ host: "127.0.0.1", port, connectionName: "rtm-auth-test-admin", retryStrategy: () => 100 });
    },
    dispose,
  };
}
