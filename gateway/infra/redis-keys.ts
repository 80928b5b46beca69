/**
 * The one place that turns a key prefix and an App ID into Redis key and channel names.
 *
 * Layout (prefix `rtm-auth:` by default):
 * - `${prefix}project:${appId}`: the project's JSON ProjectRecord (with its `version`);
 * - `${prefix}projects`: a set of every stored App ID (the index a reload walks);
 * - `${prefix}versions`: a hash App ID → last version, kept when a project is deleted, so a
 *   project's versions only ever grow (a deleted then re-created project can be ordered);
 * - `${prefix}changes`: pub/sub channel, `{"appId","version"}` after every change;
 * - `${prefix}logins`: pub/sub channel of the LoginBroadcast;
 * - `${prefix}write:${attemptId}`: the outcome of one write attempt (`applied`, `conflict`,
 *   `replayed`, or `fenced` by a read-back), so a write whose reply was lost can be settled;
 *   expires after an hour (docs/redis.md);
 * - `${prefix}idem:${digest}`: the version an idempotent write produced (digest: SHA-256 of the
 *   App ID and the caller's key); expires after 24 hours.
 * - `${prefix}readiness:gateway:${id}`: one gateway's readiness figures, a hash App ID → snapshot
 *   JSON, expiring unless refreshed; `${prefix}readiness:gateways`: the index of those hashes, a
 *   sorted set of gateway ids scored with their last write (gateway/infra/readiness-redis.ts,
 *   docs/migration.md "Several gateways").
 *
 * An App ID is validated here (32 hexadecimal characters) before it ever reaches a key, so no
 * caller can address another key through it.
 */

export const DEFAULT_KEY_PREFIX = "rtm-auth:";

const APP_ID = /^[0-9a-fA-F]{32}$/;
const HEX_ID = /^[0-9a-f]{16,64}$/;
// Printable ASCII without space, '*', '?', '[', ']' and '\' (kept out so a prefix is also a safe SCAN pattern).
const PREFIX = /^[!-)+->@-Z^-~]{1,128}$/;

/** True when `appId` is 32 hexadecimal characters (the only App IDs that reach a key). */
export function isValidAppId(appId: unknown): appId is string {
  return typeof appId === "string" && APP_ID.test(appId);
}

export interface RedisKeys {
  readonly prefix: string;
  /** The project's key; throws a TypeError for anything but a 32-hex App ID. */
  project(appId: string): string;
  /** What `project(appId)` puts before the App ID (for scripts that walk the index). */
  readonly projectBase: string;
  readonly index: string;
  readonly versions: string;
  readonly changes: string;
  readonly logins: string;
  /** The outcome mark of one write attempt; throws a TypeError unless `attemptId` is 16-64 lowercase hex. */
  writeMark(attemptId: string): string;
  /** The record of an applied idempotent write; throws a TypeError unless `digest` is 16-64 lowercase hex. */
  idempotency(digest: string): string;
  /** The sorted set of gateways sharing readiness figures. */
  readonly readinessGateways: string;
  /** What `readinessGateway(id)` puts before the id (for scripts that walk the set). */
  readonly readinessGatewayBase: string;
  /** One gateway's readiness figures; throws a TypeError unless `gatewayId` is 16-64 lowercase hex. */
  readinessGateway(gatewayId: string): string;
}

/** The keys and channels of one prefix. */
export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  if (!PREFIX.test(prefix)) throw new TypeError("a Redis key prefix is 1-128 printable ASCII characters without spaces or glob characters");
  const projectBase = `${prefix}project:`;
  return {
    prefix,
    projectBase,
    project(appId: string): string {
      if (!isValidAppId(appId)) throw new TypeError("an App ID is 32 hexadecimal characters");
      return projectBase + appId;
    },
    index: `${prefix}projects`,
    versions: `${prefix}versions`,
    changes: `${prefix}changes`,
    logins: `${prefix}logins`,
    writeMark(attemptId: string): string {
      if (!HEX_ID.test(attemptId)) throw new TypeError("a write attempt id is 16-64 lowercase hex characters");
      return `${prefix}write:${attemptId}`;
    },
    idempotency(digest: string): string {
      if (!HEX_ID.test(digest)) throw new TypeError("an idempotency digest is 16-64 lowercase hex characters");
      return `${prefix}idem:${digest}`;
    },
    readinessGateways: `${prefix}readiness:gateways`,
    readinessGatewayBase: `${prefix}readiness:gateway:`,
    readinessGateway(gatewayId: string): string {
      if (!HEX_ID.test(gatewayId)) throw new TypeError("a gateway id is 16-64 lowercase hex characters");
      return `${prefix}readiness:gateway:${gatewayId}`;
    },
  };
}
