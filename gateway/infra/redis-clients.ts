/**
 * How the gateway's ioredis connections are built and handled. The composition root creates
 * two connections per Redis: a command connection (reads, Lua writes, PUBLISH) and a separate
 * subscriber side (a connection in SUBSCRIBE mode can run nothing else). REDIS_URL says which
 * kind of Redis (gateway/infra/redis-url.ts, docs/redis.md, "REDIS_URL"):
 *
 * - one server (`redis://`, `rediss://`, a socket path): two ioredis `Redis` connections;
 * - Sentinel (`redis+sentinel://`): two `Redis` connections that ask the Sentinels for the
 *   current primary, and follow a failover (docs/redis.md, "Sentinel");
 * - Redis Cluster (`redis+cluster://`): an ioredis `Cluster` for commands, and for the
 *   subscriber side a {@link ShardedSubscriberSource}: RedisSubscriber then holds one connection
 *   per shard channel's slot, to the master that owns it, in SSUBSCRIBE mode (docs/redis.md,
 *   "Redis Cluster").
 *
 * ```ts
 * const { redis, subscriber } = createRedisClients(config.redisUrl, { connectionName: "rtm-auth" });
 * const sub = new RedisSubscriber(subscriber, { logger });
 * const store = new RedisCertificateStore({ redis, subscriber: sub }, { keyPrefix, logger });
 * await store.start(); // rejects with StoreUnavailable when Redis cannot be loaded
 * // shutdown: await store.close(); (the store quits both sides)
 * ```
 */
import { createConnection } from "node:net";
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { StoreUnavailable } from "../../core/errors.js";
import { parseRedisUrl, type RedisTarget } from "./redis-url.js";

/** A command connection: one server's or a Sentinel-managed primary's (`Redis`), or a cluster's (`Cluster`). */
export type RedisConnection = Redis | Cluster;

/** Which kind of Redis a REDIS_URL names. */
export type RedisMode = RedisTarget["mode"];

/**
 * The subscriber side of a Redis Cluster: a `Cluster` used only to learn which master owns a
 * slot (its slot table, refreshed on demand), and the options of the per-slot connections
 * RedisSubscriber opens to those masters (credentials, TLS, timeouts; fail-fast).
 */
export interface ShardedSubscriberSource {
  readonly kind: "sharded";
  readonly topology: Cluster;
  readonly nodeOptions: RedisOptions;
}

/** What RedisSubscriber subscribes through. */
export type SubscriberConnection = Redis | ShardedSubscriberSource;

/** True for a cluster's command connection. */
export function isCluster(client: RedisConnection): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * Publishes `message` the way the subscribers listen (RedisSubscriber): PUBLISH on one server or
 * Sentinel, SPUBLISH to the shard channel in a cluster (give `channel` a hash tag there).
 */
export async function publish(client: RedisConnection, channel: string, message: string): Promise<number> {
  return Number(isCluster(client) ? await client.spublish(channel, message) : await client.publish(channel, message));
}

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

/**
 * The cluster's options, with every node connection built from {@link redisClientOptions}:
 * - no offline queue, at the cluster too (`enableOfflineQueue: false`);
 * - `retryDelayOnFailover: 0`: a command whose node connection closed while it was in flight is
 *   rejected, never re-sent to the new master (its outcome is read back, as above). Commands a
 *   node refused unrun (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`) are redirected or retried,
 *   at most `maxRedirections` times;
 * - reads from masters only (`scaleReads: "master"`): a replica may lag behind a write;
 * - `clusterRetryStrategy`: the `retryStrategy` of the overrides (bounded, as above).
 */
export function clusterClientOptions(target: Extract<RedisTarget, { mode: "cluster" }>, overrides: RedisOptions = {}): ClusterOptions {
  const node = nodeOptions(target, overrides);
  const { retryStrategy, enableOfflineQueue: _queue, lazyConnect: _lazy, host: _h, port: _p, path: _path, sentinels: _s, readOnly: _ro, ...redisOptions } = node;
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: "master",
    maxRedirections: 16,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    retryDelayOnMoved: 0,
    slotsRefreshTimeout: 1_000,
    slotsRefreshInterval: 5_000,
    lazyConnect: true,
    clusterRetryStrategy: (attempt: number) => (typeof retryStrategy === "function" ? (retryStrategy(attempt) ?? 2_000) : 2_000),
    redisOptions,
  };
}

