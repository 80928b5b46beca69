/**
 * The Redis CertificateStore: projects shared by every gateway of a deployment.
 *
 * Reads (`auth`, `get`, `list`) are synchronous and served from this process's copy: a login
 * never makes a Redis round trip for certificates. The copy is kept current by
 * - loading everything at `start()` (after subscribing, so no change is missed in between): the
 *   index of projects, then each project's record and version in one script per project; on one
 *   server or Sentinel the keys of the earlier one-server layout are moved first
 *   (legacy-migration.ts);
 * - the change channel: every write publishes `{appId, version}`; on a message with a version
 *   newer than ours, the project is read again and applied if still newer;
 * - a full reload after a connection (command or subscriber) comes back, since messages may
 *   have been lost while it was down.
 *
 * Writes are atomic per project: `update` reads the record from Redis, computes the next one,
 * and stores it with a Lua compare-and-set on the version (record, version, mark and idempotency
 * record: one project's keys, one hash tag, one slot), retrying a bounded number of times on a
 * concurrent write. Versions only grow, even across a delete (see redis-keys.ts): any two reads
 * can be ordered. One server or Sentinel: the same script adds the App ID to the index and
 * PUBLISHes the change. Redis Cluster (docs/redis.md, "Redis Cluster"): the index is written
 * before the script and the change is announced with SPUBLISH after it (other slots), retried in
 * the background while that fails.
 *
 * Write outcomes are never guessed (docs/redis.md, "Write outcomes"). Each write attempt has a
 * random id and leaves a short-lived mark (`applied`, `conflict`, `replayed`) in the same script.
 * - Not sent (the connection was down: no offline queue) or refused by Redis: StoreUnavailable,
 *   and it is true that nothing changed.
 * - Sent but no reply (timeout, connection lost mid-flight): the store reads the mark back
 *   within `settleTimeoutMs`. A missing mark is replaced by `fenced` in the same atomic step, so
 *   the attempt, should it still reach Redis later, does nothing. `applied` resolves the update;
 *   `fenced` or `conflict` is a true StoreUnavailable (or a retry of the compare-and-set); no
 *   answer in time is WriteOutcomeUnknown (the admin API's 503 `outcome_unknown`).
 * - With an idempotency key, the script records the key when it applies the write and refuses
 *   to apply a second write with the same key (for 24 h): repeating a write whose outcome was
 *   unknown is safe, whether or not the first one lands later.
 *
 * Health: while both connections are up the copy is fresh. The staleness window counts from
 * the last good contact (a reply on the command connection, a PONG or a message on the
 * subscriber, whichever is older), not from when the loss was noticed; once it is longer than
 * `maxStalenessMs`, `auth()` throws StoreUnavailable (fail closed) until a reload succeeds. A
 * heartbeat PINGs both connections so that a silently dead peer is noticed.
 *
 * A reload that finds Redis empty although this gateway knew projects before (a restart without
 * persistence, a flush) is logged as a warning, reported by `readinessWarning()` (for
 * `/readyz`) and announced to `onEmptied` listeners (the dev seed is re-applied there).
 *
 * The ioredis clients must fail fast while disconnected (`enableOfflineQueue: false`, checked
 * here; see redis-clients.ts for the full recommended set, for a cluster too).
 *
 * Certificate values are never logged: only App IDs, versions and error messages are.
 */
import { createHash, randomBytes } from "node:crypto";
import { ReplyError, type Redis } from "ioredis";
import type { CertificateStore, ProjectUpdate, WriteOptions } from "../../core/certificate/certificate-store.js";
import { ProjectAuthCache } from "../../core/certificate/project-auth-cache.js";
import type { CertificateRecord, ProjectAuth, ProjectRecord } from "../../core/certificate/project.js";
import type { ShadowTarget } from "../../core/protocol/admin.js";
import { StoreUnavailable, WriteOutcomeUnknown } from "../../core/errors.js";
import type { Logger } from "../logger.js";
import { storedRollout } from "../migration/rollout-schema.js";
import { migrateLegacyProjects, scanKeys } from "./legacy-migration.js";
import { assertFailFast, closeClient, errorMessage, isCluster, publish, waitForReady, withTimeout, type RedisConnection, type SubscriberConnection } from "./redis-clients.js";
import { DEFAULT_KEY_PREFIX, isValidAppId, redisKeys, type RedisKeys } from "./redis-keys.js";
import { RedisSubscriber } from "./redis-subscriber.js";

export interface RedisCertificateStoreOptions {
  /** Prefix of every key and channel. Default `rtm-auth:`. */
  readonly keyPrefix?: string;
  /** How long the copy may serve `auth()` while out of touch with Redis. Default 30 000 ms. */
  readonly maxStalenessMs?: number;
  /** Milliseconds, for staleness and `lastSyncAt`. Default Date.now. */
  readonly now?: () => number;
  readonly logger: Logger;
  /**
   * Interval of the PING on both connections (0 = none). Default a quarter of `maxStalenessMs`,
   * between 100 and 5 000 ms, so a healthy link is heard from well within the staleness window.
   */
  readonly heartbeatMs?: number;
  /** Compare-and-set attempts of one `update` before it gives up (StoreUnavailable). Default 20. */
  readonly maxWriteAttempts?: number;
  /** How long `start()` waits for the connections. Default 10 000 ms. */
  readonly startTimeoutMs?: number;
  /** Whether `close()` quits the two connections. Default true. */
  readonly ownsConnections?: boolean;
  /**
   * How long a write whose reply was lost may spend reading its outcome back before it is
   * reported as unknown (WriteOutcomeUnknown). Default 2 000 ms.
   */
  readonly settleTimeoutMs?: number;
}

export interface RedisStoreConnections {
  /** The command connection (reads, scripts, PUBLISH): one server's, a Sentinel primary's, or a cluster's. */
  readonly redis: RedisConnection;
  /** The subscriber side (redis-clients.ts), or a RedisSubscriber shared with other pub/sub users. */
  readonly subscriber: SubscriberConnection | RedisSubscriber;
}

