/**
 * The Redis deployments of `npm run bench:scale`: an own standalone redis-server, or an own
 * 3-master Redis Cluster, each with one ioredis connection per server for INFO.
 */
import { Redis } from "ioredis";
import { startRedisServer } from "./redis-server.js";
import type { ScaleRedis } from "./scale-fanout.js";

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
  throw new Error("cluster mode: not wired yet");
}
