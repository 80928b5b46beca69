/**
 * The Redis deployments of `npm run bench:scale`: an own standalone redis-server, or an own Redis
 * Cluster of 3 masters (no replicas: the benchmark measures cost, not failover), each with one
 * ioredis connection per server for INFO. Only ever 127.0.0.1; every server is stopped by `stop()`
 * or when this process exits.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { startRedisServer, type OwnRedis } from "./redis-server.js";
import type { ScaleRedis } from "./scale-fanout.js";

const run = promisify(execFile);

/** Masters of the benchmark's cluster. */
export const CLUSTER_MASTERS = 3;

export async function startScaleRedis(mode: "single" | "cluster"): Promise<ScaleRedis> {
  if (mode === "single") {
    const server = await startRedisServer();
    const node = new Redis(server.url, { maxRetriesPerRequest: 1 });
    return {
      mode,
      url: server.url,
      nodes: [node],
      stop: async () => {
        node.disconnect();
        await server.stop();
      },
    };
  }
  const servers: OwnRedis[] = [];
  const nodes: Redis[] = [];
  const stop = async (): Promise<void> => {
    for (const n of nodes) n.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < CLUSTER_MASTERS; i++) servers.push(await startRedisServer(["--cluster-enabled", "yes", "--cluster-config-file", "{dir}/nodes.conf", "--cluster-node-timeout", "2000"]));
    const cli = process.env.REDIS_CLI_BIN ?? "redis-cli";
    await run(cli, ["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 60_000 });
    for (const s of servers) nodes.push(new Redis(s.url, { maxRetriesPerRequest: 1 }));
    for (const n of nodes) {
      for (let i = 0; !String(await n.cluster("INFO")).includes("cluster_state:ok"); i++) {
        if (i >= 200) throw new Error("the benchmark's Redis Cluster did not reach cluster_state:ok within 20 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { mode, url: `redis+cluster://${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`, nodes, stop };
}
