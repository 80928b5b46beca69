/**
 * The one place that turns a key prefix and an App ID into Redis key and channel names
 * (docs/redis.md, "Key layout"). The layout is the same for one server, Sentinel and Redis
 * Cluster: every key of one project carries the project's hash tag `{<appId>}`, so the project's
 * record, its version counter, its write marks and its idempotency records live in one slot and
 * one Lua compare-and-set can touch them all, even in a cluster.
 *
 * Layout (prefix `rtm-auth:` by default):
 * - `${prefix}{<appId>}:project`: the project's JSON ProjectRecord (with its `version`);
 * - `${prefix}{<appId>}:version`: the project's last version, kept when the project is deleted,
 *   so a project's versions only ever grow (a deleted then re-created project can be ordered);
 * - `${prefix}{<appId>}:write:<attemptId>`: the outcome of one write attempt (`applied`,
 *   `conflict`, `replayed`, or `fenced` by a read-back), so a write whose reply was lost can be
 *   settled; expires (docs/redis.md, "Write outcomes");
 * - `${prefix}{<appId>}:idem:<digest>`: the version an idempotent write produced (digest:
 *   SHA-256 of the App ID and the caller's key); expires after 24 hours;
 * - `${prefix}{index}:projects`: a set of the App IDs ever written (the index a reload walks).
 *   It is written before each write's compare-and-set (it cannot be in the same script in a
 *   cluster), so it may name a project that does not exist, never miss one that does;
 * - `${prefix}{clear}:idem:<digest>`: the record of an applied idempotent `clear`;
 * - `${prefix}{changes}`: the change channel, `{"appId","version"}` after every change (PUBLISH
 *   on one server or Sentinel, SPUBLISH to this shard channel in a cluster);
 * - `${prefix}owner:{<appId>:<uid>}`: which session owns an identity, `"<gatewayId> <sessionId>"`,
 *   with a TTL (gateway/infra/login-broadcast-redis.ts; docs/redis.md, "Session ownership"). The
 *   braces are a Redis Cluster hash tag; a `}` in the uid ends the tag early, which only changes the
 *   slot (every command on this key touches this key alone);
 * - `${prefix}gateway:{<gatewayId>}`: one gateway's own channel (remote-login messages for it alone);
 * - `${prefix}gateways:live`: sorted set of the gateways alive, scored with their last heartbeat
 *   (wall clock, ms);
 * - `${prefix}{readiness}:gateway:<id>`: one gateway's readiness figures, a hash App ID →
 *   snapshot JSON, expiring unless refreshed; `${prefix}{readiness}:gateways`: the index of those
 *   hashes, a sorted set of gateway ids scored with their last write. One hash tag for all of
 *   them, so a write's MULTI and a report's script stay in one slot
 *   (gateway/infra/readiness-redis.ts, docs/migration.md "Several gateways").
 *
 * The layout before it (`${prefix}project:<appId>`, the set `${prefix}projects`, the hash
 * `${prefix}versions`, `${prefix}write:…`, `${prefix}idem:…`) is {@link LegacyKeys}: a gateway
 * that finds it migrates it at start (certificate-store-redis.ts, docs/redis.md "Upgrading from
 * one-server keys").
 *
 * An App ID is validated here (32 hexadecimal characters) before it ever reaches a key, so no
 * caller can address another key through it.
 */

export const DEFAULT_KEY_PREFIX = "rtm-auth:";

const APP_ID = /^[0-9a-fA-F]{32}$/;
const HEX_ID = /^[0-9a-f]{16,64}$/;
// Printable ASCII without space, '*', '?', '[', ']', '\', '{' and '}' (kept out so a prefix is also a
// safe SCAN pattern, and never holds a hash tag of its own that would put every key in one slot).
const PREFIX = /^[!-)+->@-Z^-z|~]{1,128}$/;

const GATEWAY_ID = /^[0-9A-Za-z_-]{1,64}$/;

/** True when `id` can name a gateway in a key or channel (1-64 of `[0-9A-Za-z_-]`). */
export function isGatewayId(id: unknown): id is string {
  return typeof id === "string" && GATEWAY_ID.test(id);
}

/** True when `appId` is 32 hexadecimal characters (the only App IDs that reach a key). */
export function isValidAppId(appId: unknown): appId is string {
  return typeof appId === "string" && APP_ID.test(appId);
}

