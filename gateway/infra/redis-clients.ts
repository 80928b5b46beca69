/**
 * How the gateway's ioredis connections are built and handled. The composition root creates
 * two connections per Redis: a command connection (reads, Lua writes, PUBLISH) and a separate
 * subscriber connection (a connection in SUBSCRIBE mode can run nothing else).
 *
 * ```ts
 * const { redis, subscriber } = createRedisClients(config.redisUrl, { connectionName: "rtm-auth" });
 * const sub = new RedisSubscriber(subscriber, { logger });
 * const store = new RedisCertificateStore({ redis, subscriber: sub }, { keyPrefix, logger });
 * await store.start(); // rejects with StoreUnavailable when Redis cannot be loaded
 * const broadcast = new RedisLoginBroadcast({ redis, subscriber: sub }, { origin, keyPrefix, logger, ownsConnections: false });
 * await broadcast.start();
 * // shutdown: await broadcast.close(); await store.close(); (the store quits both connections)
 * ```
 */
import { Redis, type RedisOptions } from "ioredis";

/**
 * The options every gateway connection needs (callers may add host, password, TLS, …):
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once instead of
 *   waiting in a queue; a write then rejects with StoreUnavailable and changes nothing.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the connection drops is rejected at once, never silently re-sent after a reconnect.
 * - `commandTimeout` / `connectTimeout`: no command waits forever on a dead peer.
 * - a bounded exponential `retryStrategy`: reconnects forever, at most every 2 s.
 */
export function redisClientOptions(overrides: RedisOptions = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    keepAlive: 10_000,
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    ...overrides,
  };
}

/** The two connections of one Redis (`url` is a redis:// URL or a unix socket path). Both start lazily. */
export function createRedisClients(url: string, overrides: RedisOptions = {}): { redis: Redis; subscriber: Redis } {
  const name = overrides.connectionName;
  const redis = new Redis(url, redisClientOptions({ ...overrides, ...(name === undefined ? {} : { connectionName: `${name}:cmd` }) }));
  const subscriber = new Redis(url, redisClientOptions({ ...overrides, ...(name === undefined ? {} : { connectionName: `${name}:sub` }) }));
  return { redis, subscriber };
}

/** Throws unless `client` fails fast while disconnected (see redisClientOptions). */
export function assertFailFast(client: Redis, role: string): void {
  if (client.options.enableOfflineQueue !== false) {
    throw new TypeError(`the ${role} Redis connection must be created with enableOfflineQueue: false (use redisClientOptions())`);
  }
}

/** Resolves once `client` is ready (connecting a lazy client), or rejects after `timeoutMs`. */
export function waitForReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  if (client.status === "end") return Promise.reject(new Error("the Redis connection is closed"));
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("end", onEnd);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onReady = (): void => done();
    const onEnd = (): void => done(new Error("the Redis connection was closed"));
    const timer = setTimeout(() => done(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    client.on("ready", onReady);
    client.on("end", onEnd);
    if (client.status === "wait") client.connect().catch(() => undefined);
  });
}

/** Resolves with `promise`, or rejects after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Quits `client` (QUIT when connected, a plain disconnect otherwise); never throws. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === "end") return;
  if (client.status === "ready") {
    try {
      await withTimeout(client.quit(), 1_000, "QUIT");
    } catch {
      // fall through to the hard disconnect
    }
  }
  if ((client.status as string) !== "end") client.disconnect();
}

/**
 * An error's message, for logs and StoreUnavailable details. Only the message: ioredis attaches
 * the command's arguments (which may hold a certificate) to its error objects, so an error
 * object itself is never logged.
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
