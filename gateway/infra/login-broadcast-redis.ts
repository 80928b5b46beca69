/**
 * The Redis LoginBroadcast: one ownership record per identity, and a message to the one gateway
 * whose session a login replaced (docs/redis.md, "Session ownership"; docs/agora-behaviour.md,
 * "Remote login").
 *
 * Per login, one record write, fire-and-forget (the login reply never waits for it):
 * `SET ${prefix}owner:{appId:uid} "<gatewayId> <sessionId> <loginMs>" EX <recordTtlSeconds> GET`
 * (`loginMs`: this gateway's wall clock at the login, in ms since the epoch). The writes (and the
 * logout deletes) made within `batchWindowMs` of the first go out together, in order, as one call
 * of the BATCH script: one command per window instead of one per login, which saves the Redis
 * client's work per command (a cluster, whose keys are in many slots, keeps one SET … GET per
 * login). A write returns the previous record. When that names a NEWER login of another gateway
 * (one made while this write waited, see BATCH), the record is put back and the session here is
 * ended instead (`newerLogin`). Otherwise, only when the previous owner is ANOTHER gateway, and that
 * gateway is alive, does one PUBLISH go to that gateway's own channel
 * `${prefix}gateway:{<gatewayId>}`, carrying `"<replaced session> <new session> <new gatewayId>
 * <appId> <uid>"` (the uid last: it may hold spaces). The receiver ends its session only if its id
 * is the replaced one. Of two logins of one identity on two gateways, the one with the later
 * loginMs survives (within one millisecond, or when the other's clock runs more than
 * NEWER_LOGIN_MARGIN_MS ahead, the one Redis runs last). Either way exactly one does.
 *
 * - Liveness: every `heartbeatMs` (default 1 s) one MULTI/EXEC adds this gateway to the sorted set
 *   `${prefix}gateways:live` with its wall clock (ms) and reads back the ids seen within
 *   `liveWindowMs` (default 5 s). That list is kept in memory: the "is the previous owner alive"
 *   check of a login costs no round trip. An owner not in it is judged again at the next heartbeat
 *   sent after the login's reply (a gateway that started a moment ago), then dropped as dead: a
 *   dead gateway's records get no message and are simply taken over. `close()` removes the id.
 * - Records expire `recordTtlSeconds` (default 900 s) after their last write; a background sweep
 *   every third of that refreshes the record of every live session here, restores records that
 *   are missing (Redis restarted empty, a write lost in an outage) and ends sessions here whose
 *   record names another session (a remote-login message lost while the subscriber reconnected).
 *   The sweep also runs at the first heartbeat that succeeds after a failure, and after the
 *   subscriber connection was down.
 * - Redis unreachable: logins go on; the record is not written (warned at most once per 10 s, with
 *   the count in between). The session is remembered (at most `maxUnwritten`) with its `loginMs`,
 *   and its record is claimed once Redis answers again, by a Lua script on the one key that
 *   compares login times: a record of an OLDER login is replaced (and the session it names is
 *   ended, as after a live SET … GET); a record of a NEWER login wins, and the session here is
 *   ended instead, as replaced by it. A write that timed out may still have been applied: the
 *   late claim then finds its own record and keeps it. The one thing it cannot recover is the
 *   reply of such a write, which named the session it replaced: that session is ended by its own
 *   gateway's next sweep (at most a third of the record lifetime later).
 * - Logout (`release`): the record is deleted if it still names this session (a Lua
 *   compare-and-delete on the one key).
 * - A record restored by the sweep (missing: Redis restarted empty, or it expired) carries
 *   `loginMs` 0: any late claim of a real login wins over it.
 *
 * It can share the store's RedisSubscriber (pass `ownsConnections: false` and close it before
 * the store), or own its connections. The channel is subscribed in `start()` and published to in
 * `publishTo()`, nowhere else.
 */
import { createHash } from "node:crypto";
import type { LiveSessionRef, LoginBroadcast, LoginBroadcastStats, RemoteLogin } from "../../core/session/login-broadcast.js";
import type { Logger } from "../logger.js";
import { assertFailFast, closeClient, errorMessage, isCluster, publish, waitForReady, withTimeout, type RedisConnection, type SubscriberConnection } from "./redis-clients.js";
import { DEFAULT_KEY_PREFIX, isGatewayId, redisKeys, type RedisKeys } from "./redis-keys.js";
import { RedisSubscriber } from "./redis-subscriber.js";

