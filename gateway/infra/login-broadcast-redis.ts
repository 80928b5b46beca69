/**
 * The Redis LoginBroadcast: tells the other gateways of a deployment that an identity logged
 * in here, over pub/sub (channel `${prefix}logins`, message `{appId, uid, sessionId, origin}`).
 *
 * - `announce` is fire-and-forget: it never throws and never waits; a failed PUBLISH is logged
 *   at warn (at most once per 10 s, with the number of failures in between).
 * - Listeners hear only logins whose `origin` differs from ours.
 * - Pub/sub is at-most-once: a login announced while a gateway is disconnected is not heard
 *   there (its older session then lives until it ends by itself).
 *
 * It can share the store's RedisSubscriber (pass `ownsConnections: false` and close it before
 * the store), or own its connections.
 */
import type { Redis } from "ioredis";
import type { LoginBroadcast, RemoteLogin } from "../../core/session/login-broadcast.js";
import type { Logger } from "../logger.js";
import { assertFailFast, closeClient, errorMessage, waitForReady } from "./redis-clients.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "./redis-keys.js";
import { RedisSubscriber } from "./redis-subscriber.js";

export interface RedisLoginBroadcastOptions {
  /** This gateway's id (also the prefix of its session ids). */
  readonly origin: string;
  readonly logger: Logger;
  /** Prefix of the channel. Default `rtm-auth:`. */
  readonly keyPrefix?: string;
  /** Whether `close()` quits the two connections. Default true. */
  readonly ownsConnections?: boolean;
}

export interface RedisBroadcastConnections {
  /** Publishes (may be the store's command connection). */
  readonly redis: Redis;
  readonly subscriber: Redis | RedisSubscriber;
}

const WARN_EVERY_MS = 10_000;
const MAX_FIELD = 1_024;

const isField = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_FIELD;

export class RedisLoginBroadcast implements LoginBroadcast {
  readonly origin: string;
  private readonly redis: Redis;
  private readonly subscriber: RedisSubscriber;
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly ownsConnections: boolean;
  private readonly listeners = new Set<(login: RemoteLogin) => void>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private closed = false;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(connections: RedisBroadcastConnections, options: RedisLoginBroadcastOptions) {
    if (!isField(options.origin)) throw new TypeError("a gateway origin is a non-empty string");
    assertFailFast(connections.redis, "publishing");
    this.origin = options.origin;
    this.redis = connections.redis;
    this.logger = options.logger.child({ component: "login-broadcast-redis" });
    this.subscriber = connections.subscriber instanceof RedisSubscriber ? connections.subscriber : new RedisSubscriber(connections.subscriber, { logger: options.logger });
    this.channel = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX).logins;
    this.ownsConnections = options.ownsConnections ?? true;
    // Without a listener ioredis prints every connection error; failures are reported by announce().
    this.redis.on("error", this.onConnectionError);
  }

  /** Connects the publishing connection and subscribes to the channel. Rejects when Redis cannot be reached in time. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.closed) throw new Error("the login broadcast is closed");
    this.unsubscribe ??= await this.subscriber.subscribe(this.channel, (m) => this.onMessage(m));
    await waitForReady(this.redis, timeoutMs);
  }

  announce(appId: string, uid: string, sessionId: string): void {
    if (this.closed) return;
    const message = JSON.stringify({ appId, uid, sessionId, origin: this.origin });
    let published: Promise<number>;
    try {
      published = this.redis.publish(this.channel, message);
    } catch (err) {
      this.publishFailed(appId, err);
      return;
    }
    published.catch((err: unknown) => this.publishFailed(appId, err));
  }

  onRemoteLogin(listener: (login: RemoteLogin) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    if (this.ownsConnections) await Promise.all([closeClient(this.redis), this.subscriber.close()]);
    else if (unsubscribe !== undefined) await unsubscribe().catch(() => undefined);
    this.redis.off("error", this.onConnectionError);
  }

  private readonly onConnectionError = (err: unknown): void => {
    this.logger.debug({ err: errorMessage(err) }, "redis publishing connection error");
  };

  private publishFailed(appId: string, err: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.logger.warn({ appId, err: errorMessage(err), suppressedSinceLastWarning: this.suppressed }, "remote login could not be announced");
    this.lastWarnAt = now;
    this.suppressed = 0;
  }

  private onMessage(message: string): void {
    if (this.closed) return;
    let v: unknown;
    try {
      v = JSON.parse(message);
    } catch {
      v = undefined;
    }
    const m = (v !== null && typeof v === "object" ? v : {}) as Record<string, unknown>;
    if (!isField(m.appId) || !isField(m.uid) || !isField(m.sessionId) || !isField(m.origin)) {
      this.logger.warn("ignoring a malformed login broadcast message");
      return;
    }
    if (m.origin === this.origin) return;
    const login: RemoteLogin = { appId: m.appId, uid: m.uid, sessionId: m.sessionId, origin: m.origin };
    for (const l of this.listeners) {
      try {
        l(login);
      } catch (err) {
        this.logger.error({ err: errorMessage(err) }, "remote login listener failed");
      }
    }
  }
}
