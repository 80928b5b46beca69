/**
 * Builds the Redis-backed store and login broadcast for the composition root: two connections
 * (commands, subscriber), one shared subscriber dispatcher, the store loaded before the gateway
 * accepts logins. When Redis comes back empty (a restart without persistence, a flush) and the
 * dev seed is on, the dev projects are written again (docs/redis.md, "Redis came back empty").
 */
import { randomBytes } from "node:crypto";
import type { GatewayConfig } from "../config.js";
import { seedDevProjects } from "../dev-seed.js";
import type { Logger } from "../logger.js";
import { RedisCertificateStore } from "./certificate-store-redis.js";
import { routeIoredisWarnings } from "./ioredis-warnings.js";
import { RedisLoginBroadcast, type RemoteLoginTuning } from "./login-broadcast-redis.js";
import { createRedisClients, errorMessage, isCluster, refuseClusterNode, waitForReady, type RedisConnection } from "./redis-clients.js";
import { RedisSubscriber } from "./redis-subscriber.js";

export interface RedisBackend {
  readonly store: RedisCertificateStore;
  readonly broadcast: RedisLoginBroadcast;
  /** The command connection (shared; closed with the store): for the rollout counters and readiness snapshots. */
  readonly redis: RedisConnection;
  /**
   * This gateway's id in Redis (8 hex characters, new at every start): in its session ownership
   * records and channel, its readiness snapshot key, its connection name `rtm-auth-<id>` and its
   * session ids (`<id>-<n>`) (docs/redis.md, "Key layout").
   */
  readonly gatewayId: string;
  /** Stops sending ioredis's plain-text notices to the logger (ioredis-warnings.ts); call after closing the store. */
  readonly detachWarnings: () => void;
}

export interface RedisBackendOptions {
  /** The simulated clock's now (Unix seconds): a re-applied dev seed's certificates are active since then. */
  readonly nowSeconds: () => number;
  /** The session ownership's timings (tests shorten them; docs/redis.md, "Session ownership"). */
  readonly remoteLogin?: RemoteLoginTuning;
}

/** Attempts of the dev seed after Redis came back empty, and the pause between two. */
const RESEED_ATTEMPTS = 5;
const RESEED_PAUSE_MS = 1_000;

/**
 * Connects to `config.redisUrl`, loads the certificate state and subscribes. Rejects with
 * StoreUnavailable when Redis cannot be loaded: a RedisStartFailure (redis-clients.ts) names a
 * refused password, an unknown host or a REDIS_URL of the wrong kind (a cluster node behind
 * redis://, a server without cluster support behind redis+cluster://, a master name the
 * Sentinels do not know) at once, anything else after the start timeout
 * (`config.redisStartTimeoutSeconds`, REDIS_START_TIMEOUT_SECONDS).
 */
export async function startRedisBackend(config: GatewayConfig, logger: Logger, options: RedisBackendOptions): Promise<RedisBackend> {
  if (config.redisUrl === undefined) throw new TypeError("startRedisBackend needs redisUrl");
  const origin = randomBytes(4).toString("hex");
  const detachWarnings = routeIoredisWarnings(logger);
  const { redis, subscriber } = createRedisClients(config.redisUrl, { connectionName: `rtm-auth-${origin}` });
  const startTimeoutMs = config.redisStartTimeoutSeconds * 1000;
  const sub = new RedisSubscriber(subscriber, { logger, readyTimeoutMs: startTimeoutMs });
  const store = new RedisCertificateStore(
    { redis, subscriber: sub },
    { keyPrefix: config.redisKeyPrefix, maxStalenessMs: config.redisMaxStalenessSeconds * 1000, startTimeoutMs, logger },
  );
  try {
    // The command connection first: its failure names the cause (refused connection, a URL of
    // the wrong kind of Redis) before the subscriber's or the first load's would.
    await waitForReady(redis, startTimeoutMs);
    if (!isCluster(redis)) await refuseClusterNode(redis);
    await store.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    detachWarnings();
    throw err;
  }
  if (config.devSeed) store.onEmptied(() => void reseed(store, options.nowSeconds, logger));
  const broadcast = new RedisLoginBroadcast({ redis, subscriber: sub }, { ...options.remoteLogin, origin, keyPrefix: config.redisKeyPrefix, logger, ownsConnections: false });
  await broadcast.start(startTimeoutMs);
  return { store, broadcast, redis, gatewayId: origin, detachWarnings };
}

/** Writes the dev projects again (kept as they are where another gateway was first), a few times while Redis is flaky. */
async function reseed(store: RedisCertificateStore, nowSeconds: () => number, logger: Logger): Promise<void> {
  for (let attempt = 1; attempt <= RESEED_ATTEMPTS; attempt++) {
    if (store.isClosed()) return;
    try {
      const created = await seedDevProjects(store, nowSeconds());
      logger.warn({ created }, "DEV SEED RE-APPLIED: Redis came back empty; the dev projects (public, fixed credentials) are back");
      return;
    } catch (err) {
      logger.warn({ attempt, err: errorMessage(err) }, "the dev seed could not be re-applied yet");
      if (attempt < RESEED_ATTEMPTS) await new Promise((r) => setTimeout(r, RESEED_PAUSE_MS).unref());
    }
  }
  logger.error("the dev seed could not be re-applied after Redis came back empty; restart the gateway or populate the projects");
}
