/**
 * REDIS_URL (gateway/infra/redis-url.ts, docs/redis.md "REDIS_URL"): the three kinds of Redis,
 * what each refusal says, and that no refusal ever repeats a credential.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../gateway/config.js";
import { clusterClientOptions, createRedisClients, isCluster } from "../../../gateway/infra/redis-clients.js";
import { parseRedisUrl, redisUrlForDisplay, RedisUrlError } from "../../../gateway/infra/redis-url.js";

const SECRET = "s3cr3t-p4ss";

describe("parseRedisUrl", () => {
  it("one server: redis://, rediss:// and a socket path, passed to ioredis as given", () => {
    for (const url of ["redis://127.0.0.1:6379", "redis://:pw@h:1/2", "rediss://user:pw@redis.example.com:6380/0", "/run/redis/redis.sock"]) {
      expect(parseRedisUrl(url)).toEqual({ mode: "standalone", url });
    }
  });

  it("cluster: seed nodes, credentials (percent-decoded), TLS, default port 6379, IPv6", () => {
    expect(parseRedisUrl("redis+cluster://n1:7000,n2:7001,10.0.0.3")).toEqual({
      mode: "cluster",
      tls: false,
      nodes: [
        { host: "n1", port: 7000 },
        { host: "n2", port: 7001 },
        { host: "10.0.0.3", port: 6379 },
      ],
    });
    expect(parseRedisUrl(`rediss+cluster://app:${encodeURIComponent("p@ss:/w")}@[::1]:7000,[fe80::1%25eth0]:7001/`)).toEqual({
      mode: "cluster",
      tls: true,
      username: "app",
      password: "p@ss:/w",
      nodes: [
        { host: "::1", port: 7000 },
        { host: "fe80::1%25eth0", port: 7001 },
      ],
    });
    expect(parseRedisUrl("redis+cluster://:pw@n1:7000")).toMatchObject({ password: "pw" });
  });

  it("sentinel: Sentinels, master name, db, sentinelPassword; default port 26379", () => {
    expect(parseRedisUrl("redis+sentinel://sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/mymaster")).toEqual({
      mode: "sentinel",
      tls: false,
      name: "mymaster",
      db: 0,
      sentinels: [
        { host: "sentinel-1", port: 26379 },
        { host: "sentinel-2", port: 26379 },
        { host: "sentinel-3", port: 26379 },
      ],
    });
    expect(parseRedisUrl(`redis+sentinel://u:${SECRET}@s1,s2:26380/primary-a/3?sentinelPassword=${SECRET}x&sentinelUsername=watch`)).toEqual({
      mode: "sentinel",
      tls: false,
      name: "primary-a",
      db: 3,
      username: "u",
      password: SECRET,
      sentinelUsername: "watch",
      sentinelPassword: `${SECRET}x`,
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
      ],
    });
  });

  const refusals: Array<[string, RegExp]> = [
    ["", /empty/],
    ["http://h:1", /must start with redis:\/\//],
    ["redis+cluster://", /lists no seed node/],
    ["redis+cluster://h1:7000,,h2:7001", /seed node 2 is empty/],
    ["redis+cluster://h1:70000", /seed node 1: port out of range \(1-65535\)/],
    ["redis://h1:70000", /^REDIS_URL: port out of range \(1-65535\)$/],
    ["redis://h1:0/1", /^REDIS_URL: port out of range \(1-65535\)$/],
    ["redis://[::1]:65536", /^REDIS_URL: port out of range \(1-65535\)$/],
    ["redis://user@h1:6379", /user:password@ or :password@ \(a user without a password is not accepted\)/],
    ["rediss://user:@h1:6379", /a user without a password is not accepted/],
    ["redis+cluster://h1:7000,h1:7000", /lists seed node h1:7000 twice/],
    ["redis+cluster://h_ bad:1", /spaces/],
    ["redis+cluster://-bad-:1", /seed node 1 is not a host name or address/],
    ["redis+cluster://h1:7000/2", /only database 0/],
    ["redis+cluster://h1:7000?sentinelPassword=x", /this kind of URL takes no \?parameters/],
    [`redis+cluster://${SECRET}@h1:7000`, /user:password@ or :password@/],
    ["redis+cluster://u:@h1:7000", /password after ':' is empty/],
    ["redis+cluster://[::1:7000", /unclosed \[IPv6\]/],
    ["redis+sentinel://s1:26379", /names the master after the Sentinels/],
    ["redis+sentinel://s1:26379/", /names the master after the Sentinels/],
    ["redis+sentinel://s1:26379/m/1/2", /path is \/<masterName> or \/<masterName>\/<db>/],
    ["redis+sentinel://s1:26379/m/x", /database after the last '\/' is a number/],
    ["redis+sentinel://s1:26379/m%zz", /master name has a malformed %-escape/],
    ["redis+sentinel://s1:26379/m?password=x", /a \?parameter is not understood \(known: sentinelPassword, sentinelUsername\)/],
    ["redis+sentinel://s1:26379/m?sentinelPassword=", /sentinelPassword is empty/],
    ["redis+sentinel://s1:26379/m?sentinelPassword=a&sentinelPassword=b", /sentinelPassword is given twice/],
    ["redis://", /not a valid redis:\/\/ URL|names no host/],
    ["redis://h:1/abc", /database after the last '\/' is a number/],
  ];

  it.each(refusals)("refuses %j with a message naming the problem", (url, why) => {
    let err: unknown;
    try {
      parseRedisUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RedisUrlError);
    expect((err as Error).message).toMatch(why);
  });

  it("never repeats a password, a user or a query value in a refusal", () => {
    const bad = [
      `redis+cluster://u:${SECRET}@h1:7000,,h2`,
      `redis+cluster://u:${SECRET}@h1:99999`,
      `redis+cluster://${SECRET}@h1:7000`,
      `redis+cluster://u:${SECRET}@${SECRET}!:7000`,
      `redis+sentinel://u:${SECRET}@s1/m?${SECRET}=1`,
      `redis+sentinel://u:${SECRET}@s1/m/${SECRET}`,
      `redis+sentinel://u:${SECRET}@s1/m?sentinelPassword=${SECRET}&x=${SECRET}`,
    ];
    for (const url of bad) {
      expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
      try {
        parseRedisUrl(url);
      } catch (e) {
        expect((e as Error).message).not.toContain(SECRET);
      }
    }
  });

  it("shows a URL without its user, password or query", () => {
    expect(redisUrlForDisplay(`redis+sentinel://u:${SECRET}@s1:26379,s2/mymaster?sentinelPassword=${SECRET}`)).toBe("redis+sentinel://s1:26379,s2/mymaster");
    expect(redisUrlForDisplay(`rediss+cluster://:${SECRET}@h1:7000,h2:7001`)).toBe("rediss+cluster://h1:7000,h2:7001");
    expect(redisUrlForDisplay("/run/redis.sock")).toBe("/run/redis.sock");
  });
});

describe("REDIS_URL in the configuration", () => {
  it("accepts the three kinds and refuses a bad one at start, naming REDIS_URL and the problem, never the password", () => {
    for (const url of ["redis://127.0.0.1:6379", "redis+cluster://n1:7000,n2:7001", "redis+sentinel://s1:26379,s2:26379/mymaster"]) {
      expect(loadConfig({ redisUrl: url }).redisUrl).toBe(url);
    }
    expect(() => loadConfig({ redisUrl: `redis+sentinel://u:${SECRET}@s1:26379` })).toThrow(/names the master after the Sentinels.*\[REDIS_URL\]/);
    try {
      loadConfig({ redisUrl: `redis+cluster://u:${SECRET}@h1:7000/3` });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/only database 0/);
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});

describe("REDIS_URL refusals name the setting once", () => {
  it("as set from the environment: 'REDIS_URL: <problem>', never 'REDIS_URL: REDIS_URL'", () => {
    for (const [url, problem] of [
      ["redis://h1:99999", "port out of range (1-65535)"],
      ["redis+cluster://h1:7000,,h2", "seed node 2 is empty (a stray comma?)"],
      ["http://h1", "must start with redis://"],
      ["redis://user@h1", "give credentials as user:password@ or :password@"],
    ] as const) {
      let message = "";
      try {
        loadConfig({ redisUrl: url }, { redisUrl: "REDIS_URL" });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(`invalid gateway configuration: REDIS_URL: ${problem}`);
      expect(message).not.toContain("REDIS_URL: REDIS_URL");
    }
  });

  it("keeps the prefix on the error itself (createRedisClients' callers)", () => {
    expect(() => parseRedisUrl("redis://h1:99999")).toThrow(/^REDIS_URL: port out of range \(1-65535\)$/);
    let err: RedisUrlError | undefined;
    try {
      parseRedisUrl("");
    } catch (e) {
      err = e as RedisUrlError;
    }
    expect(err?.message).toBe("REDIS_URL is empty");
    expect(err?.problem).toBe("is empty");
  });
});

describe("createRedisClients", () => {
  it("builds a Cluster with fail-fast node options, no offline queue and no re-send after a failover", () => {
    const target = parseRedisUrl(`redis+cluster://app:${SECRET}@127.0.0.1:7000`);
    if (target.mode !== "cluster") throw new Error("expected a cluster");
    const o = clusterClientOptions(target, { connectionName: "t" });
    expect(o).toMatchObject({ enableOfflineQueue: false, retryDelayOnFailover: 0, scaleReads: "master", lazyConnect: true });
    expect(o.redisOptions).toMatchObject({ maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, commandTimeout: 2_000, username: "app", password: SECRET });
    expect(o.redisOptions).not.toHaveProperty("retryStrategy");
    const clients = createRedisClients(`redis+cluster://127.0.0.1:7000`);
    expect(clients.mode).toBe("cluster");
    expect(isCluster(clients.redis)).toBe(true);
    expect(clients.subscriber).toMatchObject({ kind: "sharded", nodeOptions: { enableOfflineQueue: false } });
  });

  it("builds Sentinel connections that follow a failover", () => {
    const { mode, redis, subscriber } = createRedisClients(`redis+sentinel://:${SECRET}@127.0.0.1:26379/mymaster/2?sentinelPassword=sp`);
    expect(mode).toBe("sentinel");
    for (const c of [redis, subscriber]) {
      expect(c).toMatchObject({
        options: { name: "mymaster", role: "master", db: 2, password: SECRET, sentinelPassword: "sp", failoverDetector: true, enableOfflineQueue: false, autoResendUnfulfilledCommands: false },
      });
    }
  });

  it("refuses a bad URL before connecting anything", () => {
    expect(() => createRedisClients("redis+cluster://h1:7000,")).toThrow(RedisUrlError);
  });
});