/** For /readyz and metrics. */
export interface RedisStoreStatus {
  /** Both connections up and the copy in sync. */
  readonly connected: boolean;
  /** When the copy was last loaded in full (ms, `now()`), null before the first load. */
  readonly lastSyncAt: number | null;
  /** `auth()` refuses (not loaded yet, or out of touch for longer than maxStalenessMs). */
  readonly stale: boolean;
  /**
   * The last good contact with Redis (ms, `now()`): the older of the last reply on the command
   * connection and the last PONG or message on the subscriber; null before the first. The
   * staleness window counts from here.
   */
  readonly lastContactAt: number | null;
}

/** How long a write attempt's mark lives: far longer than any reply can take to be read back. */
export const WRITE_MARK_TTL_MS = 120_000;
/** How long a `fenced` mark lives: longer than a stalled write can linger in a socket buffer. */
export const FENCE_TTL_MS = 3_600_000;
/** How long an idempotency key is remembered after its write was applied. */
export const IDEMPOTENCY_TTL_MS = 86_400_000;
/** The longest idempotency key accepted (the store keeps only its SHA-256). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 512;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS: project, version[, idempotency[, legacy idempotency]].
 * → [json | nil, version | nil, version the idempotent write produced | nil]
 */
const READ = script(`
local done = false
if KEYS[3] then
  done = redis.call('GET', KEYS[3])
  if not done and KEYS[4] then done = redis.call('GET', KEYS[4]) end
end
return { redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), done }
`);

/** What a write script answers, and what a write attempt's mark says. */
const OUTCOME = { conflict: 0, applied: 1, fenced: 2, replayed: 3 } as const;

/**
 * KEYS (all of one project: one slot): project, version, attempt mark[, idempotency[, legacy
 * idempotency]]. ARGV: expected version, JSON ('' deletes), mark TTL ms, idempotency TTL ms,
 * channel ('' = announced by the caller: SPUBLISH in a cluster), appId, index ('' = written by
 * the caller: in a cluster it is in another slot).
 * → [1, version] written; [0, current version] on a conflict; [2, 0] when the attempt was fenced
 * by a read-back before it ran; [3, version] when a write with the same idempotency key was applied.
 */
const WRITE = script(`
if redis.call('EXISTS', KEYS[3]) == 1 then return { 2, 0 } end
if KEYS[4] then
  local done = redis.call('GET', KEYS[4])
  if not done and KEYS[5] then done = redis.call('GET', KEYS[5]) end
  if done then
    redis.call('SET', KEYS[3], 'replayed', 'PX', ARGV[3])
    return { 3, tonumber(done) }
  end
end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current ~= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[3], 'conflict', 'PX', ARGV[3])
  return { 0, current }
end
local version = current + 1
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('SET', KEYS[2], version)
if ARGV[7] ~= '' then redis.call('SADD', ARGV[7], ARGV[6]) end
redis.call('SET', KEYS[3], 'applied', 'PX', ARGV[3])
if KEYS[4] then redis.call('SET', KEYS[4], version, 'PX', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], '{"appId":"' .. ARGV[6] .. '","version":' .. version .. '}') end
return { 1, version }
`);

/**
 * The read-back of a write attempt whose reply was lost. KEYS: attempt mark. ARGV: fence TTL ms.
 * → the mark (`applied`, `conflict`, `replayed`), or `fenced`: there was none, and now the
 * attempt can never run (the write scripts check the mark first).
 */
const FENCE = script(`
local state = redis.call('GET', KEYS[1])
if state then return state end
redis.call('SET', KEYS[1], 'fenced', 'PX', ARGV[1])
return 'fenced'
`);

/** Projects read at once by a reload (each one EVALSHA; the rest wait). */
const LOAD_CONCURRENCY = 256;

/** ioredis rejects a command at once, unsent, when the connection (or the cluster) is down (no offline queue). */
const UNSENT_MESSAGES = new Set(["Stream isn't writeable and enableOfflineQueue options is false", "Cluster isn't ready and enableOfflineQueue options is false"]);

/** A command that was never sent to Redis (so it cannot have been applied). */
class NotSent extends Error {}

const HEX32_LOWER = /^[0-9a-f]{32}$/;

function isCertificate(c: unknown): c is CertificateRecord {
  if (c === null || typeof c !== "object") return false;
  const r = c as Record<string, unknown>;
  return typeof r.value === "string" && HEX32_LOWER.test(r.value) && Number.isFinite(r.enabledAt) && Number.isFinite(r.activeAt);
}

/** The stored form of a record: exactly the ProjectRecord fields, in a fixed order. */
function normalize(p: ProjectRecord, version: number): ProjectRecord {
  const cert = (c: CertificateRecord | null): CertificateRecord | null => (c === null ? null : { value: c.value, enabledAt: c.enabledAt, activeAt: c.activeAt });
  const shadow = shadowOf(p.shadow);
  const rollout = storedRollout(p.rollout);
  return {
    appId: p.appId,
    noCertificate: p.noCertificate,
    primary: cert(p.primary),
    secondary: cert(p.secondary),
    enabled: p.enabled,
    version,
    ...(shadow === undefined ? {} : { shadow }),
    ...(rollout === undefined ? {} : { rollout }),
  };
}

/** A stored shadow target in its exact shape, or undefined (absent, or not one: it is then dropped, never fatal). */
function shadowOf(v: unknown): ShadowTarget | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const t = v as Record<string, unknown>;
  if (t.target === "token_only") return { target: "token_only" };
  if (t.target === "delete_certificate" && (t.slot === "primary" || t.slot === "secondary")) return { target: "delete_certificate", slot: t.slot };
  return undefined;
}

