/**
 * One subscriber side shared by every pub/sub user of a gateway (the certificate store's change
 * channel, the login broadcast): it dispatches each message to the handlers of its channel, and
 * tells its users when it went down and when it is back **with every channel subscribed again**
 * (messages published in between are lost: users resynchronise).
 *
 * Two ways, chosen by the connection (redis-clients.ts):
 * - a `Redis` connection (one server, Sentinel): SUBSCRIBE on it; after a reconnect (a Sentinel
 *   failover included) every channel is subscribed again before `onUp`;
 * - a cluster's {@link ShardedSubscriberSource}: sharded pub/sub. Each channel's slot gets its own
 *   connection, to the master that owns the slot, in SSUBSCRIBE mode. When that connection closes
 *   (a master failed), or the server drops the subscription (the slot moved away: Redis sends
 *   SUNSUBSCRIBE), the slot's owner is looked up again and the channels are subscribed there;
 *   `onUp` comes once every slot's connection has confirmed its SSUBSCRIBE (docs/redis.md,
 *   "Redis Cluster").
 */
import { Command, Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { assertFailFast, closeClient, errorMessage, RedisStartFailure, waitForReady, withTimeout, type ShardedSubscriberSource, type SubscriberConnection } from "./redis-clients.js";

export type MessageHandler = (message: string) => void;

export interface RedisSubscriberOptions {
  readonly logger: Logger;
  /** How long `subscribe` waits for the connection at first. Default 10 000 ms. */
  readonly readyTimeoutMs?: number;
}

/** Pause before a cluster slot's connection is tried again after a failure: doubles from 50 ms to 2 s. */
const SHARD_RETRY_MIN_MS = 50;
const SHARD_RETRY_MAX_MS = 2_000;

export class RedisSubscriber {
  /** The connection (one server, Sentinel) or the cluster's subscriber source. */
  readonly connection: SubscriberConnection;
  /** `SUBSCRIBE` or `SSUBSCRIBE` (a cluster's shard channels). */
  readonly sharded: boolean;
  private readonly logger: Logger;
  private readonly readyTimeoutMs: number;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly upListeners = new Set<() => void>();
  private readonly downListeners = new Set<() => void>();
  /** Connected, and every channel with a handler is subscribed. */
  private up = false;
  private closed = false;
  /** Cluster only: one link per slot that has a channel (at most the channels subscribed). */
  private readonly slots = new Map<number, ShardLink>();

  constructor(connection: SubscriberConnection, options: RedisSubscriberOptions) {
    this.connection = connection;
    this.logger = options.logger;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    if (connection instanceof Redis) {
      this.sharded = false;
      assertFailFast(connection, "subscriber");
      connection.on("message", (channel: string, message: string) => this.dispatch(channel, message));
      connection.on("close", () => this.wentDown("redis subscriber connection lost"));
      connection.on("ready", () => void this.resubscribe());
      connection.on("error", (err: unknown) => this.logger.debug({ err: errorMessage(err) }, "redis subscriber connection error"));
    } else {
      this.sharded = true;
      assertFailFast(connection.topology, "cluster topology");
      connection.topology.on("error", (err: unknown) => this.logger.debug({ err: errorMessage(err) }, "redis cluster topology connection error"));
    }
  }

  /** True while connected with every channel subscribed. */
  isUp(): boolean {
    if (!this.up) return false;
    if (this.connection instanceof Redis) return this.connection.status === "ready";
    for (const link of this.slots.values()) if (!link.isUp()) return false;
    return true;
  }

  /**
   * Adds a handler for `channel`, subscribing (and connecting) when it is the channel's first.
   * Resolves once subscribed; rejects when that cannot be had within the ready timeout. The
   * result removes the handler again. In a cluster, `channel` is a shard channel: give it a hash
   * tag (`prefix{name}`) so its slot is chosen on purpose.
   */
  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new Error("the subscriber is closed");
    let set = this.handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    try {
      if (this.connection instanceof Redis) {
        await waitForReady(this.connection, this.readyTimeoutMs);
        await this.connection.subscribe(channel);
      } else {
        await this.link(channel).add(channel, this.readyTimeoutMs);
      }
    } catch (err) {
      set.delete(handler);
      if (set.size === 0) this.forget(channel);
      throw err;
    }
    if (this.isUpNow() && !this.up) {
      this.up = true;
      for (const l of this.upListeners) l();
    }
    return async () => {
      const s = this.handlers.get(channel);
      if (s === undefined || !s.delete(handler) || s.size > 0) return;
      this.forget(channel);
      if (this.connection instanceof Redis) {
        if (this.connection.status === "ready") await this.connection.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  /** Calls `listener` each time every channel is subscribed again after a loss. */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** Calls `listener` each time a connection closes (messages may be lost until the next `onUp`). */
  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** A round trip on every subscriber connection (PING is allowed in subscribe mode). */
  async ping(): Promise<void> {
    if (this.connection instanceof Redis) {
      await this.connection.ping();
      return;
    }
    await Promise.all([...this.slots.values()].map((l) => l.ping()));
  }

  /** Drops the connections so that they are made again (after a failed heartbeat). */
  reconnect(): void {
    if (this.closed) return;
    if (this.connection instanceof Redis) this.connection.disconnect(true);
    else for (const l of this.slots.values()) l.drop("heartbeat failed");
  }

  /** Quits the connections; handlers are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.up = false;
    this.handlers.clear();
    this.upListeners.clear();
    this.downListeners.clear();
    if (this.connection instanceof Redis) {
      await closeClient(this.connection);
      return;
    }
    const links = [...this.slots.values()];
    this.slots.clear();
    await Promise.all([...links.map((l) => l.close()), closeClient(this.connection.topology)]);
  }

  private isUpNow(): boolean {
    if (this.closed) return false;
    if (this.connection instanceof Redis) return this.connection.status === "ready";
    for (const link of this.slots.values()) if (!link.isUp()) return false;
    return true;
  }

  private forget(channel: string): void {
    this.handlers.delete(channel);
    if (this.connection instanceof Redis) return;
    const slot = slotOf(channel);
    const link = this.slots.get(slot);
    if (link !== undefined && link.remove(channel)) {
      this.slots.delete(slot);
      void link.close();
    }
  }

  private link(channel: string): ShardLink {
    const source = this.connection as ShardedSubscriberSource;
    const slot = slotOf(channel);
    let link = this.slots.get(slot);
    if (link === undefined) {
      link = new ShardLink(slot, source, this.logger, {
        message: (ch, m) => this.dispatch(ch, m),
        down: () => this.wentDown("redis shard subscriber connection lost"),
        up: () => this.linkUp(),
      });
      this.slots.set(slot, link);
    }
    return link;
  }

  private wentDown(warning: string): void {
    const was = this.up;
    this.up = false;
    if (this.closed) return;
    if (was) this.logger.warn(warning);
    for (const l of this.downListeners) l();
  }

  /** A cluster slot's link confirmed its channels: up once all are. */
  private linkUp(): void {
    if (this.closed || this.handlers.size === 0 || !this.isUpNow()) return;
    const was = this.up;
    this.up = true;
    if (!was) this.logger.info({ channels: this.handlers.size }, "redis shard subscriber connections ready");
    for (const l of this.upListeners) l();
  }

  private async resubscribe(): Promise<void> {
    if (this.closed || !(this.connection instanceof Redis)) return;
    const connection = this.connection;
    const channels = [...this.handlers.keys()];
    try {
      if (channels.length > 0) await connection.subscribe(...channels);
    } catch (err) {
      // The connection dropped again (the next 'ready' retries) or refused SUBSCRIBE: force a new cycle.
      this.logger.warn({ err: errorMessage(err) }, "redis subscriber could not resubscribe");
      if (connection.status === "ready") this.reconnect();
      return;
    }
    if (this.closed || connection.status !== "ready") return;
    const was = this.up;
    this.up = true;
    if (!was) this.logger.info({ channels: channels.length }, "redis subscriber connection ready");
    for (const l of this.upListeners) l();
  }

  private dispatch(channel: string, message: string): void {
    const set = this.handlers.get(channel);
    if (set === undefined) return;
    for (const h of set) {
      try {
        h(message);
      } catch (err) {
        this.logger.error({ err: errorMessage(err), channel }, "redis message handler failed");
      }
    }
  }
}

/** The cluster hash slot of a key or shard channel (its hash tag's, when it has one). */
export function slotOf(channel: string): number {
  return new Command("ssubscribe", [channel]).getSlot();
}

interface LinkEvents {
  message(channel: string, message: string): void;
  down(): void;
  up(): void;
}

/**
 * The shard channels of one cluster slot, on one connection to the master that owns the slot.
 * The connection never reconnects by itself (`retryStrategy: null`): when it closes, or the
 * server drops the subscription, the link looks the owner up again (refreshing the slot table
 * after a failure) and makes a new connection there, retrying with a backoff until closed.
 */
class ShardLink {
  private readonly channels = new Set<string>();
  private conn: Redis | undefined;
  /** The connection is ready and every channel's SSUBSCRIBE was confirmed on it. */
  private subscribed = false;
  private cycle: Promise<void> | undefined;
  private closed = false;
  private failures = 0;
  private waiters = new Set<{ resolve(): void; reject(err: Error): void }>();
  /** The last reason a connection or SSUBSCRIBE failed (for a start-up timeout's message). */
  private lastError: string | undefined;
  private wake: (() => void) | undefined;

  private readonly slot: number;
  private readonly source: ShardedSubscriberSource;
  private readonly logger: Logger;
  private readonly events: LinkEvents;

  constructor(slot: number, source: ShardedSubscriberSource, logger: Logger, events: LinkEvents) {
    this.slot = slot;
    this.source = source;
    this.logger = logger;
    this.events = events;
  }

  isUp(): boolean {
    return this.subscribed && this.conn?.status === "ready";
  }

  /** Adds a channel and resolves once it is subscribed; rejects after `timeoutMs`. */
  async add(channel: string, timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error("the subscriber is closed");
    const fresh = !this.channels.has(channel);
    this.channels.add(channel);
    if (this.isUp() && fresh) {
      const conn = this.conn!;
      try {
        await withTimeout(conn.ssubscribe(channel), timeoutMs, "SSUBSCRIBE");
        return;
      } catch (err) {
        this.drop(`SSUBSCRIBE failed: ${errorMessage(err)}`);
      }
    }
    if (this.isUp()) return;
    this.ensureCycle();
    let waiter: { resolve(): void; reject(err: Error): void } | undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.add(waiter);
    });
    try {
      await withTimeout(subscribed, timeoutMs, `subscribing to the shard channel of slot ${this.slot}`);
    } catch (err) {
      if (this.isUp()) return;
      if (err instanceof RedisStartFailure) throw err;
      const last = this.lastError ?? (this.source.topology.status === "ready" ? undefined : "no seed node of the cluster answered yet");
      const why = last === undefined ? "" : ` (last error: ${last})`;
      throw new RedisStartFailure("unreachable", `${errorMessage(err)}${why}`);
    } finally {
      if (waiter !== undefined) this.waiters.delete(waiter);
    }
  }

  /** Removes a channel; true when none is left (the caller closes the link). */
  remove(channel: string): boolean {
    this.channels.delete(channel);
    if (this.channels.size > 0 && this.conn?.status === "ready") void this.conn.sunsubscribe(channel).catch(() => undefined);
    return this.channels.size === 0;
  }

  async ping(): Promise<void> {
    const conn = this.conn;
    if (conn === undefined || !this.isUp()) throw new Error("the shard subscriber connection is down");
    await conn.ping();
  }

  /** Ends the current connection; the link connects again (to the slot's owner as it is then). */
  drop(why: string): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.logger.debug({ slot: this.slot, why }, "redis shard subscriber connection dropped");
    conn.disconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    const conn = this.conn;
    this.conn = undefined;
    this.subscribed = false;
    if (conn !== undefined) await closeClient(conn);
  }

  private ensureCycle(): void {
    this.cycle ??= this.run().finally(() => {
      this.cycle = undefined;
    });
  }

  /** Connect, subscribe, wait for the loss, repeat; until closed. */
  private async run(): Promise<void> {
    while (!this.closed && this.channels.size > 0) {
      let conn: Redis | undefined;
      try {
        const owner = await this.owner();
        conn = this.connect(owner);
        this.conn = conn;
        const lost = this.lossOf(conn);
        await waitForReady(conn, 2_000);
        const channels = [...this.channels];
        // One SSUBSCRIBE per channel: all are in this slot, but one reply per command keeps it simple.
        await Promise.race([Promise.all(channels.map((c) => withTimeout(conn!.ssubscribe(c), 2_000, "SSUBSCRIBE"))), lost.then(() => Promise.reject(new Error("lost while subscribing")))]);
        if (this.closed) return;
        this.subscribed = true;
        this.failures = 0;
        this.lastError = undefined;
        for (const w of this.waiters) w.resolve();
        this.waiters.clear();
        this.events.up();
        await lost;
      } catch (err) {
        this.failures++;
        this.lastError = errorMessage(err);
        if (!this.closed) this.logger.debug({ slot: this.slot, err: this.lastError, failures: this.failures }, "redis shard subscriber could not subscribe yet");
        // Refused credentials or an unknown host cannot get better by waiting: a start fails at once.
        if (err instanceof RedisStartFailure && err.kind !== "unreachable") {
          for (const w of this.waiters) w.reject(err);
          this.waiters.clear();
        }
      }
      const wasUp = this.subscribed;
      this.subscribed = false;
      if (conn !== undefined) {
        conn.removeAllListeners("smessage");
        conn.disconnect();
      }
      if (this.closed) return;
      if (wasUp) this.events.down();
      // The slot may have moved (a failover): ask the cluster again before the next attempt.
      this.source.topology.refreshSlotsCache();
      if (this.failures > 0) await this.pause(Math.min(SHARD_RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 6), SHARD_RETRY_MAX_MS));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** The master that owns the slot now, from the topology cluster's slot table (connected on first use). */
  private async owner(): Promise<{ host: string; port: number }> {
    const topology = this.source.topology;
    if (topology.status !== "ready") await waitForReady(topology, 2_000);
    const key = topology.slots[this.slot]?.[0];
    if (key === undefined) throw new Error(`no master owns slot ${this.slot} yet`);
    const colon = key.lastIndexOf(":");
    return { host: key.slice(0, colon), port: Number(key.slice(colon + 1)) };
  }

  private connect(owner: { host: string; port: number }): Redis {
    const conn = new Redis({ ...this.source.nodeOptions, host: owner.host, port: owner.port, retryStrategy: () => null, enableOfflineQueue: false, lazyConnect: true, autoResubscribe: false });
    conn.on("smessage", (channel: string, message: string) => this.events.message(channel, message));
    return conn;
  }

  /**
   * Resolves when `conn` can no longer be trusted to deliver: it closed, or the server took the
   * subscription away (a SUNSUBSCRIBE nobody asked for: the slot moved; ioredis reports the
   * unexpected reply as an error), or a MOVED answered SSUBSCRIBE.
   */
  private lossOf(conn: Redis): Promise<void> {
    return new Promise<void>((resolve) => {
      conn.once("close", () => resolve());
      conn.once("end", () => resolve());
      conn.once("moved", () => resolve());
      conn.on("error", (err: unknown) => {
        const message = errorMessage(err);
        this.logger.debug({ slot: this.slot, err: message }, "redis shard subscriber connection error");
        if (message.includes("sunsubscribe")) resolve();
      });
    });
  }
}
