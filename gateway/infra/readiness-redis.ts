/**
 * Readiness figures shared by every gateway on one Redis (docs/migration.md, "Several gateways").
 *
 * Each gateway writes, every `periodMs` (1 s), the snapshots of the projects whose figures changed
 * since its last write (readiness-snapshot.ts) into its own hash
 * `${prefix}{readiness}:gateway:${id}` (App ID → snapshot JSON, plus a marker field `~`), and gives
 * that key a TTL of `ttlMs` (5 s), in one MULTI/EXEC of plain writes ({@link WRITE_COMMANDS}: no
 * script, no read). A gateway is live while its hash exists: one that stops writing (crashed, cut
 * off) drops out when the TTL runs out, one that closes deletes its hash at once. The sorted set
 * `${prefix}{readiness}:gateways` is only the index of the hashes, scored with each gateway's last
 * write (its wall clock, ms); a reader removes the ids whose hash is gone, and each write removes
 * ids not refreshed for {@link INDEX_RETENTION_MS} (an hour: far beyond any clock skew).
 *
 * A report ({@link RedisReadinessShare.read}) reads, in one script, the project's field of the
 * `maxGateways` most recently written other gateways; the gateway adds its own current figures
 * from memory. Another gateway's figures are thus at most one period (plus a write) old; this
 * one's are never.
 *
 * Nothing here is on the login path: decisions only mark projects changed (a Set add in the
 * tracker); the writes run on a timer, and a failed write is retried in full at the next period.
 * Bounds: a snapshot is at most `maxSnapshotBytes` (256 KiB; encodeSnapshot leaves the uid lists
 * out past it, and a reader skips a larger value), a write at most `maxFlushBytes` (4 MiB) and
 * {@link MAX_FIELDS_PER_WRITE} fields (the rest waits for the next period), a read at most
 * `maxGateways` (32) snapshots. The hash holds at most the tracker's projects plus the projects
 * with live sessions here.
 */
import { createHash, randomBytes } from "node:crypto";
import type { SessionInfo } from "../../core/session/session.js";
import type { Logger } from "../logger.js";
import { countLive, type PeerFigures, type ReadinessPeers, type ReadinessTracker } from "../migration/readiness.js";
import { decodeSnapshot, encodeSnapshot, noLive, type LiveCounts, type ReadinessSnapshot } from "../migration/readiness-snapshot.js";
import { errorMessage, withTimeout, type RedisConnection } from "./redis-clients.js";
import { DEFAULT_KEY_PREFIX, redisKeys } from "./redis-keys.js";

export interface RedisReadinessShareOptions {
  readonly logger: Logger;
  /** Prefix of the keys. Default `rtm-auth:`. */
  readonly keyPrefix?: string;
  /** This gateway's id: 1-64 characters of [0-9A-Za-z_-] (a gateway passes its ownership id). Default 16 random hex characters. */
  readonly gatewayId?: string;
  /** How often this gateway writes its changed figures, ms. Default 1000. */
  readonly periodMs?: number;
  /** How long a gateway's figures outlive its last write, ms; at least twice `periodMs`. Default 5000. */
  readonly ttlMs?: number;
  /** Other gateways a report reads at most. Default 32. */
  readonly maxGateways?: number;
  /** One project's snapshot at most, bytes. Default 256 KiB. */
  readonly maxSnapshotBytes?: number;
  /** Snapshot bytes one write sends at most (the rest waits for the next period). Default 4 MiB. */
  readonly maxFlushBytes?: number;
  /** How long a report waits for Redis before answering with this gateway's figures alone, ms. Default 1000. */
  readonly readTimeoutMs?: number;
}

export interface RedisReadinessShareDeps {
  /** The command connection (fail-fast, see redis-clients.ts; a cluster's too); not closed here. */
  readonly redis: RedisConnection;
  readonly tracker: ReadinessTracker;
  /** This gateway's live sessions, all projects. */
  readonly sessions: () => Iterable<SessionInfo>;
  /** The simulated clock, Unix seconds. */
  readonly nowSeconds: () => number;
}