export interface RedisLoginBroadcastOptions {
  /** This gateway's id (also the prefix of its session ids): 1-64 of `[0-9A-Za-z_-]`. */
  readonly origin: string;
  readonly logger: Logger;
  /** Prefix of the keys and channels. Default `rtm-auth:`. */
  readonly keyPrefix?: string;
  /** Whether `close()` quits the two connections. Default true. */
  readonly ownsConnections?: boolean;
  /** Heartbeat period, ms, in [50, 10 000]. Default 1 000. */
  readonly heartbeatMs?: number;
  /** A gateway is alive while its last heartbeat is at most this old, ms, in [2 × heartbeatMs, 60 000]. Default 5 000. */
  readonly liveWindowMs?: number;
  /** Lifetime of an ownership record after its last write, seconds, in [3, 86 400]. Default 900. */
  readonly recordTtlSeconds?: number;
  /** Sessions whose record could not be written, remembered to write it later; in [0, 1 000 000]. Default 100 000. */
  readonly maxUnwritten?: number;
  /**
   * How long a login's or logout's record write may wait to go out with others, ms, in [0, 1 000];
   * 0: once the current event-loop iteration's I/O callbacks ran (setImmediate). Default
   * {@link DEFAULT_BATCH_WINDOW_MS}. Not used with a cluster (one command per write).
   */
  readonly batchWindowMs?: number;
}

/** The timings a deployment may tune (tests shorten them). */
export type RemoteLoginTuning = Pick<RedisLoginBroadcastOptions, "heartbeatMs" | "liveWindowMs" | "recordTtlSeconds" | "maxUnwritten" | "batchWindowMs">;

export interface RedisBroadcastConnections {
  /** Writes records, heartbeats and publishes (may be the store's command connection). */
  readonly redis: RedisConnection;
  readonly subscriber: SubscriberConnection | RedisSubscriber;
}

/** The commands of one heartbeat (for tests that account for Redis commands: once per period, whatever the logins). */
export const HEARTBEAT_COMMANDS: readonly string[] = ["multi", "exec", "zadd", "zremrangebyscore", "zrangebyscore", "pexpire"];
/** Gateways read back by a heartbeat, at most. */
export const MAX_GATEWAYS = 4_096;
/** Logins waiting for the next heartbeat to judge their previous owner, at most (over that: judged dead). */
export const MAX_DEFERRED = 10_000;
/** Gateway ids not seen for this long leave the live set; the set itself expires this long after the last heartbeat. */
const LIVE_SET_RETENTION_MS = 60_000;
/** Commands in flight at once during a sweep. */
const SWEEP_BATCH = 256;
const WARN_EVERY_MS = 10_000;
const MAX_FIELD = 1_024;
/**
 * The default batch window, ms. Each batch is one write to Redis and one reply to read, and on a
 * small machine those two system calls cost more gateway CPU than the Redis client's work for a
 * dozen commands: 20 ms makes a quarter of the batches 5 ms made, and `npm run bench:gateway`'s
 * "REDIS_URL set / memory store" line shows what a Redis-mode login costs against a memory-store
 * one. A record then reaches Redis at most 20 ms after its login, which delays by as much the
 * remote-login message to another gateway holding the identity (docs/redis.md, "Session ownership").
 */
export const DEFAULT_BATCH_WINDOW_MS = 20;
/**
 * Record writes (ownership SETs and logout deletes) sent in one batch command at most; a batch that
 * reaches it is sent at once and the next one starts. This also bounds the writes waiting to be sent.
 */
export const MAX_BATCH = 512;
/**
 * How long after a batch is sent a login elsewhere can still count as newer than its writes, ms:
 * the time the batch may take to reach Redis and run. A record claiming a later login than that
 * was written by a gateway whose clock runs ahead; Redis's order decides then (docs/redis.md,
 * "Session ownership").
 */
export const NEWER_LOGIN_MARGIN_MS = 1_000;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  // SHA-1 names the script for EVALSHA (Redis's choice; no security use).
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS: a record. ARGV: this session's `"<gatewayId> <sessionId> "` (the value's start), the value
 * to write when missing, TTL seconds. Ours: refreshed (0). Missing: written (1). Another
 * session's: left alone and returned. Not a string (another type under the key): -1.
 */
const REFRESH = script(`
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' then return -1 end
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 0
end
if not v then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return v
`);

/**
 * A late claim (a write that failed or timed out). KEYS: a record. ARGV: this session's
 * `"<gatewayId> <sessionId> "`, its value, TTL seconds, its loginMs. Ours already (the failed
 * write was applied after all): refreshed, `{0}`. A newer login's record: left alone, `{2, v}`.
 * Missing or an older login's: written, `{1}` or `{1, v}`. A record without a login time (older
 * gateways' two-field values) counts as older. Not a string (another type under the key): `{-1}`.
 */
const CLAIM = script(`
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' then return {-1} end
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {0}
end
if v then
  local ms = tonumber(string.match(v, '^%S+ %S+ (%d+)$') or '0')
  if ms > tonumber(ARGV[4]) then return {2, v} end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if v then return {1, v} end
return {1}
`);

