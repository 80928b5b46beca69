/**
 * One subscriber connection shared by every pub/sub user of a gateway (the certificate store's
 * change channel, the login broadcast): it dispatches each message to the handlers of its
 * channel, and tells its users when the connection went down and when it is back **with every
 * channel subscribed again** (messages published in between are lost: users resynchronise).
 */
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { assertFailFast, closeClient, errorMessage, waitForReady } from "./redis-clients.js";

export type MessageHandler = (message: string) => void;

export interface RedisSubscriberOptions {
  readonly logger: Logger;
  /** How long `subscribe` waits for the connection at first. Default 10 000 ms. */
  readonly readyTimeoutMs?: number;
}

export class RedisSubscriber {
  readonly connection: Redis;
  private readonly logger: Logger;
  private readonly readyTimeoutMs: number;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly upListeners = new Set<() => void>();
  private readonly downListeners = new Set<() => void>();
  /** Connected, and every channel with a handler is subscribed on this connection. */
  private up = false;
  private closed = false;

  constructor(connection: Redis, options: RedisSubscriberOptions) {
    assertFailFast(connection, "subscriber");
    this.connection = connection;
    this.logger = options.logger;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    connection.on("message", (channel: string, message: string) => this.dispatch(channel, message));
    connection.on("close", () => {
      const was = this.up;
      this.up = false;
      if (was && !this.closed) this.logger.warn("redis subscriber connection lost");
      if (!this.closed) for (const l of this.downListeners) l();
    });
    connection.on("ready", () => void this.resubscribe());
    connection.on("error", (err: unknown) => this.logger.debug({ err: errorMessage(err) }, "redis subscriber connection error"));
  }

  /** True while connected with every channel subscribed. */
  isUp(): boolean {
    return this.up && this.connection.status === "ready";
  }

  /**
   * Adds a handler for `channel`, subscribing the connection (and connecting it) when it is the
   * channel's first. Resolves once subscribed; rejects when the connection cannot be had within
   * the ready timeout. The result removes the handler again.
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
      await waitForReady(this.connection, this.readyTimeoutMs);
      await this.connection.subscribe(channel);
    } catch (err) {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(channel);
      throw err;
    }
    if (this.connection.status === "ready" && !this.up) {
      this.up = true;
      for (const l of this.upListeners) l();
    }
    return async () => {
      const s = this.handlers.get(channel);
      if (s === undefined || !s.delete(handler) || s.size > 0) return;
      this.handlers.delete(channel);
      if (this.connection.status === "ready") await this.connection.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Calls `listener` each time the connection is back with every channel subscribed again. */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** Calls `listener` each time the connection closes (messages may be lost until the next `onUp`). */
  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** A round trip on the subscriber connection (PING is allowed in subscribe mode). */
  async ping(): Promise<void> {
    await this.connection.ping();
  }

  /** Drops the connection so that ioredis reconnects (after a failed heartbeat). */
  reconnect(): void {
    if (!this.closed) this.connection.disconnect(true);
  }

  /** Quits the connection; handlers are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.up = false;
    this.handlers.clear();
    this.upListeners.clear();
    this.downListeners.clear();
    await closeClient(this.connection);
  }

  private async resubscribe(): Promise<void> {
    if (this.closed) return;
    const channels = [...this.handlers.keys()];
    try {
      if (channels.length > 0) await this.connection.subscribe(...channels);
    } catch (err) {
      // The connection dropped again (the next 'ready' retries) or refused SUBSCRIBE: force a new cycle.
      this.logger.warn({ err: errorMessage(err) }, "redis subscriber could not resubscribe");
      if (this.connection.status === "ready") this.reconnect();
      return;
    }
    if (this.closed || this.connection.status !== "ready") return;
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