export interface RedisKeys {
  readonly prefix: string;
  /** The project's record; throws a TypeError for anything but a 32-hex App ID. */
  project(appId: string): string;
  /** The project's version counter (kept across deletes); throws as `project`. */
  version(appId: string): string;
  /** The SCAN pattern of every project's version key (a reload's fallback when the index is empty). */
  readonly versionPattern: string;
  /** The App ID in a key `version(appId)` returned, or undefined for any other key. */
  appIdOfVersionKey(key: string): string | undefined;
  /** The set of every App ID ever written. */
  readonly index: string;
  readonly changes: string;
  /** The ownership record of an identity; throws a TypeError for an invalid App ID or a uid that is not 1-256 characters. */
  sessionOwner(appId: string, uid: string): string;
  /** One gateway's own channel; throws a TypeError unless `gatewayId` is 1-64 of `[0-9A-Za-z_-]`. */
  gatewayChannel(gatewayId: string): string;
  /** The sorted set of live gateways (member: gateway id, score: last heartbeat, ms). */
  readonly liveGateways: string;
  /** The outcome mark of one write attempt; throws a TypeError unless `attemptId` is 16-64 lowercase hex. */
  writeMark(appId: string, attemptId: string): string;
  /** The record of an applied idempotent write; throws a TypeError unless `digest` is 16-64 lowercase hex. */
  idempotency(appId: string, digest: string): string;
  /** The record of an applied idempotent `clear`. */
  clearIdempotency(digest: string): string;
  /** The sorted set of gateways sharing readiness figures. */
  readonly readinessGateways: string;
  /** What `readinessGateway(id)` puts before the id (for scripts that walk the set). */
  readonly readinessGatewayBase: string;
  /** One gateway's readiness figures; throws a TypeError unless `gatewayId` is 1-64 characters of [0-9A-Za-z_-]. */
  readinessGateway(gatewayId: string): string;
  /** The keys of the layout before hash tags (read only to migrate them). */
  readonly legacy: LegacyKeys;
}

/** The one-server layout of earlier versions (docs/redis.md, "Upgrading from one-server keys"). */
export interface LegacyKeys {
  /** `${prefix}project:<appId>` */
  project(appId: string): string;
  /** `${prefix}projects`: set of App IDs. */
  readonly index: string;
  /** `${prefix}versions`: hash App ID → version (`migrated` once moved to the new layout). */
  readonly versions: string;
  /** `${prefix}idem:<digest>` */
  idempotency(digest: string): string;
}

function checkAppId(appId: string): void {
  if (!isValidAppId(appId)) throw new TypeError("an App ID is 32 hexadecimal characters");
}

function checkGatewayId(id: string): void {
  if (!isGatewayId(id)) throw new TypeError("a gateway id is 1-64 characters of [0-9A-Za-z_-]");
}

function checkHex(id: string, what: string): void {
  if (!HEX_ID.test(id)) throw new TypeError(`${what} is 16-64 lowercase hex characters`);
}

/** The keys and channels of one prefix. */
export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  if (!PREFIX.test(prefix)) throw new TypeError("a Redis key prefix is 1-128 printable ASCII characters without spaces, glob characters or braces");
  const tagged = (appId: string): string => {
    checkAppId(appId);
    return `${prefix}{${appId}}`;
  };
  const versionKey = /^\{([0-9a-fA-F]{32})\}:version$/;
  // The App ID sessionOwner checked last: every login and logout of a project passes the project's
  // own App ID string, so most calls skip the regular expression.
  let ownerAppId = "";
  return {
    prefix,
    project: (appId) => `${tagged(appId)}:project`,
    version: (appId) => `${tagged(appId)}:version`,
    versionPattern: `${prefix}{*}:version`,
    appIdOfVersionKey(key: string): string | undefined {
      if (!key.startsWith(prefix)) return undefined;
      return versionKey.exec(key.slice(prefix.length))?.[1];
    },
    index: `${prefix}{index}:projects`,
    changes: `${prefix}{changes}`,
    sessionOwner(appId: string, uid: string): string {
      if (appId !== ownerAppId) {
        if (!isValidAppId(appId)) throw new TypeError("an App ID is 32 hexadecimal characters");
        ownerAppId = appId;
      }
      if (typeof uid !== "string" || uid.length === 0 || uid.length > 256) throw new TypeError("a uid is 1-256 characters");
      return `${prefix}owner:{${appId}:${uid}}`;
    },
    gatewayChannel(gatewayId: string): string {
      checkGatewayId(gatewayId);
      return `${prefix}gateway:{${gatewayId}}`;
    },
    liveGateways: `${prefix}gateways:live`,
    writeMark(appId: string, attemptId: string): string {
      checkHex(attemptId, "a write attempt id");
      return `${tagged(appId)}:write:${attemptId}`;
    },
    idempotency(appId: string, digest: string): string {
      checkHex(digest, "an idempotency digest");
      return `${tagged(appId)}:idem:${digest}`;
    },
    clearIdempotency(digest: string): string {
      checkHex(digest, "an idempotency digest");
      return `${prefix}{clear}:idem:${digest}`;
    },
    readinessGateways: `${prefix}{readiness}:gateways`,
    readinessGatewayBase: `${prefix}{readiness}:gateway:`,
    readinessGateway(gatewayId: string): string {
      // The same ids as the ownership records' (redis-backend.ts gives a gateway one id for both).
      checkGatewayId(gatewayId);
      return `${prefix}{readiness}:gateway:${gatewayId}`;
    },
    legacy: {
      project(appId: string): string {
        checkAppId(appId);
        return `${prefix}project:${appId}`;
      },
      index: `${prefix}projects`,
      versions: `${prefix}versions`,
      idempotency(digest: string): string {
        checkHex(digest, "an idempotency digest");
        return `${prefix}idem:${digest}`;
      },
    },
  };
}