/** Hash fields (snapshots written plus removed) one write sends at most. */
export const MAX_FIELDS_PER_WRITE = 1_000;
/** How long an id stays in the gateways index without a write (the reader removes dead ones sooner). */
export const INDEX_RETENTION_MS = 3_600_000;
/**
 * The commands of one periodic write, inside MULTI/EXEC (for tests that account for Redis
 * commands: these come once per period and gateway, whatever the number of logins).
 */
export const WRITE_COMMANDS: readonly string[] = ["multi", "exec", "del", "hdel", "hset", "pexpire", "zadd", "zremrangebyscore"];
/** The marker field: present while the gateway's figures are in Redis (App IDs are 32 hex, never `~`). */
const MARKER = "~";
const WARN_EVERY_MS = 10_000;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  // SHA-1 names the script for EVALSHA (Redis's choice; no security use).
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS: the gateways index. ARGV: hash key base, App ID, max gateways, own id, max snapshot bytes.
 * Reads the most recently written gateways first; removes from the index those whose hash is gone.
 * → { ids in the index, then per other live gateway read: id, snapshot ('' = none of this
 *   project, '!' .. length = over the limit) }
 */
const READ = script(`
local max = tonumber(ARGV[3])
local limit = tonumber(ARGV[5])
local ids = redis.call('ZREVRANGE', KEYS[1], 0, max)
local out = { 0 }
local taken = 0
for _, id in ipairs(ids) do
  if id ~= ARGV[4] and taken < max then
    local v = redis.call('HMGET', ARGV[1] .. id, '${MARKER}', ARGV[2])
    if v[1] then
      taken = taken + 1
      local snap = v[2]
      if not snap then snap = '' elseif string.len(snap) > limit then snap = '!' .. string.len(snap) end
      out[#out + 1] = id
      out[#out + 1] = snap
    else
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
out[1] = redis.call('ZCARD', KEYS[1])
return out
`);

const sameLive = (a: LiveCounts | undefined, b: LiveCounts): boolean =>
  a !== undefined && a.appid === b.appid && a.token === b.token && a.primary === b.primary && a.secondary === b.secondary;

export class RedisReadinessShare implements ReadinessPeers {
  /** This gateway's id in the gateways set. */
  readonly gatewayId: string;
  private readonly redis: RedisConnection;
  private readonly tracker: ReadinessTracker;
  private readonly sessions: () => Iterable<SessionInfo>;
  private readonly nowSeconds: () => number;
  private readonly logger: Logger;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly ownKey: string;
  private readonly periodMs: number;
  private readonly ttlMs: number;
  private readonly maxGateways: number;
  private readonly maxSnapshotBytes: number;
  private readonly maxFlushBytes: number;
  private readonly readTimeoutMs: number;
  /**
   * Projects to write (or delete) at the next write: changed, dropped, or left over by a full budget.
   * At most the tracked projects (maxProjects), those with live sessions here, and those dropped
   * since the last write (at most maxProjects, else the tracker asks for a full write instead).
   */
  private readonly pending = new Set<string>();
  /** Live sessions per project as last seen, to notice a change (projects with live sessions only: at most MAX_CONNECTIONS). */
  private lastLive = new Map<string, LiveCounts>();
  /** The next write deletes the hash and writes every project (first write, after a failure or a loss). */
  private needFull = true;
  /** Whether this gateway's hash was written since the last full write began. */
  private written = false;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private failing = false;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(deps: RedisReadinessShareDeps, options: RedisReadinessShareOptions) {
    this.redis = deps.redis;
    this.tracker = deps.tracker;
    this.sessions = deps.sessions;
    this.nowSeconds = deps.nowSeconds;
    this.logger = options.logger.child({ component: "readiness-redis" });
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.gatewayId = options.gatewayId ?? randomBytes(8).toString("hex");
    this.ownKey = this.keys.readinessGateway(this.gatewayId);
    this.periodMs = options.periodMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 5_000;
    this.maxGateways = options.maxGateways ?? 32;
    this.maxSnapshotBytes = options.maxSnapshotBytes ?? 256 * 1024;
    this.maxFlushBytes = options.maxFlushBytes ?? 4 * 1024 * 1024;
    this.readTimeoutMs = options.readTimeoutMs ?? 1_000;
    if (!(Number.isInteger(this.periodMs) && this.periodMs >= 10)) throw new RangeError("periodMs must be a whole number of ms >= 10");
    if (!(Number.isInteger(this.ttlMs) && this.ttlMs >= 2 * this.periodMs)) throw new RangeError("ttlMs must be a whole number of ms, at least twice periodMs");
    if (!(Number.isInteger(this.maxGateways) && this.maxGateways >= 1)) throw new RangeError("maxGateways must be >= 1");
  }