/** A cluster node connection's options: credentials and TLS of the URL, fail-fast, the overrides. */
function nodeOptions(target: Extract<RedisTarget, { mode: "cluster" }>, overrides: RedisOptions): RedisOptions {
  return redisClientOptions({
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls ? { tls: {} } : {}),
    ...overrides,
  });
}

/** Options of a Sentinel-managed connection: the Sentinels, the master name, failover detection. */
function sentinelOptions(target: Extract<RedisTarget, { mode: "sentinel" }>, overrides: RedisOptions): RedisOptions {
  return redisClientOptions({
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    role: "master",
    db: target.db,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.sentinelUsername === undefined ? {} : { sentinelUsername: target.sentinelUsername }),
    ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    // Subscribes to the Sentinels' +switch-master: a failover is followed at once, not only when
    // the old primary's connection drops.
    failoverDetector: true,
    sentinelCommandTimeout: 1_000,
    sentinelRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
    // A primary demoted to a replica answers READONLY: reconnect (through the Sentinels) without
    // re-sending the refused command (it did not run).
    reconnectOnError: (err: Error) => (err.message.startsWith("READONLY") ? 1 : false),
    ...overrides,
  });
}

/**
 * The command connection and the subscriber side of REDIS_URL (see the file comment). Nothing
 * connects before first use (`lazyConnect`). Throws a RedisUrlError (redis-url.ts) for a URL it
 * cannot use, naming the problem without its credentials.
 */
export function createRedisClients(url: string, overrides: RedisOptions = {}): { mode: RedisMode; redis: RedisConnection; subscriber: SubscriberConnection } {
  const target = parseRedisUrl(url);
  const name = overrides.connectionName;
  const named = (role: string): RedisOptions => ({ ...overrides, ...(name === undefined ? {} : { connectionName: `${name}:${role}` }) });
  // No ioredis auto-pipelining: in bench:gateway's Redis-mode row it made a login dearer. A saturated
  // gateway issues about one command per event-loop turn, and the pipeline's promise and callback
  // machinery costs more than the write it saves (docs/redis.md, "Connections").
  if (target.mode === "standalone") {
    return { mode: target.mode, redis: new Redis(url, redisClientOptions(named("cmd"))), subscriber: new Redis(url, redisClientOptions(named("sub"))) };
  }
  if (target.mode === "sentinel") {
    return { mode: target.mode, redis: new Redis(sentinelOptions(target, named("cmd"))), subscriber: new Redis(sentinelOptions(target, named("sub"))) };
  }
  const seeds = target.nodes.map((n) => ({ host: n.host, port: n.port }));
  const redis = new Cluster(seeds, clusterClientOptions(target, named("cmd")));
  const topology = new Cluster(seeds, clusterClientOptions(target, named("topology")));
  return { mode: target.mode, redis, subscriber: { kind: "sharded", topology, nodeOptions: nodeOptions(target, named("sub")) } };
}

