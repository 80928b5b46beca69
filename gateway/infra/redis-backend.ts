/**
 * Builds the Redis-backed store and login broadcast for the composition root: two connections
 * (commands, subscriber), one shared subscriber dispatcher, the store loaded before the gateway
 * accepts logins.
 */
import { randomBytes } from "node:crypto";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { RedisCertificateStore } from "./certificate-store-redis.js";
import { RedisLoginBroadcast } from "./login-broadcast-redis.js";
import { createRedisClients } from "./redis-clients.js";
import { RedisSubscriber } from "./redis-subscriber.js";

export interface RedisBackend {
  readonly store: RedisCertificateStore;
  readonly broadcast: RedisLoginBroadcast;
}

/** Connects to `config.redisUrl`, loads the certificate state and subscribes; rejects when Redis cannot be loaded. */
export async function startRedisBackend(config: GatewayConfig, logger: Logger): Promise<RedisBackend> {
  if (config.redisUrl === undefined) throw new TypeError("startRedisBackend needs redisUrl");
  const origin = randomBytes(4).toString("hex");
  const { redis, subscriber } = createRedisClients(config.redisUrl, { connectionName: `rtm-auth-${origin}` });
  const sub = new RedisSubscriber(subscriber, { logger });
  const store = new RedisCertificateStore(
    { redis, subscriber: sub },
    { keyPrefix: config.redisKeyPrefix, maxStalenessMs: config.redisMaxStalenessSeconds * 1000, logger },
  );
  try {
    await store.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const broadcast = new RedisLoginBroadcast({ redis, subscriber: sub }, { origin, keyPrefix: config.redisKeyPrefix, logger, ownsConnections: false });
  await broadcast.start();
  return { store, broadcast };
}
