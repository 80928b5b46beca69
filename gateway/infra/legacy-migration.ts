/**
 * The move from the one-server key layout of earlier versions (`${prefix}project:<appId>`, the
 * set `${prefix}projects`, the hash `${prefix}versions`) to the hash-tagged one (redis-keys.ts),
 * run by every gateway at each full load on one server or Sentinel (docs/redis.md, "Upgrading
 * from one-server keys").
 *
 * Per project, one Lua script copies the record and its version into the new keys, adds the App
 * ID to the new index, and marks the old version field `migrated`, atomically. It does nothing
 * for a project already marked, and never overwrites a project the new layout already has, so
 * two gateways migrating at once, or one migrating again, are safe. The old keys stay (a gateway
 * of the earlier version still running keeps serving its copy); their version field no longer
 * being a number, such a gateway's writes to a migrated project are refused (its compare-and-set
 * always conflicts) instead of going where no new gateway reads.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { isCluster, type RedisConnection } from "./redis-clients.js";
import { isValidAppId, type RedisKeys } from "./redis-keys.js";

/** What the old version field holds once its project was moved. */
export const MIGRATED = "migrated";

/** Fields of the old versions hash read per HSCAN call. */
const SCAN_BATCH = 500;

const MIGRATE = (() => {
  const source = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or v == '${MIGRATED}' then return 0 end
if redis.call('EXISTS', KEYS[4]) == 0 then
  local json = redis.call('GET', KEYS[2])
  if json then redis.call('SET', KEYS[3], json) end
  redis.call('SET', KEYS[4], v)
end
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], '${MIGRATED}')
return 1
`;
  // SHA-1 names the script for EVALSHA (Redis's choice; no security use).
  return { source, sha: createHash("sha1").update(source).digest("hex") };
})();

/**
 * Moves every project of the old layout not moved yet; resolves with how many this call moved.
 * KEYS of the script: old versions, old project, new project, new version, new index (one
 * server: any keys may be touched together). Rejects when Redis fails (nothing half-moved: each
 * project is one script).
 */
export async function migrateLegacyProjects(redis: Redis, keys: RedisKeys, logger: Logger): Promise<number> {
  if ((await redis.exists(keys.legacy.versions)) === 0) return 0;
  let moved = 0;
  let cursor = "0";
  do {
    const [next, flat] = await redis.hscan(keys.legacy.versions, cursor, "COUNT", SCAN_BATCH);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const appId = flat[i]!;
      if (flat[i + 1] === MIGRATED) continue;
      if (!isValidAppId(appId)) {
        logger.warn("the old versions hash holds a field that is not an App ID; left as it is");
        continue;
      }
      const k = [keys.legacy.versions, keys.legacy.project(appId), keys.project(appId), keys.version(appId), keys.index];
      let r: unknown;
      try {
        r = await redis.evalsha(MIGRATE.sha, k.length, ...k, appId);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
        r = await redis.eval(MIGRATE.source, k.length, ...k, appId);
      }
      if (r === 1) moved++;
    }
  } while (cursor !== "0");
  return moved;
}

/**
 * Every key matching `pattern`, with SCAN (never KEYS: the server is not blocked), on every
 * master of a cluster or on the one server. For a reload's fallback only: the work grows with
 * the whole keyspace.
 */
export async function scanKeys(redis: RedisConnection, pattern: string): Promise<string[]> {
  const nodes: Redis[] = isCluster(redis) ? redis.nodes("master") : [redis];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
      cursor = next;
      for (const k of batch) found.add(k);
    } while (cursor !== "0");
  }
  return [...found];
}