/** Throws unless `client` fails fast while disconnected (see redisClientOptions). */
export function assertFailFast(client: RedisConnection, role: string): void {
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
 * - `unreachable`: no ready connection within the timeout (the last error, if any, is named);
 * - `mismatch`: REDIS_URL names another kind of Redis than the one that answered: a
 *   `redis+cluster://` URL at a server without cluster support, a `redis://` URL at a cluster
 *   node, or a `redis+sentinel://` master name the Sentinels do not know; final at once
 *   (docs/redis.md, "Start-up failures").
 */
export type RedisStartCause = "auth" | "dns" | "unreachable" | "mismatch";

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
/** CLUSTER SLOTS on a server started without `cluster-enabled yes`. */
const NOT_A_CLUSTER = /cluster support disabled/i;
/** A Sentinel asked about a master name it does not monitor. */
const NO_SUCH_MASTER = /No such master with that name/;

/**
 * The start-up cause an ioredis `error` event reveals, and whether it is final (retrying cannot
 * help). `masterName`: the Sentinel master name of the connection, if any.
 */
function classify(err: unknown, masterName?: string): { cause: RedisStartCause; final: boolean; message: string; hostname?: string } {
  // A cluster reports "Failed to refresh slots cache." and keeps the node's own error beside it.
  const nodeError = typeof err === "object" && err !== null ? (err as { lastNodeError?: unknown }).lastNodeError : undefined;
  if (nodeError instanceof Error) return classify(nodeError, masterName);
  const message = errorMessage(err);
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const hostname = typeof err === "object" && err !== null && typeof (err as { hostname?: unknown }).hostname === "string" ? (err as { hostname: string }).hostname : undefined;
  if (AUTH_REFUSED.test(message)) return { cause: "auth", final: true, message: message.replace(/^Ready check failed: /, "") };
  if (NOT_A_CLUSTER.test(message)) return { cause: "mismatch", final: true, message: "not a Redis Cluster (cluster support disabled): use redis://" };
  if (NO_SUCH_MASTER.test(message)) return { cause: "mismatch", final: true, message: `the Sentinels know no master named ${JSON.stringify(masterName ?? "")}` };
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
export async function waitForReady(client: RedisConnection, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await clientReady(client, timeoutMs);
  if (client instanceof Cluster) await mastersConnected(client, deadline);
}

/**
 * A Cluster is "ready" once it knows the slots; its connections to the masters start lazily, at
 * their first command, and with no offline queue a command sent to a master whose connection is
 * still being made fails at once ("Connection is closed"). So start-up connects every master and
 * waits for each (until `deadline`, then the same RedisStartFailure).
 */
async function mastersConnected(cluster: Cluster, deadline: number): Promise<void> {
  for (;;) {
    const masters = cluster.nodes("master");
    if (masters.length > 0 && masters.every((n) => n.status === "ready")) return;
    // Node connections start lazily: the first command connects one, and a second one sent while
    // it is still connecting is the one refused. Connect them all now.
    for (const n of masters) if (n.status === "wait") n.connect().catch(() => undefined);
    if (Date.now() >= deadline) {
      const waiting = masters.filter((n) => n.status !== "ready").map((n) => `${n.options.host ?? "?"}:${n.options.port ?? "?"} (${n.status})`);
      throw new RedisStartFailure("unreachable", `Redis Cluster: no ready connection to ${waiting.length === 0 ? "any master" : `the master(s) ${waiting.join(", ")}`} before the start timeout`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function clientReady(client: RedisConnection, timeoutMs: number): Promise<void> {
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
      last = classify(err, isCluster(client) ? undefined : client.options.name);
      if (last.final) done(new RedisStartFailure(last.cause, last.message, last.hostname));
      else if (isCluster(client) && last.message === CONNECTION_CLOSED && probe === undefined) {
        probe = seedError(client).then((why) => {
          if (why !== undefined && last?.message === CONNECTION_CLOSED) last = { cause: "unreachable", final: false, message: why };
          probe = undefined;
        });
      }
    };
    let probe: Promise<void> | undefined;
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

/**
 * Rejects with a `mismatch` {@link RedisStartFailure} when a one-server or Sentinel connection
 * reached a Redis Cluster node (`INFO cluster` says `cluster_enabled:1`): its keys live on
 * several nodes and every other command would fail with `MOVED` or `CLUSTERDOWN`
 * (docs/redis.md, "Start-up failures"). A server that refuses INFO passes: later commands tell.
 */
export async function refuseClusterNode(client: Redis): Promise<void> {
  let info: string;
  try {
    info = await client.info("cluster");
  } catch (err) {
    if (/^(MOVED|CLUSTERDOWN)\b/.test(errorMessage(err))) info = "cluster_enabled:1";
    else return;
  }
  if (/^cluster_enabled:1\b/m.test(info)) throw new RedisStartFailure("mismatch", "this Redis is a cluster node: use redis+cluster://host:port,…");
}

/** What a cluster reports when its slot query's own connection to a seed failed. */
const CONNECTION_CLOSED = "Connection is closed.";

/**
 * Why no seed of `cluster` can be reached: the slot query runs on a throw-away connection whose
 * socket error ioredis drops (leaving "Connection is closed."), so each seed is dialled once
 * here (1 s at most) and the first socket error, such as `connect ECONNREFUSED 127.0.0.1:7000`,
 * is returned; undefined when a seed accepts the connection.
 */
function seedError(cluster: Cluster): Promise<string | undefined> {
  const seeds = cluster.nodes("all").map((n) => ({ host: n.options.host ?? "127.0.0.1", port: n.options.port ?? 6379 }));
  const dial = (seed: { host: string; port: number }): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = createConnection(seed);
      socket.setTimeout(1_000, () => {
        socket.destroy();
        resolve(`connect ETIMEDOUT ${seed.host}:${seed.port}`);
      });
      socket.once("connect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once("error", (err) => resolve(err.message));
    });
  return Promise.all(seeds.map(dial)).then((errors) => (errors.includes(undefined) ? undefined : errors[0]));
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
export async function closeClient(client: RedisConnection): Promise<void> {
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