/** KEYS: a record. ARGV: this session's `"<gatewayId> <sessionId> "`. Deleted only if it is still ours (1), else 0. */
const RELEASE = script(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * The record writes of one batch, in the order they were made. KEYS: the records. ARGV[1]: TTL
 * seconds; ARGV[2]: `latestMs`, the sending gateway's wall clock when it sent the batch plus
 * {@link NEWER_LOGIN_MARGIN_MS}; ARGV[3]: the sending gateway's id. Then one entry per key, its
 * first character the op (one argument per write: the Redis client's cost grows with the number of
 * arguments, and the gateway id goes once per batch):
 * - `L<sessionId> <loginMs>`, a login's write: the value `"<gatewayId> <sessionId> <loginMs>"`, by
 *   SET … EX … GET: the previous record (or nil) is returned. If that record names a NEWER login of
 *   another gateway, one made while this write waited (a loginMs after this one's and no later
 *   than `latestMs`), it is written back and returned with a `!` in front: that login wins and the
 *   session here ends. A loginMs past `latestMs` can only come from a clock running ahead: Redis's
 *   order decides then. Records without a login time (older gateways' two-field values, sweep
 *   restores with 0) count as older. This gateway's own records are always replaced: its writes go
 *   in its logins' order.
 * - `R<sessionId>`: the RELEASE compare-and-delete of `"<gatewayId> <sessionId> "` (1 or 0).
 * - `X<sessionId> <loginMs>`: a login whose session ended within the same window, so its write and
 *   its delete as one entry. It answers as the write would (the previous record, or `!` and a newer
 *   login's record, which is written back), and leaves no record of its own, as the delete after
 *   the write would have.
 * Any op on a key that holds another type than a string answers -1 and leaves the others alone.
 */
const BATCH = script(`
local function newer(record, loginMs, latest)
  local ms = tonumber(string.match(record, '^%S+ %S+ (%d+)$') or '0')
  return ms > loginMs and ms <= latest
end
local ttl, latest = ARGV[1], tonumber(ARGV[2])
local mine = ARGV[3] .. ' '
local out = {}
for i = 1, #KEYS do
  local entry = ARGV[i + 3]
  local op, rest = string.sub(entry, 1, 1), string.sub(entry, 2)
  if op == 'R' then
    local arg = mine .. rest .. ' '
    local v = redis.pcall('GET', KEYS[i])
    if type(v) == 'table' then out[i] = -1
    elseif v and string.sub(v, 1, #arg) == arg then redis.call('DEL', KEYS[i]); out[i] = 1
    else out[i] = 0 end
  else
    -- A login's write; with X, one whose session has ended: only read, and nothing of its own left.
    local ended = op == 'X'
    local loginMs = tonumber(string.match(rest, ' (%d+)$'))
    local v
    if ended then v = redis.pcall('GET', KEYS[i]) else v = redis.pcall('SET', KEYS[i], mine .. rest, 'EX', ttl, 'GET') end
    if type(v) == 'table' then
      out[i] = -1
    elseif v and string.sub(v, 1, #mine) ~= mine and newer(v, loginMs, latest) then
      redis.call('SET', KEYS[i], v, 'EX', ttl)
      out[i] = '!' .. v
    else
      if ended and v then redis.call('DEL', KEYS[i]) end
      out[i] = v
    end
  end
end
return out
`);

/** The SHA-1 of the batch script (tests that watch Redis tell its calls from other scripts' by it). */
export const OWNER_BATCH_SHA = BATCH.sha;

/** A record write waiting in the batch window: a login's SET (`loginMs` set) or a logout's delete. */
interface PendingWrite {
  readonly key: string;
  readonly sessionId: string;
  readonly appId: string;
  readonly uid: string;
  /** The login's wall clock (ms since the epoch); -1 for a logout's delete. */
  readonly loginMs: number;
  /** A login's write whose session ended before the batch left: sent as one `X` entry (see BATCH). Always false for a delete. */
  ended: boolean;
}

/** A record's owner and session (its login time is only read by the scripts). */
function parseRecord(v: string): { owner: string; session: string } | null {
  const a = v.indexOf(" ");
  if (a <= 0) return null;
  const b = v.indexOf(" ", a + 1);
  const owner = v.slice(0, a);
  const session = b < 0 ? v.slice(a + 1) : v.slice(a + 1, b);
  return isGatewayId(owner) && isField(session) ? { owner, session } : null;
}

/** A login whose previous owner was not known alive: judged at a heartbeat sent after `afterBeat`. */
interface Deferred {
  readonly owner: string;
  readonly replaced: string;
  readonly sessionId: string;
  readonly appId: string;
  readonly uid: string;
  readonly afterBeat: number;
}

const isField = (v: string): boolean => v.length > 0 && v.length <= MAX_FIELD;

function inRange(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what} must be an integer in [${min}, ${max}]`);
  return v;
}

export class RedisLoginBroadcast implements LoginBroadcast {
  readonly origin: string;
  private readonly redis: RedisConnection;
  private readonly subscriber: RedisSubscriber;
  private readonly keys: RedisKeys;
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly ownsConnections: boolean;
  private readonly heartbeatMs: number;
  private readonly liveWindowMs: number;
  private readonly ttl: number;
  private readonly maxUnwritten: number;
  private readonly batchWindowMs: number;
  private readonly listeners = new Set<(login: RemoteLogin) => void>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private unsubscribeDown: (() => void) | undefined;
  private sessions: (() => Iterable<LiveSessionRef>) | undefined;
  /** Gateway ids alive at the last heartbeat (this one included). */
  private live = new Set<string>();
  private deferred: Deferred[] = [];
  /** Sessions here whose record could not be written, with their loginMs (claimed once Redis answers). */
  private unwritten = new Map<string, number>();
  /** Heartbeats sent so far (the id of the last one). */
  private beats = 0;
  private beatTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  /** A sweep is due at the next heartbeat that succeeds. */
  private sweepDue = false;
  private sweeping = false;
  private closed = false;
  /** Record writes waiting in the batch window, sent together when it ends (null: one command per write, a cluster's case). */
  private pending: PendingWrite[] | null;
  /**
   * The logins' writes of {@link pending}, by session id: a session that ends before its write has
   * left marks that write instead of adding a delete (one `X` entry). At most MAX_BATCH entries.
   * A new Map per batch rather than `clear()`: clearing this long-lived (old-generation) Map and
   * filling it again rebuilt its table in the old generation as it grew, where a short-lived Map
   * is dropped with the batch by a minor GC.
   */
  private pendingLogins = new Map<string, PendingWrite>();
  /** The pending batch's timer or immediate, while one is scheduled. */
  private flushTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** Whether Redis has run the batch script since this connection was last (re)established. */
  private batchScriptLoaded = false;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  private readonly counts = { sent: 0, received: 0, none: 0, thisGateway: 0, liveGateway: 0, deadGateway: 0, newerLogin: 0, failures: 0 };

  constructor(connections: RedisBroadcastConnections, options: RedisLoginBroadcastOptions) {
    if (!isGatewayId(options.origin)) throw new TypeError("a gateway origin is 1-64 characters of [0-9A-Za-z_-]");
    assertFailFast(connections.redis, "session owner");
    this.origin = options.origin;
    this.redis = connections.redis;
    this.logger = options.logger.child({ component: "login-broadcast-redis" });
    this.subscriber = connections.subscriber instanceof RedisSubscriber ? connections.subscriber : new RedisSubscriber(connections.subscriber, { logger: options.logger });
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.channel = this.keys.gatewayChannel(this.origin);
    this.ownsConnections = options.ownsConnections ?? true;
    this.heartbeatMs = inRange(options.heartbeatMs, 1_000, 50, 10_000, "heartbeatMs");
    this.liveWindowMs = inRange(options.liveWindowMs, 5_000, 2 * this.heartbeatMs, 60_000, "liveWindowMs");
    this.ttl = inRange(options.recordTtlSeconds, 900, 3, 86_400, "recordTtlSeconds");
    this.maxUnwritten = inRange(options.maxUnwritten, 100_000, 0, 1_000_000, "maxUnwritten");
    this.batchWindowMs = inRange(options.batchWindowMs, DEFAULT_BATCH_WINDOW_MS, 0, 1_000, "batchWindowMs");
    // One script call can only carry keys of one cluster slot: a cluster's records are written one by one.
    this.pending = isCluster(this.redis) ? null : [];
    // Without a listener ioredis prints every connection error; failures are reported where they happen.
    this.redis.on("error", this.onConnectionError);
    this.redis.on("ready", this.onConnectionReady);
  }

  /**
   * Subscribes to this gateway's channel, connects, and sends the first heartbeat (this gateway is
   * alive for the others before its first login). Rejects when Redis cannot be reached in time.
   */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.closed) throw new Error("the login broadcast is closed");
    this.unsubscribe ??= await this.subscriber.subscribe(this.channel, this.onMessage);
    // Messages published while the subscriber was down are lost: the next sweep finds what they said.
    this.unsubscribeDown ??= this.subscriber.onDown(() => {
      this.sweepDue = true;
    });
    await waitForReady(this.redis, timeoutMs);
    await this.heartbeat(true);
    this.scheduleBeat();
    this.sweepTimer ??= setInterval(() => void this.sweep(), Math.floor((this.ttl * 1000) / 3));
    this.sweepTimer.unref();
  }

  announce(appId: string, uid: string, sessionId: string): void {
    if (this.closed) return;
    let key: string;
    try {
      key = this.keys.sessionOwner(appId, uid);
    } catch {
      return; // not an identity a record can name (the Redis store only holds 32-hex App IDs)
    }
    if (this.pending === null) void this.claim(key, appId, uid, sessionId, Date.now());
    else {
      const write: PendingWrite = { key, sessionId, appId, uid, loginMs: Date.now(), ended: false };
      this.pendingLogins.set(sessionId, write);
      this.enqueue(write);
    }
  }

  release(appId: string, uid: string, sessionId: string): void {
    if (this.closed) return;
    if (this.unwritten.size > 0) this.unwritten.delete(sessionId);
    // Its login's write has not left yet: that write becomes the write and the delete in one.
    const login = this.pendingLogins.size > 0 ? this.pendingLogins.get(sessionId) : undefined;
    if (login !== undefined) {
      // Left in the map (dropped with it at the flush): a delete would only shrink its table.
      login.ended = true;
      return;
    }
    let key: string;
    try {
      key = this.keys.sessionOwner(appId, uid);
    } catch {
      return;
    }
    if (this.pending === null) this.run(RELEASE, key, [`${this.origin} ${sessionId} `]).catch(this.onReleaseFailed);
    else this.enqueue({ key, sessionId, appId, uid, loginMs: -1, ended: false });
  }

  trackSessions(list: () => Iterable<LiveSessionRef>): void {
    this.sessions = list;
  }

  onRemoteLogin(listener: (login: RemoteLogin) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): LoginBroadcastStats {
    const c = this.counts;
    return {
      messagesSent: c.sent,
      messagesReceived: c.received,
      ownerWrites: { none: c.none, thisGateway: c.thisGateway, liveGateway: c.liveGateway, deadGateway: c.deadGateway, newerLogin: c.newerLogin },
      ownerWriteFailures: c.failures,
    };
  }

  /** The gateway ids alive at the last heartbeat (this one included). */
  liveGateways(): ReadonlySet<string> {
    return this.live;
  }

  /**
   * Refreshes, restores or reconciles the record of every live session here (see the file's
   * docstring); resolves when done, never rejects. Runs by itself every third of the record
   * lifetime and after failures; a call while one runs returns at once.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.closed || this.sessions === undefined) return;
    // Writes waiting in the window go first: a session's REFRESH must find its own login's record,
    // not the one that login replaced (the commands of one connection run in the order sent).
    this.flush();
    this.sweeping = true;
    this.sweepDue = false;
    try {
      const sessions = [...this.sessions()];
      const unwritten = this.unwritten;
      this.unwritten = new Map();
      for (let i = 0; i < sessions.length && !this.closed; i += SWEEP_BATCH) {
        await Promise.all(
          sessions.slice(i, i + SWEEP_BATCH).map((s) => {
            let key: string;
            try {
              key = this.keys.sessionOwner(s.appId, s.uid);
            } catch {
              return undefined; // never announced either
            }
            const loginMs = unwritten.get(s.sessionId);
            return loginMs !== undefined ? this.claimLate(key, s, loginMs) : this.refresh(key, s);
          }),
        );
      }
    } catch (err) {
      this.sweepDue = true;
      this.logger.debug({ err: errorMessage(err) }, "ownership sweep stopped");
    } finally {
      this.sweeping = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush(); // the writes waiting still go out (their replies are handled as usual until the connection quits)
    this.closed = true;
    this.listeners.clear();
    if (this.beatTimer !== null) clearTimeout(this.beatTimer);
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.beatTimer = this.sweepTimer = null;
    this.deferred = [];
    this.unwritten.clear();
    this.unsubscribeDown?.();
    await this.beating;
    // No longer alive for the others: its records get no message from now on, and expire.
    if (this.redis.status === "ready") {
      await withTimeout(this.redis.zrem(this.keys.liveGateways, this.origin), 1_000, "leaving the live gateways").catch((err: unknown) =>
        this.logger.debug({ err: errorMessage(err) }, "gateway not removed from the live set at close; it drops out by itself"),
      );
    }
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    if (this.ownsConnections) await Promise.all([closeClient(this.redis), this.subscriber.close()]);
    else if (unsubscribe !== undefined) await unsubscribe().catch(() => undefined);
    this.redis.off("error", this.onConnectionError);
    this.redis.off("ready", this.onConnectionReady);
  }

  // ---- the record ----

  /** SET … GET of one session's record, and what the previous owner calls for. Never rejects. */
  private async claim(key: string, appId: string, uid: string, sessionId: string, loginMs: number): Promise<void> {
    let previous: string | null;
    try {
      previous = await this.redis.set(key, `${this.origin} ${sessionId} ${loginMs}`, "EX", this.ttl, "GET");
    } catch (err) {
      this.claimFailed(err, sessionId, loginMs);
      return;
    }
    this.replacedRecord(previous, appId, uid, sessionId);
  }

  private claimFailed(err: unknown, sessionId: string, loginMs: number): void {
    this.writeFailed(err);
    if (!this.closed && this.unwritten.size < this.maxUnwritten) this.unwritten.set(sessionId, loginMs);
  }

  /** Adds a write to the batch; the first one starts the window, a full batch goes at once. */
  private enqueue(write: PendingWrite): void {
    const pending = this.pending as PendingWrite[];
    pending.push(write);
    if (pending.length >= MAX_BATCH) this.flush();
    else if (this.flushTimer === null) this.flushTimer = this.batchWindowMs === 0 ? setImmediate(this.onFlushDue) : setTimeout(this.onFlushDue, this.batchWindowMs);
  }

  private readonly onFlushDue = (): void => {
    this.flushTimer = null;
    this.flush();
  };

  /** Sends the writes waiting, in order, as one BATCH script call. Never throws; failures are handled per write. */
  private flush(): void {
    const writes = this.pending;
    if (writes === null || writes.length === 0) return;
    if (this.flushTimer !== null) {
      if (this.batchWindowMs === 0) clearImmediate(this.flushTimer as NodeJS.Immediate);
      else clearTimeout(this.flushTimer as NodeJS.Timeout);
      this.flushTimer = null;
    }
    this.pending = [];
    this.pendingLogins = new Map<string, PendingWrite>();
    const keys: string[] = new Array<string>(writes.length);
    const args: string[] = new Array<string>(3 + writes.length);
    args[0] = String(this.ttl);
    args[1] = String(Date.now() + NEWER_LOGIN_MARGIN_MS);
    args[2] = this.origin;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i] as PendingWrite;
      keys[i] = w.key;
      args[3 + i] = w.loginMs < 0 ? `R${w.sessionId}` : `${w.ended ? "X" : "L"}${w.sessionId} ${w.loginMs}`;
    }
    this.runBatch(keys, args).then(
      (replies) => this.batchAnswered(writes, replies),
      (err: unknown) => this.batchFailed(writes, err),
    );
  }

  private batchAnswered(writes: readonly PendingWrite[], replies: unknown): void {
    if (!Array.isArray(replies) || replies.length !== writes.length) {
      this.batchFailed(writes, new Error("the ownership batch's reply is not one result per write"));
      return;
    }
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i] as PendingWrite;
      if (w.loginMs < 0) continue; // a logout's delete: nothing to act on
      const r: unknown = replies[i];
      if (r === -1) {
        const err = new Error("the ownership record holds another type than a string");
        // An ended session has nothing left to claim later.
        if (w.ended) this.writeFailed(err);
        else this.claimFailed(err, w.sessionId, w.loginMs);
      } else if (typeof r === "string" && r.startsWith("!")) this.newerLogin(r.slice(1), w);
      else this.replacedRecord(typeof r === "string" ? r : null, w.appId, w.uid, w.sessionId);
    }
  }

  /** A login elsewhere, newer than this one, holds the record: it wins, as on Agora, and the session here ends. */
  private newerLogin(record: string, s: LiveSessionRef): void {
    const newer = parseRecord(record);
    this.counts.newerLogin++;
    if (newer !== null && newer.owner !== this.origin) this.dispatch({ appId: s.appId, uid: s.uid, sessionId: newer.session, origin: newer.owner, replaces: s.sessionId });
  }

  private batchFailed(writes: readonly PendingWrite[], err: unknown): void {
    // A session that logged out within the same batch has no record to claim later.
    const released = new Set<string>();
    for (const w of writes) if (w.loginMs < 0 || w.ended) released.add(w.sessionId);
    for (const w of writes) if (w.loginMs >= 0 && !released.has(w.sessionId)) this.claimFailed(err, w.sessionId, w.loginMs);
    if (released.size > 0) this.onReleaseFailed(err);
  }

  /** The sweep's step for a session whose record could not be written: CLAIM. Rejects when Redis fails. */
  private async claimLate(key: string, s: LiveSessionRef, loginMs: number): Promise<void> {
    let r: unknown;
    try {
      r = await this.run(CLAIM, key, [`${this.origin} ${s.sessionId} `, `${this.origin} ${s.sessionId} ${loginMs}`, String(this.ttl), String(loginMs)]);
    } catch (err) {
      this.writeFailed(err);
      if (!this.closed && this.unwritten.size < this.maxUnwritten) this.unwritten.set(s.sessionId, loginMs);
      throw err;
    }
    if (!Array.isArray(r)) return;
    if (r[0] === -1) {
      // Another type than a string under the key: nothing to claim, and no use trying again.
      this.logger.debug("ownership record not claimed: the key holds another type than a string");
      return;
    }
    const previous = typeof r[1] === "string" ? r[1] : null;
    if (r[0] === 1) this.replacedRecord(previous, s.appId, s.uid, s.sessionId);
    else if (r[0] === 2 && previous !== null) this.newerLogin(previous, s); // took the identity over while this write was failing
  }

  /** What the previous record a write replaced calls for: nothing, or a message to its live gateway. */
  private replacedRecord(previous: string | null, appId: string, uid: string, sessionId: string): void {
    if (previous === null) {
      this.counts.none++;
      return;
    }
    const record = parseRecord(previous);
    if (record !== null && record.owner === this.origin) {
      // A session here (the session manager ended it already), or this one written again.
      this.counts.thisGateway++;
      return;
    }
    if (record === null) {
      this.counts.deadGateway++; // unreadable: nobody to tell
      return;
    }
    const owner = record.owner;
    const replaced = record.session;
    if (this.live.has(owner)) {
      this.counts.liveGateway++;
      this.tell(owner, replaced, sessionId, appId, uid);
    } else if (this.deferred.length < MAX_DEFERRED && !this.closed) {
      this.deferred.push({ owner, replaced, sessionId, appId, uid, afterBeat: this.beats });
    } else {
      this.counts.deadGateway++;
    }
  }

  /** The sweep's step for one session not known to be unwritten. Rejects when Redis fails. */
  private async refresh(key: string, s: LiveSessionRef): Promise<void> {
    let r: unknown;
    try {
      r = await this.run(REFRESH, key, [`${this.origin} ${s.sessionId} `, `${this.origin} ${s.sessionId} 0`, String(this.ttl)]);
    } catch (err) {
      this.writeFailed(err);
      throw err;
    }
    if (r === -1) this.logger.debug("ownership record not refreshed: the key holds another type than a string");
    if (typeof r !== "string") return;
    const other = parseRecord(r);
    // Another session here: the session manager keeps only the newest of an identity anyway.
    if (other === null || other.owner === this.origin) return;
    // A newer login elsewhere took the identity over and its message never arrived.
    this.dispatch({ appId: s.appId, uid: s.uid, sessionId: other.session, origin: other.owner, replaces: s.sessionId });
  }

  // ---- messages ----

  /** Tells `owner` that `replaced` was replaced by `sessionId` of this gateway. */
  private tell(owner: string, replaced: string, sessionId: string, appId: string, uid: string): void {
    this.counts.sent++;
    this.publishTo(owner, `${replaced} ${sessionId} ${this.origin} ${appId} ${uid}`);
  }

  /** The one place that publishes: to one gateway's own channel. */
  private publishTo(gatewayId: string, message: string): void {
    try {
      publish(this.redis, this.keys.gatewayChannel(gatewayId), message).catch(this.onPublishFailed);
    } catch (err) {
      this.onPublishFailed(err);
    }
  }

  private readonly onMessage = (message: string): void => {
    if (this.closed) return;
    // "<replaced> <new session> <new gatewayId> <appId> <uid…>"
    const a = message.indexOf(" ");
    const b = a < 0 ? -1 : message.indexOf(" ", a + 1);
    const c = b < 0 ? -1 : message.indexOf(" ", b + 1);
    const d = c < 0 ? -1 : message.indexOf(" ", c + 1);
    const replaced = a < 0 ? "" : message.slice(0, a);
    const sessionId = b < 0 ? "" : message.slice(a + 1, b);
    const origin = c < 0 ? "" : message.slice(b + 1, c);
    const appId = d < 0 ? "" : message.slice(c + 1, d);
    const uid = d < 0 ? "" : message.slice(d + 1);
    if (!isField(replaced) || !isField(sessionId) || !isGatewayId(origin) || !isField(appId) || !isField(uid) || origin === this.origin) {
      this.logger.warn("ignoring a malformed remote-login message");
      return;
    }
    this.counts.received++;
    this.dispatch({ appId, uid, sessionId, origin, replaces: replaced });
  };

  private dispatch(login: RemoteLogin): void {
    if (this.closed) return;
    for (const l of this.listeners) {
      try {
        l(login);
      } catch (err) {
        this.logger.error({ err: errorMessage(err) }, "remote login listener failed");
      }
    }
  }

  // ---- liveness ----

  private scheduleBeat(): void {
    if (this.closed) return;
    this.beatTimer = setTimeout(() => {
      this.beating = this.heartbeat(false).finally(() => this.scheduleBeat());
    }, this.heartbeatMs);
    this.beatTimer.unref();
  }

  /** One heartbeat: this gateway alive now, and the ids alive. Rejects only when `strict`. */
  private async heartbeat(strict: boolean): Promise<void> {
    const id = ++this.beats;
    const now = Date.now();
    const key = this.keys.liveGateways;
    let ids: string[];
    try {
      const replies = await this.redis
        .multi()
        .zadd(key, now, this.origin)
        .zremrangebyscore(key, "-inf", now - LIVE_SET_RETENTION_MS)
        .zrangebyscore(key, now - this.liveWindowMs, "+inf", "LIMIT", 0, MAX_GATEWAYS)
        .pexpire(key, LIVE_SET_RETENTION_MS)
        .exec();
      const read = replies?.[2];
      if (read === undefined || read[0] !== null || !Array.isArray(read[1])) throw new Error("the heartbeat's reply is not a list of gateways");
      ids = (read[1] as unknown[]).filter((v): v is string => typeof v === "string");
    } catch (err) {
      this.sweepDue = true;
      if (strict) throw err;
      this.logger.debug({ err: errorMessage(err) }, "heartbeat failed");
      return;
    }
    if (this.closed) return;
    const live = new Set(ids);
    live.add(this.origin);
    this.live = live;
    this.judgeDeferred(id);
    if (this.sweepDue && !strict) void this.sweep();
  }

  /** Owners of logins answered before heartbeat `id` was sent: alive now, or dead for good. */
  private judgeDeferred(id: number): void {
    if (this.deferred.length === 0) return;
    const waiting: Deferred[] = [];
    for (const d of this.deferred) {
      if (d.afterBeat >= id) waiting.push(d);
      else if (this.live.has(d.owner)) {
        this.counts.liveGateway++;
        this.tell(d.owner, d.replaced, d.sessionId, d.appId, d.uid);
      } else this.counts.deadGateway++;
    }
    this.deferred = waiting;
  }

  // ---- failures ----

  private readonly onConnectionReady = (): void => {
    this.batchScriptLoaded = false;
  };

  private readonly onConnectionError = (err: unknown): void => {
    this.logger.debug({ err: errorMessage(err) }, "redis command connection error");
  };

  private readonly onPublishFailed = (err: unknown): void => {
    this.warn(err, "a remote-login message could not be published; the other gateway's session is ended by its next ownership sweep");
  };

  private readonly onReleaseFailed = (err: unknown): void => {
    this.logger.debug({ err: errorMessage(err) }, "ownership record not deleted at logout; it expires by itself");
  };

  private writeFailed(err: unknown): void {
    this.counts.failures++;
    this.sweepDue = true;
    this.warn(err, "session ownership could not be written; remote logins cannot end this gateway's sessions until Redis answers");
  }

  /** Warns at most once per 10 s, with the number of failures in between. Never logs a uid. */
  private warn(err: unknown, what: string): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.logger.warn({ err: errorMessage(err), suppressedSinceLastWarning: this.suppressed }, what);
    this.lastWarnAt = now;
    this.suppressed = 0;
  }

  private run(s: Script, key: string, args: readonly string[]): Promise<unknown> {
    return this.runKeys(s, [key], args);
  }

  /**
   * One batch: by EVALSHA once Redis is known to have the script, else by EVAL (which loads it).
   * An EVALSHA answered NOSCRIPT is sent again as EVAL, later than the batches sent after it; if
   * one of those ran meanwhile (another gateway loaded the script), two writes of one record from
   * here could land out of order. So after every (re)connection, which is when Redis may have lost
   * its scripts (a restart, a failover), batches go as EVAL until one has run; only a SCRIPT FLUSH
   * on a live connection leaves that window open.
   */
  private async runBatch(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    if (this.batchScriptLoaded) return await this.runKeys(BATCH, keys, args);
    const r = await this.send("eval", BATCH.source, keys, args);
    this.batchScriptLoaded = true;
    return r;
  }

  private async runKeys(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.send("evalsha", s.sha, keys, args);
    } catch (err) {
      if (!errorMessage(err).startsWith("NOSCRIPT")) throw err;
      if (s === BATCH) this.batchScriptLoaded = false;
      return await this.send("eval", s.source, keys, args);
    }
  }

  /**
   * EVAL or EVALSHA with the keys and arguments as two arrays, which ioredis flattens into the
   * command: spread into the call instead, a batch's hundreds of strings would be copied into an
   * argument list and then into ioredis's own array. ioredis's typings take the keys as one array
   * but not a second array after them, hence the cast; if a later ioredis stopped flattening, every
   * batch would fail, and test/integration/remote-login-redis.test.ts with it.
   */
  private send(method: "eval" | "evalsha", script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const call = this.redis[method] as unknown as (script: string, numkeys: number, keys: readonly string[], args: readonly string[]) => Promise<unknown>;
    return call.call(this.redis, script, keys.length, keys, args);
  }
}
