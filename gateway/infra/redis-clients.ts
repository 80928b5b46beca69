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
import { StoreUnavailable } from "../../core/errors.js";

/**
 * The options every gateway connection needs (callers may add host, password, TLS, …):
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once instead of
 *   waiting in a queue; a write then rejects with StoreUnavailable and changes nothing.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the connection drops is rejected at once, never silently re-sent after a reconnect (the
 *   store then reads a write's outcome back: certificate-store-redis.ts, docs/redis.md).
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

/**
 * Why a Redis connection could not be had at start:
 * - `auth`: the server refused the credentials of the URL (`WRONGPASS`, `NOAUTH`, `invalid
 *   password`); retrying cannot help, so this fails at the first refusal;
 * - `dns`: the host name does not resolve (`ENOTFOUND`: at once), or the resolver did not answer
 *   until the timeout (`EAI_AGAIN`);
 * - `unreachable`: no ready connection within the timeout (the last error, if any, is named).
 */
export type RedisStartCause = "auth" | "dns" | "unreachable";

/**
 * Redis could not be used at start, with its cause. A StoreUnavailable, so a store's `start()`
 * still rejects with one. `detail` is the server's or the resolver's own message (for example
 * `WRONGPASS invalid username-password pair or user is disabled.`), which never holds the
 * password; the client's error object, which does (its `command` carries AUTH's arguments), is
 * never kept.
 */
export class RedisStartFailure extends StoreUnavailable {
  readonly kind: RedisStartCause;
  /** The host name that did not resolve (`dns` only). */
  readonly hostname: string | undefined;

  constructor(cause: RedisStartCause, detail: string, hostname?: string) {
    super(detail);
    this.kind = cause;
    this.hostname = hostname;
  }
}

const AUTH_REFUSED = /\b(WRONGPASS|NOAUTH)\b|^ERR invalid (username-)?password/;

/** The start-up cause an ioredis `error` event reveals, and whether it is final (retrying cannot help). */
function classify(err: unknown): { cause: RedisStartCause; final: boolean; message: string; hostname?: string } {
  const message = errorMessage(err);
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const hostname = typeof err === "object" && err !== null && typeof (err as { hostname?: unknown }).hostname === "string" ? (err as { hostname: string }).hostname : undefined;
  if (AUTH_REFUSED.test(message)) return { cause: "auth", final: true, message: message.replace(/^Ready check failed: /, "") };
  if (code === "ENOTFOUND") return { cause: "dns", final: true, message, ...(hostname === undefined ? {} : { hostname }) };
  if (code === "EAI_AGAIN") return { cause: "dns", final: false, message, ...(hostname === undefined ? {} : { hostname }) };
  return { cause: "unreachable", final: false, message };
}

/**
 * Resolves once `client` is ready (connecting a lazy client). Rejects with a
 * {@link RedisStartFailure}: at the first refused credentials or unknown host name, or after
 * `timeoutMs` naming the last error seen (a resolver that does not answer, a refused
 * connection, …), or at once when the connection is closed.
 */
export function waitForReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  if (client.status === "end") return Promise.reject(new RedisStartFailure("unreachable", "the Redis connection is closed"));
  return new Promise<void>((resolve, reject) => {
    let last: ReturnType<typeof classify> | undefined;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("end", onEnd);
      client.off("error", onError);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onReady = (): void => done();
    const onEnd = (): void => done(new RedisStartFailure("unreachable", "the Redis connection was closed"));
    const onError = (err: unknown): void => {
      last = classify(err);
      if (last.final) done(new RedisStartFailure(last.cause, last.message, last.hostname));
    };
    const timer = setTimeout(() => {
      const why = last === undefined ? "" : ` (last error: ${last.message})`;
      done(new RedisStartFailure(last?.cause === "dns" ? "dns" : "unreachable", `Redis not ready after ${timeoutMs} ms${why}`, last?.hostname));
    }, timeoutMs);
    client.on("ready", onReady);
    client.on("end", onEnd);
    client.on("error", onError);
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