/** A stored record, or undefined when it is not one (never echoing its content). */
function parseRecord(appId: string, json: string, version: number): ProjectRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object") return undefined;
  const r = v as Record<string, unknown>;
  if (r.appId !== appId || typeof r.noCertificate !== "boolean" || typeof r.enabled !== "boolean") return undefined;
  if (r.primary !== null && !isCertificate(r.primary)) return undefined;
  if (r.secondary !== null && !isCertificate(r.secondary)) return undefined;
  return normalize(r as unknown as ProjectRecord, version);
}

function toInt(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) ? n : 0;
}

const sameRecord = (a: ProjectRecord | undefined, b: ProjectRecord | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A project as read from Redis: its record (undefined when absent or unreadable) and its version. */
interface Read {
  readonly record: ProjectRecord | undefined;
  readonly version: number;
  readonly unreadable: boolean;
  /** A write with the caller's idempotency key has been applied already. */
  readonly replayed: boolean;
}

/** What a write script answered, or what reading its mark back showed. */
interface WriteReply {
  readonly outcome: (typeof OUTCOME)[keyof typeof OUTCOME];
  /** The script's second value (a version, or the deleted projects), when it answered itself. */
  readonly value: unknown;
}

/** Redis came back empty: when (`now()`), and how many projects the copy held before. */
interface Emptied {
  readonly at: number;
  readonly lost: number;
}

export class RedisCertificateStore implements CertificateStore {
  private readonly redis: RedisConnection;
  /** A cluster: changes are announced with SPUBLISH after the write, not PUBLISH inside it. */
  private readonly sharded: boolean;
  /** One server or Sentinel: the layout before hash tags may exist and is migrated at each load. */
  private readonly migrateLegacy: boolean;
  private readonly subscriber: RedisSubscriber;
  private readonly keys: RedisKeys;
  private readonly maxStalenessMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly heartbeatMs: number;
  private readonly maxWriteAttempts: number;
  private readonly startTimeoutMs: number;
  private readonly ownsConnections: boolean;
  private readonly settleTimeoutMs: number;

  // The local copy.
  private projects = new Map<string, ProjectRecord>();
  /** Last known version per App ID, deleted projects included. */
  private versions = new Map<string, number>();
  /** Stored records that could not be parsed: `auth()` refuses them (StoreUnavailable). */
  private unreadable = new Set<string>();
  private readonly cache = new ProjectAuthCache();
  private readonly listeners = new Set<(appId: string) => void>();
  private readonly reloadListeners = new Set<() => void>();
  private readonly emptiedListeners = new Set<() => void>();

  // Health.
  private loaded = false;
  private started = false;
  private closed = false;
  /** Since when (ms) the copy has not been known to be in sync; undefined while it is. */
  private downSince: number | undefined;
  private lastSyncAt: number | null = null;
  /** Incremented on each loss of touch: a reload only clears `downSince` if none happened meanwhile. */
  private epoch = 0;
  /** Last reply on the command connection, last PONG or message on the subscriber (ms, `now()`). */
  private commandContactAt: number | undefined;
  private subscriberContactAt: number | undefined;
  /** Set when a reload found Redis empty; cleared once the copy holds as many projects again. */
  private emptied: Emptied | undefined;

  // Background work.
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Cluster: changes not announced yet (SPUBLISH failed), newest version per project. */
  private readonly announcements = new Map<string, { version: number; since: number }>();
  private announcing = false;
  private readonly refreshing = new Set<string>();
  private readonly refreshAgain = new Set<string>();
  private reloading = false;
  private pendingDuringReload = new Set<string>();
  private resyncRunning = false;
  private resyncAgain = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncDelayMs = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly detach: Array<() => void> = [];

  constructor(connections: RedisStoreConnections, options: RedisCertificateStoreOptions) {
    assertFailFast(connections.redis, "command");
    this.redis = connections.redis;
    this.sharded = isCluster(connections.redis);
    this.migrateLegacy = !this.sharded;
    this.logger = options.logger.child({ component: "certificate-store-redis" });
    this.subscriber = connections.subscriber instanceof RedisSubscriber ? connections.subscriber : new RedisSubscriber(connections.subscriber, { logger: options.logger });
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.maxStalenessMs = options.maxStalenessMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? Math.min(5_000, Math.max(100, Math.floor(this.maxStalenessMs / 4)));
    this.maxWriteAttempts = Math.max(1, options.maxWriteAttempts ?? 20);
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.ownsConnections = options.ownsConnections ?? true;
    this.settleTimeoutMs = options.settleTimeoutMs ?? 2_000;
    if (!(this.maxStalenessMs >= 0)) throw new TypeError("maxStalenessMs must be >= 0");
    if (!(this.settleTimeoutMs >= 0)) throw new TypeError("settleTimeoutMs must be >= 0");
  }

  /**
   * Connects, subscribes to the change channel, then loads every project. Rejects with
   * StoreUnavailable when Redis cannot be reached within `startTimeoutMs`.
   */
  async start(): Promise<void> {
    if (this.closed) throw new StoreUnavailable("the certificate store is closed");
    if (!this.started) {
      this.started = true;
      const onClose = (): void => this.lostTouch("command connection closed");
      const onReady = (): void => {
        this.commandContactAt = this.now(); // the ready check was answered
        this.connectionBack();
      };
      const onError = (err: unknown): void => this.logger.debug({ err: errorMessage(err) }, "redis command connection error");
      this.redis.on("close", onClose);
      this.redis.on("ready", onReady);
      this.redis.on("error", onError);
      this.detach.push(
        () => this.redis.off("close", onClose),
        () => this.redis.off("ready", onReady),
        () => this.redis.off("error", onError),
        this.subscriber.onDown(() => this.lostTouch("subscriber connection closed")),
        this.subscriber.onUp(() => {
          this.subscriberContactAt = this.now(); // every channel subscribed again: Redis answered
          this.connectionBack();
        }),
      );
      if (this.heartbeatMs > 0) {
        this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
        this.heartbeat.unref();
      }
    }
    try {
      this.unsubscribe ??= await this.subscriber.subscribe(this.keys.changes, (m) => this.onMessage(m));
      this.subscriberContactAt = this.now();
      await waitForReady(this.redis, this.startTimeoutMs);
      const epoch = this.epoch;
      await this.loadAll();
      this.downSince = undefined;
      if (epoch !== this.epoch || !this.connectionsUp()) this.lostTouch("a connection dropped during the first load");
    } catch (err) {
      throw err instanceof StoreUnavailable ? err : new StoreUnavailable(`certificate store could not start: ${errorMessage(err)}`);
    }
    this.logger.info({ projects: this.projects.size }, "certificate store loaded from redis");
  }

  // ---- reads: the local copy ----

  auth(appId: string, now: number): ProjectAuth | undefined {
    // The same rule as isReady(): a stall not yet noticed still ends the window after the last contact.
    if (this.downSince !== undefined || !this.loaded || this.isStale()) this.assertFresh();
    const p = this.projects.get(appId);
    if (p === undefined) {
      if (this.unreadable.size > 0 && this.unreadable.has(appId)) throw new StoreUnavailable(`the stored record of ${appId} is unreadable`);
      return undefined;
    }
    if (!p.enabled) return undefined;
    return this.cache.view(p, now);
  }

  get(appId: string): ProjectRecord | undefined {
    return this.projects.get(appId);
  }

  list(): readonly ProjectRecord[] {
    return [...this.projects.values()].sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  }

  /** True once `close()` was called. */
  isClosed(): boolean {
    return this.closed;
  }

  /** False before the first load and while the copy is too stale for `auth()`. */
  isReady(): boolean {
    return this.loaded && !this.isStale();
  }

  status(): RedisStoreStatus {
    return {
      connected: this.loaded && this.downSince === undefined && this.connectionsUp(),
      lastSyncAt: this.lastSyncAt,
      stale: !this.isReady(),
      lastContactAt: this.lastContact() ?? null,
    };
  }

  /**
   * For `/readyz`: why the project count may surprise, or undefined. Set when a reload found
   * Redis empty although this gateway knew projects (restarted without persistence, or
   * flushed); it stays until the copy holds at least as many projects as before the loss.
   */
  readinessWarning(): string | undefined {
    const e = this.emptied;
    if (e === undefined) return undefined;
    if (this.projects.size >= e.lost) {
      this.emptied = undefined;
      return undefined;
    }
    return (
      `Redis came back empty at ${new Date(e.at).toISOString()} (restarted without persistence, or flushed): ` +
      `${e.lost} project(s) were known before, ${this.projects.size} now; re-create the missing ones`
    );
  }

  /** Calls `listener` after a reload that found Redis empty although this gateway knew projects. */
  onEmptied(listener: () => void): () => void {
    this.emptiedListeners.add(listener);
    return () => this.emptiedListeners.delete(listener);
  }

  onChange(listener: (appId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` after each full reload that re-synchronises the copy (not the first load). */
  onReload(listener: () => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  // ---- writes ----

  /**
   * Reads the record from Redis (never the copy), applies `fn`, and stores the result with a
   * compare-and-set on the version. On a concurrent write by another gateway it starts over, so
   * `fn` may run more than once: it must be pure (the lifecycle functions are). `fn`'s own
   * errors pass through. Outcomes (docs/redis.md): resolves when applied (or, with
   * `idempotencyKey`, applied before: then to the current record, without running `fn`);
   * StoreUnavailable when not applied and never to be; WriteOutcomeUnknown when it may have been.
   */
  async update(appId: string, fn: ProjectUpdate, options: WriteOptions = {}): Promise<ProjectRecord | undefined> {
    const key = this.keys.project(appId); // validates the App ID
    const idempotency = this.idempotencyKeys(appId, options.idempotencyKey);
    if (this.closed) throw new StoreUnavailable("the certificate store is closed");
    // Writes of this process to one project queue up: only other gateways can conflict.
    return this.serialized(appId, () => this.writeProject(appId, key, fn, idempotency));
  }

  private async writeProject(appId: string, key: string, fn: ProjectUpdate, idempotency: readonly string[]): Promise<ProjectRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      const read = await this.read(appId, idempotency);
      if (read.unreadable) throw new StoreUnavailable(`the stored record of ${appId} is unreadable`);
      this.applyRead(appId, read);
      if (read.replayed) {
        this.announce(appId, read.version);
        return read.record;
      }
      const current = read.record;
      const next = fn(current);
      if (next === current) return current;
      if (next !== undefined && next.appId !== appId) throw new TypeError("an update may not change the App ID");
      const version = read.version + 1;
      const stored = next === undefined ? undefined : normalize(next, version);
      // The index names every project that may exist. One server or Sentinel: in the write
      // script. A cluster: written first (another slot), so a write that stops half-way leaves
      // an entry too many, never one missing.
      if (this.sharded) await this.command("index write", () => this.redis.sadd(this.keys.index, appId));
      const mark = this.keys.writeMark(appId, randomBytes(16).toString("hex"));
      const reply = await this.write(
        `write of ${appId}`,
        WRITE,
        [key, this.keys.version(appId), mark, ...idempotency],
        [
          String(read.version),
          stored === undefined ? "" : JSON.stringify(stored),
          String(WRITE_MARK_TTL_MS),
          String(IDEMPOTENCY_TTL_MS),
          this.sharded ? "" : this.keys.changes,
          appId,
          this.sharded ? "" : this.keys.index,
        ],
        mark,
      );
      if (reply.outcome === OUTCOME.applied) {
        this.apply(appId, stored, version);
        this.announce(appId, version);
        return stored;
      }
      if (reply.outcome === OUTCOME.replayed) {
        const now = await this.current(appId, idempotency);
        this.announce(appId, this.versions.get(appId) ?? 0);
        return now;
      }
      this.logger.debug({ appId, attempt }, "certificate store write conflict, retrying");
      if (attempt >= this.maxWriteAttempts) throw new StoreUnavailable(`too many concurrent writes to ${appId}`);
      await sleep(Math.floor(Math.random() * 5 * attempt));
    }
  }

  /**
   * Removes every project: one compare-and-set delete per project in the index (each atomic and
   * announced; docs/redis.md, "Key layout"). Outcomes as for `update`, with one more: when some
   * projects were deleted before a failure, WriteOutcomeUnknown (partly applied; repeating the
   * call completes it). With `idempotencyKey`, a clear that completed is not applied again for
   * 24 hours, and a repeat of one that stopped half-way skips the projects it deleted already.
   */
  async clear(options: WriteOptions = {}): Promise<void> {
    if (this.closed) throw new StoreUnavailable("the certificate store is closed");
    const digest = this.idempotencyDigest("clear", options.idempotencyKey);
    const record = digest === undefined ? undefined : this.keys.clearIdempotency(digest);
    if (record !== undefined) {
      const done = await this.command("clear read", () => this.redis.get(record));
      if (done !== null) {
        // Applied before with this key: the copy catches up with what Redis holds now.
        for (const id of [...this.projects.keys(), ...this.unreadable]) this.refresh(id);
        return;
      }
    }
    const listed = await this.command("clear read", () => this.redis.smembers(this.keys.index));
    const ids = [...new Set([...listed.filter(isValidAppId), ...this.projects.keys(), ...this.unreadable])].sort();
    let deleted = 0;
    for (const id of ids) {
      const key = options.idempotencyKey === undefined ? undefined : `clear\n${options.idempotencyKey}`;
      try {
        const before = this.projects.has(id) || this.unreadable.has(id);
        await this.serialized(id, () => this.writeProject(id, this.keys.project(id), () => undefined, this.idempotencyKeys(id, key)));
        if (before) deleted++;
      } catch (err) {
        if (err instanceof StoreUnavailable && deleted > 0 && !(err instanceof WriteOutcomeUnknown)) {
          throw new WriteOutcomeUnknown(`clear stopped after deleting ${deleted} of ${ids.length} projects (${err.message}); repeat it to finish`);
        }
        throw err;
      }
    }
    if (record !== undefined) await this.command("clear record", () => this.redis.set(record, "1", "PX", IDEMPOTENCY_TTL_MS));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    if (this.resyncTimer !== undefined) clearTimeout(this.resyncTimer);
    this.listeners.clear();
    this.reloadListeners.clear();
    this.emptiedListeners.clear();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    if (this.ownsConnections) {
      await Promise.all([closeClient(this.redis), this.subscriber.close()]);
    } else if (unsubscribe !== undefined) {
      await unsubscribe().catch(() => undefined);
    }
    for (const d of this.detach.splice(0)) d();
  }

  // ---- internals ----

  private isStale(): boolean {
    if (!this.loaded) return true;
    if (this.downSince !== undefined) return this.now() - this.downSince > this.maxStalenessMs;
    // A peer that stops answering without closing (a stalled Redis) is noticed only when a PING
    // times out; the window still ends maxStalenessMs after the last good contact, which the
    // heartbeat keeps recent while the link is healthy (found by test/chaos/redis-chaos.test.ts).
    if (this.heartbeatMs === 0) return false;
    const contact = this.lastContact();
    return contact !== undefined && this.now() - contact > this.maxStalenessMs;
  }

  private assertFresh(): void {
    if (this.closed) throw new StoreUnavailable("the certificate store is closed");
    if (!this.loaded) throw new StoreUnavailable("the certificate store has not loaded yet");
    if (this.isStale()) throw new StoreUnavailable(`the certificate store has been out of touch with redis for more than ${this.maxStalenessMs} ms`);
  }

  private connectionsUp(): boolean {
    return this.redis.status === "ready" && this.subscriber.isUp();
  }

  /** The last good contact with Redis: the older of the two connections' (undefined before any). */
  private lastContact(): number | undefined {
    const c = this.commandContactAt;
    const s = this.subscriberContactAt;
    return c === undefined ? s : s === undefined ? c : Math.min(c, s);
  }

  /**
   * A connection went down (or a refresh failed): the copy is no longer known to be in sync.
   * The staleness window counts from the last good contact, not from now (issue 11): a link
   * that died silently was out of touch since its last reply, however late that is noticed.
   */
  private lostTouch(why: string): void {
    if (this.closed) return;
    this.epoch++;
    if (this.downSince === undefined) {
      this.downSince = Math.min(this.now(), this.lastContact() ?? Number.POSITIVE_INFINITY);
      if (this.loaded) this.logger.warn({ why, maxStalenessMs: this.maxStalenessMs }, "certificate store lost touch with redis; serving its copy");
    }
    // Both connections may still be up (a failed refresh): resynchronise then.
    this.resync();
  }

  private connectionBack(): void {
    if (this.closed || !this.loaded) return;
    if (this.downSince !== undefined) this.resync();
  }

  /** Reloads everything once both connections are up; retries with a backoff while that fails. */
  private resync(): void {
    if (this.closed || !this.loaded) return;
    if (this.resyncRunning) {
      this.resyncAgain = true;
      return;
    }
    if (!this.connectionsUp() || this.resyncTimer !== undefined) return; // connectionBack() or the timer calls again
    this.resyncRunning = true;
    const epoch = this.epoch;
    void this.loadAll()
      .then(() => {
        this.resyncDelayMs = 0;
        if (epoch !== this.epoch || !this.connectionsUp()) {
          this.resyncAgain = true;
          return;
        }
        const downFor = this.downSince === undefined ? 0 : this.now() - this.downSince;
        this.downSince = undefined;
        this.logger.info({ downForMs: downFor, projects: this.projects.size }, "certificate store back in sync with redis");
      })
      .catch((err: unknown) => {
        if (this.closed) return;
        this.resyncDelayMs = Math.min(Math.max(this.resyncDelayMs * 2, 100), 5_000);
        this.logger.warn({ err: errorMessage(err), retryInMs: this.resyncDelayMs }, "certificate store reload failed");
        this.resyncTimer = setTimeout(() => {
          this.resyncTimer = undefined;
          this.resync();
        }, this.resyncDelayMs);
        this.resyncTimer.unref();
      })
      .finally(() => {
        this.resyncRunning = false;
        if (this.resyncAgain && !this.closed) {
          this.resyncAgain = false;
          if (this.downSince !== undefined) this.resync();
        }
      });
  }

  /** Loads one consistent snapshot and makes it the copy; emits onChange for what differs. */
  private async loadAll(): Promise<void> {
    this.reloading = true;
    this.pendingDuringReload = new Set();
    // Known before the load: versions are never removed from Redis (deletes and clear() keep
    // them), so a load that finds none means Redis lost its data.
    const knewVersions = this.versions.size > 0;
    const projectsBefore = this.projects.size;
    try {
      if (this.migrateLegacy) await this.migrateLegacyLayout();
      const ids = await this.projectIds();
      const versions = new Map<string, number>();
      const projects = new Map<string, ProjectRecord>();
      const unreadable = new Set<string>();
      // Each project is read atomically (record and version in one script); projects are not one
      // snapshot together, and need not be: a change during the load is heard on the channel
      // (subscribed first) and read again below.
      for (let i = 0; i < ids.length; i += LOAD_CONCURRENCY) {
        const batch = ids.slice(i, i + LOAD_CONCURRENCY);
        const reads = await Promise.all(batch.map((id) => this.read(id, [], false)));
        for (const [j, read] of reads.entries()) {
          const id = batch[j]!;
          if (read.version > 0) versions.set(id, read.version);
          if (read.unreadable) unreadable.add(id);
          else if (read.record !== undefined) projects.set(id, read.record);
        }
      }
      for (const id of unreadable) this.logger.error({ appId: id }, "stored project record is unreadable; its logins are refused");
      const changed: string[] = [];
      for (const id of new Set([...this.projects.keys(), ...projects.keys(), ...this.unreadable, ...unreadable])) {
        if (!sameRecord(this.projects.get(id), projects.get(id)) || this.unreadable.has(id) !== unreadable.has(id)) changed.push(id);
      }
      // A version of ours newer than the snapshot's came from a read served after it (or Redis
      // lost writes): read those again once the snapshot is in; the later read decides.
      for (const [id, v] of this.versions) if (v > (versions.get(id) ?? 0)) this.pendingDuringReload.add(id);
      this.projects = projects;
      this.versions = versions;
      this.unreadable = unreadable;
      this.cache.clear();
      const resync = this.loaded;
      this.loaded = true;
      this.lastSyncAt = this.now();
      const emptied = resync && knewVersions && versions.size === 0 && projects.size === 0 && unreadable.size === 0;
      if (emptied) {
        this.emptied = { at: this.now(), lost: Math.max(projectsBefore, this.emptied?.lost ?? 0) };
        this.logger.warn(
          { projectsBefore, keyPrefix: this.keys.prefix },
          "redis came back empty (restarted without persistence, or flushed): every project is gone; /readyz reports it",
        );
      }
      for (const id of changed) this.emit(id);
      if (resync) for (const l of this.reloadListeners) l();
      if (emptied) for (const l of this.emptiedListeners) l();
    } finally {
      this.reloading = false;
    }
    // Messages heard while the snapshot was in flight may be for changes after it.
    const pending = this.pendingDuringReload;
    this.pendingDuringReload = new Set();
    for (const id of pending) this.refresh(id);
  }

  private onMessage(message: string): void {
    if (this.closed) return;
    this.subscriberContactAt = this.now();
    let appId: unknown;
    let version: unknown;
    try {
      ({ appId, version } = JSON.parse(message) as { appId?: unknown; version?: unknown });
    } catch {
      // ignored below
    }
    if (!isValidAppId(appId) || typeof version !== "number" || !Number.isSafeInteger(version)) {
      this.logger.warn("ignoring a malformed certificate change message");
      return;
    }
    if (this.reloading) {
      this.pendingDuringReload.add(appId);
      return;
    }
    if (version <= (this.versions.get(appId) ?? 0)) return; // already applied (e.g. our own write)
    this.refresh(appId);
  }

  /** Reads one project again and applies it if newer. Coalesces concurrent requests. */
  private refresh(appId: string): void {
    if (this.refreshing.has(appId)) {
      this.refreshAgain.add(appId);
      return;
    }
    this.refreshing.add(appId);
    void (async () => {
      do {
        this.refreshAgain.delete(appId);
        this.applyRead(appId, await this.read(appId, []));
      } while (this.refreshAgain.has(appId) && !this.closed);
    })()
      .catch((err: unknown) => {
        if (this.closed) return;
        this.logger.warn({ appId, err: errorMessage(err) }, "certificate change could not be read; resynchronising");
        this.lostTouch("a change could not be read");
      })
      .finally(() => {
        this.refreshing.delete(appId);
        this.refreshAgain.delete(appId);
      });
  }

  /**
   * Reads one project (and, given its idempotency keys, whether that write was applied).
   * StoreUnavailable when it cannot.
   */
  private async read(appId: string, idempotency: readonly string[], logUnreadable = true): Promise<Read> {
    const result = await this.command("read", () => this.run(READ, [this.keys.project(appId), this.keys.version(appId), ...idempotency], []));
    const [json, v, done] = Array.isArray(result) ? (result as unknown[]) : [];
    const version = toInt(v);
    const replayed = done !== null && done !== undefined;
    if (typeof json !== "string") return { record: undefined, version, unreadable: false, replayed };
    const record = parseRecord(appId, json, version);
    if (record === undefined && logUnreadable) this.logger.error({ appId }, "stored project record is unreadable");
    return { record, version, unreadable: record === undefined, replayed };
  }

  /**
   * The project as it is now, after a write with this idempotency key turned out to have been
   * applied before. The write is applied either way: when Redis cannot be read, the copy's
   * record stands in (never a StoreUnavailable, which would say it was not).
   */
  private async current(appId: string, idempotency: readonly string[]): Promise<ProjectRecord | undefined> {
    try {
      const read = await this.read(appId, idempotency);
      if (!read.unreadable) {
        this.applyRead(appId, read);
        return read.record;
      }
    } catch (err) {
      this.logger.warn({ appId, err: errorMessage(err) }, "an idempotent write was applied before, but the project could not be read back; answering from the copy");
    }
    return this.projects.get(appId);
  }

  /** The digest of the caller's idempotency key for `scope` (an App ID, or "clear"), or undefined for none. */
  private idempotencyDigest(scope: string, idempotencyKey: string | undefined): string | undefined {
    if (idempotencyKey === undefined) return undefined;
    if (typeof idempotencyKey !== "string" || idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new TypeError(`an idempotency key is 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
    }
    return createHash("sha256").update(`${scope}\n${idempotencyKey}`).digest("hex");
  }

  /**
   * The Redis keys of the caller's idempotency key for one project: none, the record, and (one
   * server or Sentinel) the record of the layout before hash tags, still honoured until it
   * expires (docs/redis.md, "Upgrading from one-server keys").
   */
  private idempotencyKeys(appId: string, idempotencyKey: string | undefined): string[] {
    const digest = this.idempotencyDigest(appId, idempotencyKey);
    if (digest === undefined) return [];
    const key = this.keys.idempotency(appId, digest);
    return this.sharded ? [key] : [key, this.keys.legacy.idempotency(digest)];
  }

  /**
   * Every App ID a reload reads: the index; when the index is empty (a new deployment, or a
   * Redis that lost it), every master is scanned for version keys and the index is written again
   * from what is found.
   */
  private async projectIds(): Promise<string[]> {
    const listed = (await this.command("load", () => this.redis.smembers(this.keys.index))).filter(isValidAppId);
    if (listed.length > 0) return listed;
    const found = await this.command("scan", () => scanKeys(this.redis, this.keys.versionPattern));
    const ids = [...new Set(found.map((k) => this.keys.appIdOfVersionKey(k)).filter((id): id is string => id !== undefined))];
    if (ids.length > 0) {
      this.logger.warn({ projects: ids.length }, "the project index was empty but projects exist: written again from a scan");
      for (let i = 0; i < ids.length; i += 1_000) await this.command("index write", () => this.redis.sadd(this.keys.index, ...ids.slice(i, i + 1_000)));
    }
    return ids;
  }

  /**
   * Moves the projects of the layout before hash tags into this one (one server or Sentinel
   * only: that layout never existed in a cluster). See legacy-migration.ts.
   */
  private async migrateLegacyLayout(): Promise<void> {
    const moved = await this.command("migration", () => migrateLegacyProjects(this.redis as Redis, this.keys, this.logger));
    if (moved > 0) this.logger.warn({ projects: moved, keyPrefix: this.keys.prefix }, "projects moved from the one-server key layout to the hash-tagged one (docs/redis.md)");
  }

  /**
   * Cluster only: tells the other gateways about a change with SPUBLISH on the shard channel (a
   * write script cannot: the channel is in another slot). Retried in the background while it
   * fails, for up to the staleness window; at most one pending announcement per project (the
   * newest version). One server or Sentinel: the write script published already.
   */
  private announce(appId: string, version: number): void {
    if (!this.sharded || version <= 0 || this.closed) return;
    const pending = this.announcements.get(appId);
    if (pending === undefined || pending.version < version) this.announcements.set(appId, { version, since: pending?.since ?? this.now() });
    if (!this.announcing) void this.sendAnnouncements();
  }

  private async sendAnnouncements(): Promise<void> {
    this.announcing = true;
    try {
      for (let failures = 0; this.announcements.size > 0 && !this.closed; ) {
        let failed = false;
        for (const [appId, { version, since }] of [...this.announcements]) {
          try {
            await publish(this.redis, this.keys.changes, JSON.stringify({ appId, version }));
            if (this.announcements.get(appId)?.version === version) this.announcements.delete(appId);
          } catch (err) {
            failed = true;
            if (this.now() - since > Math.max(this.maxStalenessMs, 1_000)) {
              this.announcements.delete(appId);
              this.logger.error({ appId, version, err: errorMessage(err) }, "a change could not be announced to the other gateways; they apply it at their next reload");
            }
          }
        }
        if (!failed) failures = 0;
        else await sleep(Math.min(100 * 2 ** Math.min(failures++, 4), 2_000));
      }
    } finally {
      this.announcing = false;
    }
  }

  /**
   * Runs a write script and says what became of it. Never guesses (docs/redis.md):
   * - not sent (connection down) or refused by Redis → StoreUnavailable: nothing changed;
   * - sent without a reply → the attempt's mark is read back (and fenced when absent) for up
   *   to `settleTimeoutMs`: `applied`, `replayed` and `conflict` are returned as if the script
   *   had answered; `fenced` → StoreUnavailable (it can no longer run); no answer →
   *   WriteOutcomeUnknown.
   */
  private async write(what: string, s: Script, keys: readonly string[], args: readonly string[], mark: string): Promise<WriteReply> {
    let result: unknown;
    try {
      // Checked in the same tick as the send: a command issued while not ready is never sent.
      if (this.redis.status !== "ready") throw new NotSent("the connection is down");
      result = await this.run(s, keys, args);
    } catch (err) {
      if (err instanceof NotSent || UNSENT_MESSAGES.has(errorMessage(err))) {
        throw new StoreUnavailable(`redis ${what} not sent (${errorMessage(err)}); nothing was changed`);
      }
      // Redis answered with an error: the script did not run (BUSY, OOM, READONLY, NOPERM are
      // refused before it writes anything).
      if (err instanceof ReplyError) throw new StoreUnavailable(`redis refused the ${what}: ${errorMessage(err)}`);
      const state = await this.settle(mark);
      this.logger.warn({ err: errorMessage(err), outcome: state ?? "unknown" }, `redis ${what}: reply lost; outcome read back`);
      if (state === "applied") return { outcome: OUTCOME.applied, value: undefined };
      if (state === "replayed") return { outcome: OUTCOME.replayed, value: undefined };
      if (state === "conflict") return { outcome: OUTCOME.conflict, value: undefined };
      if (state === "fenced") throw new StoreUnavailable(`redis ${what}: no reply (${errorMessage(err)}); read back: not applied, and fenced off`);
      throw new WriteOutcomeUnknown(`redis ${what}: no reply (${errorMessage(err)}) and its outcome could not be read back within ${this.settleTimeoutMs} ms`);
    }
    this.commandContactAt = this.now();
    const [outcome, value] = Array.isArray(result) ? (result as unknown[]) : [];
    const code = toInt(outcome);
    if (code === OUTCOME.fenced) throw new StoreUnavailable(`redis ${what}: the attempt was fenced off before it ran`);
    if (code !== OUTCOME.applied && code !== OUTCOME.conflict && code !== OUTCOME.replayed) throw new WriteOutcomeUnknown(`redis ${what}: unexpected reply`);
    return { outcome: code, value };
  }

  /**
   * Reads a write attempt's mark back, fencing it when absent, retrying while the connection
   * comes back, for at most `settleTimeoutMs`. Undefined when Redis did not answer in time.
   */
  private async settle(mark: string): Promise<"applied" | "conflict" | "replayed" | "fenced" | undefined> {
    const started = performance.now();
    const left = (): number => this.settleTimeoutMs - (performance.now() - started);
    for (let i = 0; !this.closed && left() > 0; i++) {
      if (this.redis.status === "ready") {
        try {
          const state = await withTimeout(this.run(FENCE, [mark], [String(FENCE_TTL_MS)]), Math.max(1, left()), "read-back");
          this.commandContactAt = this.now();
          if (state === "applied" || state === "conflict" || state === "replayed" || state === "fenced") return state;
          return undefined;
        } catch {
          // Not sent, lost again, or too slow: try again while time is left.
        }
      }
      await sleep(Math.max(0, Math.min(25 * 2 ** i, 250, left())));
    }
    return undefined;
  }

  private applyRead(appId: string, read: Read): void {
    if (read.unreadable) {
      if (read.version > (this.versions.get(appId) ?? 0)) {
        this.versions.set(appId, read.version);
        this.projects.delete(appId);
        this.unreadable.add(appId);
        this.cache.invalidate(appId);
        this.emit(appId);
      }
      return;
    }
    this.apply(appId, read.record, read.version);
  }

  /** Applies a record (undefined = deleted) at `version` if that is newer than what the copy has. */
  private apply(appId: string, record: ProjectRecord | undefined, version: number): void {
    if (version <= (this.versions.get(appId) ?? 0)) return;
    this.versions.set(appId, version);
    const prev = this.projects.get(appId);
    const wasUnreadable = this.unreadable.delete(appId);
    if (record === undefined) {
      if (prev === undefined && !wasUnreadable) return;
      this.projects.delete(appId);
    } else {
      this.projects.set(appId, record);
    }
    this.cache.invalidate(appId);
    this.emit(appId);
  }

  private emit(appId: string): void {
    for (const l of this.listeners) {
      try {
        l(appId);
      } catch (err) {
        this.logger.error({ appId, err: errorMessage(err) }, "certificate change listener failed");
      }
    }
  }

  private async serialized<T>(appId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(appId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.locks.set(appId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(appId) === tail) this.locks.delete(appId);
    }
  }

  /** Runs a Redis command; any failure of Redis becomes StoreUnavailable (the message only: no arguments). */
  private async command<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      this.commandContactAt = this.now();
      return result;
    } catch (err) {
      throw new StoreUnavailable(`redis ${what} failed: ${errorMessage(err)}`);
    }
  }

  private async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!errorMessage(err).startsWith("NOSCRIPT")) throw err;
      // EVALSHA was answered (not run); the fallback is a new send, checked like the first.
      if (this.redis.status !== "ready") throw new NotSent("the connection is down");
      return await this.redis.eval(s.source, keys.length, ...keys, ...args);
    }
  }

  /** PINGs both connections; a connection that does not answer in time is dropped (ioredis reconnects). */
  private async beat(): Promise<void> {
    if (this.closed || !this.loaded) return;
    // A PING that hangs is noticed only at its timeout: no good contact for longer than the
    // staleness window is a loss of touch already.
    const contact = this.lastContact();
    if (this.downSince === undefined && contact !== undefined && this.now() - contact > this.maxStalenessMs) {
      this.logger.warn({ sinceMs: this.now() - contact }, "no reply from redis within the staleness window");
      this.lostTouch("no good contact within the staleness window");
    }
    if (this.heartbeatInFlight) return;
    if (this.downSince !== undefined) {
      this.resync();
      return;
    }
    if (!this.connectionsUp()) return;
    this.heartbeatInFlight = true;
    const timeout = Math.max(this.heartbeatMs, 100);
    try {
      const [cmd, sub] = await Promise.allSettled([withTimeout(this.redis.ping(), timeout, "PING"), withTimeout(this.subscriber.ping(), timeout, "PING")]);
      if (this.closed) return;
      if (cmd.status === "fulfilled") this.commandContactAt = this.now();
      if (sub.status === "fulfilled") this.subscriberContactAt = this.now();
      if (cmd.status === "rejected" || sub.status === "rejected") {
        const err = cmd.status === "rejected" ? cmd.reason : sub.status === "rejected" ? sub.reason : undefined;
        this.logger.warn({ err: errorMessage(err) }, "redis heartbeat failed; reconnecting");
        this.lostTouch("heartbeat failed");
        if (cmd.status === "rejected" && this.redis.status === "ready") this.redis.disconnect(true);
        if (sub.status === "rejected") this.subscriber.reconnect();
      }
    } finally {
      this.heartbeatInFlight = false;
    }
  }
}