  /** Makes the tracker merge the other gateways' figures, and writes this gateway's every period (the first at once). */
  start(): void {
    if (this.closed || this.timer !== null) return;
    this.tracker.share(this);
    this.timer = setInterval(() => void this.flush(), this.periodMs);
    this.timer.unref();
    void this.flush();
  }

  /**
   * Writes this gateway's changed figures now (at most one write at a time: a call during a write
   * waits for it). Never rejects: a failure is logged (at most every 10 s) and the next write
   * sends everything again.
   */
  flush(): Promise<void> {
    this.inFlight ??= this.write()
      .catch((err: unknown) => {
        this.needFull = true;
        this.failed(err);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private async write(): Promise<void> {
    if (this.closed) return;
    const changes = this.tracker.takeChanges();
    const live = new Map<string, LiveCounts>();
    for (const s of this.sessions()) {
      let c = live.get(s.appId);
      if (c === undefined) live.set(s.appId, (c = noLive()));
      countLive(c, s);
    }
    const full = changes.full || this.needFull;
    if (full) {
      this.pending.clear();
      for (const appId of this.tracker.trackedAppIds()) this.pending.add(appId);
      for (const appId of live.keys()) this.pending.add(appId);
    } else {
      for (const appId of changes.changed) this.pending.add(appId);
      for (const appId of changes.dropped) this.pending.add(appId);
      for (const [appId, counts] of live) if (!sameLive(this.lastLive.get(appId), counts)) this.pending.add(appId);
      for (const appId of this.lastLive.keys()) if (!live.has(appId)) this.pending.add(appId);
    }
    this.lastLive = live;

    const now = this.nowSeconds();
    const removed: string[] = [];
    const set: string[] = [];
    const done: string[] = [];
    let bytes = 0;
    for (const appId of this.pending) {
      if (done.length >= MAX_FIELDS_PER_WRITE) break;
      const snapshot = this.tracker.snapshot(appId, now, live.get(appId) ?? noLive());
      if (snapshot === null) {
        if (!full) removed.push(appId);
      } else {
        const json = encodeSnapshot(snapshot, this.maxSnapshotBytes, this.tracker.recentUids);
        const size = Buffer.byteLength(json);
        if (bytes + size > this.maxFlushBytes && set.length > 0) break;
        set.push(appId, json);
        bytes += size;
      }
      done.push(appId);
    }

    let markerAdded: number;
    try {
      if (this.redis.status !== "ready") throw new Error("the connection is down");
      const wall = Date.now();
      const m = this.redis.multi();
      if (full) m.del(this.ownKey);
      if (removed.length > 0) m.hdel(this.ownKey, ...removed);
      if (set.length > 0) m.hset(this.ownKey, ...set);
      // 1 when the marker was not there: the hash was new (or gone, if this is not a full write).
      m.hset(this.ownKey, MARKER, "1");
      m.pexpire(this.ownKey, this.ttlMs);
      m.zadd(this.keys.readinessGateways, wall, this.gatewayId);
      m.zremrangebyscore(this.keys.readinessGateways, "-inf", wall - INDEX_RETENTION_MS);
      m.pexpire(this.keys.readinessGateways, INDEX_RETENTION_MS);
      const replies = await m.exec();
      if (replies === null) throw new Error("the write was discarded");
      for (const [err] of replies) if (err) throw err;
      markerAdded = Number(replies[(full ? 1 : 0) + (removed.length > 0 ? 1 : 0) + (set.length > 0 ? 1 : 0)]?.[1]);
    } catch (err) {
      // Whether it was applied is unknown (a timeout) or it was not: either way, all again next time.
      this.needFull = true;
      this.failed(err);
      return;
    }
    for (const appId of done) this.pending.delete(appId);
    if (!full && this.written && markerAdded === 1) {
      // The hash was gone (expired while we could not write, a flush, a restart): all again.
      this.needFull = true;
      this.logger.info("readiness figures were gone from Redis; writing them all again");
    } else this.needFull = false;
    this.written = true;
    if (this.failing) {
      this.failing = false;
      this.logger.info("readiness figures shared again");
    }
  }

  /**
   * The other live gateways' snapshots of `appId`. Never rejects: Redis down, slow (past
   * `readTimeoutMs`) or closed is `{ok: false, warning}`.
   */
  async read(appId: string): Promise<PeerFigures> {
    if (this.closed) return { ok: false, warning: "figures of this gateway only: it is closing" };
    let reply: unknown;
    try {
      if (this.redis.status !== "ready") throw new Error("the connection is down");
      reply = await withTimeout(
        this.run(READ, [this.keys.readinessGateways], [this.keys.readinessGatewayBase, appId, String(this.maxGateways), this.gatewayId, String(this.maxSnapshotBytes)]),
        this.readTimeoutMs,
        "the readiness read",
      );
    } catch (err) {
      return { ok: false, warning: `figures of this gateway only: the other gateways' could not be read from Redis (${errorMessage(err)})` };
    }
    if (!Array.isArray(reply) || reply.length % 2 !== 1) return { ok: false, warning: "figures of this gateway only: Redis gave an unexpected reply" };
    const indexed = Number(reply[0]);
    const snapshots: ReadinessSnapshot[] = [];
    const warnings: string[] = [];
    const gateways = (reply.length - 1) / 2;
    for (let i = 1; i < reply.length; i += 2) {
      const id = String(reply[i]);
      const value = String(reply[i + 1] ?? "");
      if (value === "") continue;
      if (value.startsWith("!")) {
        warnings.push(`gateway ${id}: its figures of this project are ${value.slice(1)} bytes, over the ${this.maxSnapshotBytes}-byte limit; left out`);
        continue;
      }
      const decoded = decodeSnapshot(value);
      if (decoded.ok) snapshots.push(decoded.snapshot);
      else warnings.push(`gateway ${id}: its figures of this project are left out (${decoded.why})`);
    }
    // The index may still hold gateways that died lately (their hash expired): only a hint.
    if (gateways === this.maxGateways && indexed - 1 > gateways) {
      warnings.push(`more than ${gateways} other gateways may be live; only the ${gateways} most recently written are read (maxGateways), any others are left out`);
    }
    return { ok: true, snapshots, gateways, warnings };
  }

  /**
   * Stops writing, waits for a write in flight, and deletes this gateway's figures from Redis (so
   * the others drop it at once; if that fails, they drop it when its TTL runs out). Idempotent;
   * does not close the connection.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
    await this.inFlight;
    if (this.redis.status !== "ready") return;
    try {
      await withTimeout(Promise.all([this.redis.del(this.ownKey), this.redis.zrem(this.keys.readinessGateways, this.gatewayId)]), 1_000, "deleting the readiness figures");
    } catch (err) {
      this.logger.debug({ err: errorMessage(err) }, "readiness figures not deleted at close; they expire by themselves");
    }
  }

  private failed(err: unknown): void {
    this.failing = true;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn({ err: errorMessage(err) }, "readiness figures could not be shared; other gateways' reports lack this one's until Redis answers");
  }

  private async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!errorMessage(err).startsWith("NOSCRIPT")) throw err;
      return await this.redis.eval(s.source, keys.length, ...keys, ...args);
    }
  }
}
