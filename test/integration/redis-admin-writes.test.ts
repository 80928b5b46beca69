/**
 * Honest admin writes (issue 11, Build item 4; docs/redis.md, "Write outcomes").
 *
 * 1. The store's three outcomes, made deterministic by losing a reply on purpose: a write Redis
 *    applied whose reply is lost resolves (read back: applied); a write that never reached Redis
 *    is fenced (StoreUnavailable, and it can never apply later); a write whose outcome cannot be
 *    read back is WriteOutcomeUnknown; idempotency keys apply a write at most once.
 * 2. The typed admin client against a scripted HTTP server: it repeats `outcome_unknown` with the
 *    same Idempotency-Key, a bounded number of times, and never repeats a first `store_unavailable`.
 * 3. The admin API over HTTP with Idempotency-Key (suite Redis).
 * 4. Chaos on the test's OWN redis-server, stalled (SIGSTOP) or killed (SIGKILL, AOF on) at the
 *    instant a write is sent, in the middle of 200 writes: no 503 `store_unavailable` is ever
 *    followed by the write being applied (checked by reading Redis directly once it is back),
 *    and the admin client resolves every `outcome_unknown` (the final state counts each
 *    successful swap exactly once).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AdminApiError, createAdminClient } from "../../client/admin-client.js";
import type { CertificateStore, ProjectUpdate, WriteOptions } from "../../core/certificate/certificate-store.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { StoreUnavailable, WriteOutcomeUnknown } from "../../core/errors.js";
import { mapError } from "../../gateway/admin/errors.js";
import { RedisCertificateStore, type RedisCertificateStoreOptions } from "../../gateway/infra/certificate-store-redis.js";
import { createRedisClients } from "../../gateway/infra/redis-clients.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { adminApi } from "../support/admin-api.js";
import {
  adminClient,
  deleteKeys,
  redisServerUnavailable,
  silentLogger,
  startOwnRedisServer,
  suiteRedis,
  testRedisClients,
  uniquePrefix,
  type OwnRedisServer,
} from "../support/redis.js";

const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const P = "abababababababababababababababab";
const W = "cccccccccccccccccccccccccccccccc";
const CERT_X = "11111111111111111111111111111111";
const CERT_Y = "22222222222222222222222222222222";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const record = (appId: string, over: Partial<ProjectRecord> = {}): ProjectRecord => ({
  appId,
  noCertificate: true,
  primary: null,
  secondary: null,
  enabled: true,
  version: 0,
  ...over,
});
/** A project whose every update is visible: a counter in the primary's enabledAt. */
const bump: ProjectUpdate = (cur) => (cur === undefined ? record(A, { primary: { value: CERT_X, enabledAt: 1, activeAt: 0 } }) : { ...cur, primary: { value: CERT_X, enabledAt: (cur.primary?.enabledAt ?? 0) + 1, activeAt: 0 } });

/** Which script a call is, from its keys (READ 2-4 keys, no mark; WRITE 3-5, the third a mark; FENCE 1, a mark). */
type ScriptKind = "write" | "fence" | "other";
function kindOf(args: readonly unknown[]): ScriptKind {
  const n = Number(args[1]);
  const keys = args.slice(2, 2 + n).map(String);
  const mark = keys.findIndex((k) => k.includes(":write:"));
  if (mark < 0) return "other";
  return n === 1 ? "fence" : mark === 2 ? "write" : "other";
}

type Fate = "pass" | "lose-reply" | "drop";

/**
 * Makes the store's scripts meet `fate(kind)`: `lose-reply` runs the script in Redis and then
 * rejects as a timeout would (the reply is lost); `drop` never sends it and rejects the same way
 * (the command was lost on the way). Dropped calls are kept for a late replay.
 */
function interceptScripts(client: Redis, fate: (kind: ScriptKind) => Fate): { dropped: unknown[][] } {
  const dropped: unknown[][] = [];
  for (const method of ["evalsha", "eval"] as const) {
    const real = (client[method] as (...a: unknown[]) => Promise<unknown>).bind(client);
    vi.spyOn(client, method).mockImplementation(((...args: unknown[]) => {
      const f = fate(kindOf(args));
      if (f === "drop") {
        dropped.push([method, ...args]);
        return Promise.reject(new Error("Command timed out"));
      }
      const sent = real(...args);
      return f === "lose-reply" ? sent.then(() => Promise.reject(new Error("Command timed out"))) : sent;
    }) as never);
  }
  return { dropped };
}

// ---------------------------------------------------------------------------------------------
// 1. The store's outcomes, deterministic (the suite's Redis: nothing here breaks it)

const suite = await suiteRedis();

describe.skipIf(!suite.available)("write outcomes of the Redis store (deterministic)", () => {
  const url = suite.available ? suite.url : "";
  const prefixes: string[] = [];
  const stores: RedisCertificateStore[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit()));
    for (const p of prefixes) await deleteKeys(url, p);
  });
  async function setup(label: string, options: Partial<RedisCertificateStoreOptions> = {}) {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    const connections = testRedisClients(url);
    const store = new RedisCertificateStore(connections, { keyPrefix: prefix, logger: silentLogger, heartbeatMs: 0, settleTimeoutMs: 500, ...options });
    stores.push(store);
    await store.start();
    const direct = adminClient(url);
    clients.push(direct);
    // A first write loads the scripts into Redis, so a replayed EVALSHA below finds its script.
    await store.update(W, () => record(W));
    return { prefix, store, redis: connections.redis, direct };
  }

  it("a write Redis applied whose reply is lost resolves: the read-back finds it applied", async () => {
    const { prefix, store, redis, direct } = await setup("lost-reply");
    interceptScripts(redis, (k) => (k === "write" ? "lose-reply" : "pass"));
    const stored = await store.update(A, bump);
    expect(stored).toMatchObject({ appId: A, version: 1 });
    expect(JSON.parse((await direct.get(`${prefix}{${A}}:project`))!)).toEqual(stored);
    expect(store.get(A)).toEqual(stored);
  });

  it("a write that never reached Redis is fenced: StoreUnavailable (not 'unknown'), and replaying it later does nothing", async () => {
    const { prefix, store, redis, direct } = await setup("fenced");
    const { dropped } = interceptScripts(redis, (k) => (k === "write" ? "drop" : "pass"));
    const err = await store.update(A, bump).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailable);
    expect(err).not.toBeInstanceOf(WriteOutcomeUnknown);
    expect(mapError(err)).toEqual({ status: 503, body: { error: { code: "store_unavailable", message: "the certificate store is unavailable; nothing was changed" } } });
    // The stalled bytes arrive after all: the fenced attempt cannot apply.
    vi.restoreAllMocks();
    expect(dropped).toHaveLength(1);
    const [method, ...args] = dropped[0]!;
    expect(method).toBe("evalsha");
    expect(await (redis.evalsha as (...a: unknown[]) => Promise<unknown>).call(redis, ...args)).toEqual([2, 0]);
    expect(await direct.exists(`${prefix}{${A}}:project`)).toBe(0);
    expect(await direct.get(`${prefix}{${A}}:version`)).toBeNull();
    expect(store.get(A)).toBeUndefined();
  });

  it("a write whose outcome cannot be read back is WriteOutcomeUnknown (503 outcome_unknown), never 'nothing was changed'", async () => {
    const { prefix, store, redis, direct } = await setup("unknown", { settleTimeoutMs: 150 });
    interceptScripts(redis, (k) => (k === "write" ? "lose-reply" : k === "fence" ? "drop" : "pass"));
    const started = performance.now();
    const err = await store.update(A, bump).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteOutcomeUnknown);
    expect(err).toBeInstanceOf(StoreUnavailable); // still fails closed wherever StoreUnavailable is caught
    expect(performance.now() - started).toBeLessThan(1_000); // the read-back is bounded
    const mapped = mapError(err);
    expect(mapped.status).toBe(503);
    expect(mapped.body.error.code).toBe("outcome_unknown");
    expect(mapped.body.error.message).toBe("the write may or may not have been applied; read the project back before retrying, or retry with the same Idempotency-Key");
    // And indeed it was applied: "unknown" was the honest answer.
    expect(await direct.exists(`${prefix}{${A}}:project`)).toBe(1);
  });

  it("with an idempotency key a write applies at most once: a repeat resolves to the project as it is, without running fn", async () => {
    const { prefix, store, direct } = await setup("idempotent");
    const runs = vi.fn(bump);
    const first = await store.update(A, runs, { idempotencyKey: "k1" });
    const again = await store.update(A, runs, { idempotencyKey: "k1" });
    expect(runs).toHaveBeenCalledTimes(1);
    expect(again).toEqual(first);
    expect(await direct.get(`${prefix}{${A}}:version`)).toBe("1");
    // Another key, or the same key on another project, is another write.
    expect((await store.update(A, bump, { idempotencyKey: "k2" }))?.version).toBe(2);
    expect((await store.update(B, () => record(B), { idempotencyKey: "k1" }))?.version).toBe(1);
    // The key is kept as a digest, with a bounded life.
    const idem = (await direct.keys(`${prefix}{*}:idem:*`)).sort();
    expect(idem).toHaveLength(3);
    for (const k of idem) {
      expect(k).not.toContain("k1");
      expect(await direct.pttl(k)).toBeGreaterThan(86_000_000);
    }
    await expect(store.update(A, bump, { idempotencyKey: "" })).rejects.toThrow(TypeError);
    await expect(store.update(A, bump, { idempotencyKey: "x".repeat(513) })).rejects.toThrow(TypeError);
  });

  it("an unknown outcome repeated with its key applies once, even when the first attempt lands after the repeat", async () => {
    const { prefix, store, redis, direct } = await setup("late-landing", { settleTimeoutMs: 100 });
    const { dropped } = interceptScripts(redis, (k) => (k === "write" || k === "fence" ? "drop" : "pass"));
    await expect(store.update(A, bump, { idempotencyKey: "swap-1" })).rejects.toBeInstanceOf(WriteOutcomeUnknown);
    vi.restoreAllMocks();
    const repeated = await store.update(A, bump, { idempotencyKey: "swap-1" });
    expect(repeated).toMatchObject({ version: 1, primary: { enabledAt: 1 } });
    // The first attempt's bytes finally reach Redis: its key is taken, it does nothing.
    const [method, ...args] = dropped.find((d) => kindOf(d.slice(1)) === "write")!;
    expect(method).toBe("evalsha");
    expect(await (redis.evalsha as (...a: unknown[]) => Promise<unknown>).call(redis, ...args)).toEqual([3, 1]);
    expect(await direct.get(`${prefix}{${A}}:version`)).toBe("1");
    expect(JSON.parse((await direct.get(`${prefix}{${A}}:project`))!)).toMatchObject({ primary: { enabledAt: 1 } });
  });

  it("clear() settles the same way: lost replies of its applied deletes resolve, and the copy follows", async () => {
    const { prefix, store, redis, direct } = await setup("clear");
    await store.update(A, bump);
    await store.update(B, () => record(B));
    interceptScripts(redis, (k) => (k === "write" ? "lose-reply" : "pass"));
    await store.clear({ idempotencyKey: "reset-1" });
    expect(await direct.exists(`${prefix}{${A}}:project`, `${prefix}{${B}}:project`, `${prefix}{${W}}:project`)).toBe(0);
    await vi.waitFor(() => expect(store.list()).toEqual([]), { timeout: 2_000, interval: 10 });
    vi.restoreAllMocks();
    // A repeat of the same reset does not wipe what was created since.
    await store.update(A, bump);
    await store.clear({ idempotencyKey: "reset-1" });
    expect(await direct.exists(`${prefix}{${A}}:project`)).toBe(1);
  });

  it("a clear that stops half-way is WriteOutcomeUnknown (not 'nothing was changed'); repeating it with its key finishes it", async () => {
    const { prefix, store, redis, direct } = await setup("clear-partial");
    await store.update(A, bump);
    await store.update(B, () => record(B));
    // Projects are deleted in App ID order (A, B, W): the second delete is refused unsent.
    let writes = 0;
    const original = redis.evalsha.bind(redis) as (...a: unknown[]) => Promise<unknown>;
    vi.spyOn(redis, "evalsha").mockImplementation(((...args: unknown[]) => {
      if (kindOf(args) === "write" && ++writes === 2) return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
      return original(...args);
    }) as never);
    const err = await store.clear({ idempotencyKey: "reset-2" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteOutcomeUnknown);
    expect(mapError(err).body.error.code).toBe("outcome_unknown");
    expect(await direct.exists(`${prefix}{${A}}:project`)).toBe(0);
    expect(await direct.exists(`${prefix}{${B}}:project`)).toBe(1);
    vi.restoreAllMocks();
    await store.clear({ idempotencyKey: "reset-2" });
    expect(await direct.exists(`${prefix}{${A}}:project`, `${prefix}{${B}}:project`, `${prefix}{${W}}:project`)).toBe(0);
    expect(store.list()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The typed admin client against a scripted server

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

async function scriptedServer(replies: Array<{ status: number; body?: unknown }>): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    const r = replies.shift() ?? { status: 500, body: { error: { code: "internal_error", message: "script exhausted" } } };
    res.writeHead(r.status, { "content-type": "application/json" });
    res.end(r.body === undefined ? "" : JSON.stringify(r.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const UNKNOWN = { status: 503, body: { error: { code: "outcome_unknown", message: "the write may or may not have been applied; …" } } };
const UNAVAILABLE = { status: 503, body: { error: { code: "store_unavailable", message: "the certificate store is unavailable; nothing was changed" } } };
const VIEW = { appId: P, mode: "token", noCertificate: false, certificates: { primary: null, secondary: null } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the admin client and outcome_unknown", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });
  async function scripted(replies: Array<{ status: number; body?: unknown }>) {
    const s = await scriptedServer(replies);
    servers.push(s.server);
    return s;
  }

  it("repeats a write while its outcome is unknown, with the same Idempotency-Key, and resolves with the answer", async () => {
    const s = await scripted([UNKNOWN, UNAVAILABLE, UNKNOWN, { status: 200, body: VIEW }]);
    const admin = createAdminClient(s.url, { writeAttempts: 5, retryDelayMs: 1 });
    await expect(admin.certificates.swap(P)).resolves.toEqual(VIEW);
    expect(s.seen.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill(`POST /admin/projects/${P}/certificates/swap`));
    const keys = new Set(s.seen.map((r) => r.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(UUID);
  });

  it("gives up after writeAttempts with outcome_unknown and the key to repeat it with", async () => {
    const s = await scripted([UNKNOWN, UNAVAILABLE, UNAVAILABLE]);
    const admin = createAdminClient(s.url, { writeAttempts: 3, retryDelayMs: 1 });
    const err = (await admin.projects.create({ mechanism: "appid" }).catch((e: unknown) => e)) as AdminApiError;
    expect(err).toBeInstanceOf(AdminApiError);
    expect({ status: err.status, code: err.code }).toEqual({ status: 503, code: "outcome_unknown" });
    expect(err.message).toMatch(/may or may not have been applied \(not confirmed after 3 attempts\); read the project back/);
    expect(s.seen).toHaveLength(3);
    expect(err.idempotencyKey).toBe(s.seen[0]!.headers["idempotency-key"]);
    expect(err.message).toContain(err.idempotencyKey);
  });

  it("a first store_unavailable is final (nothing was changed): no repeat", async () => {
    const s = await scripted([UNAVAILABLE]);
    const admin = createAdminClient(s.url, { retryDelayMs: 1 });
    await expect(admin.certificates.enableSecondary(P)).rejects.toMatchObject({ status: 503, code: "store_unavailable" });
    expect(s.seen).toHaveLength(1);
  });

  it("a definite refusal after an unknown outcome is surfaced as it is", async () => {
    const s = await scripted([UNKNOWN, { status: 409, body: { error: { code: "secondary_exists", message: "x" } } }]);
    const admin = createAdminClient(s.url, { retryDelayMs: 1 });
    await expect(admin.certificates.enableSecondary(P)).rejects.toMatchObject({ status: 409, code: "secondary_exists" });
    expect(s.seen).toHaveLength(2);
  });

  it("reads carry no key and are never repeated; each write call has its own key; bounds are checked", async () => {
    const s = await scripted([UNKNOWN, { status: 200, body: VIEW }, { status: 204 }]);
    const admin = createAdminClient(s.url, { retryDelayMs: 1 });
    await expect(admin.projects.get(P)).rejects.toMatchObject({ status: 503, code: "outcome_unknown" });
    await admin.certificates.swap(P);
    await admin.reset();
    expect(s.seen[0]!.headers["idempotency-key"]).toBeUndefined();
    expect(s.seen[1]!.headers["idempotency-key"]).toMatch(UUID);
    expect(s.seen[2]!.headers["idempotency-key"]).toMatch(UUID);
    expect(s.seen[2]!.headers["idempotency-key"]).not.toBe(s.seen[1]!.headers["idempotency-key"]);
    expect(() => createAdminClient(s.url, { writeAttempts: 0 })).toThrow(RangeError);
    expect(() => createAdminClient(s.url, { writeAttempts: 21 })).toThrow(RangeError);
    expect(() => createAdminClient(s.url, { retryDelayMs: 5_000 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Idempotency-Key over HTTP (suite Redis)

describe.skipIf(!suite.available)("Idempotency-Key on the admin API (Redis store)", () => {
  const url = suite.available ? suite.url : "";
  const prefix = uniquePrefix("idem-http");
  let gw: Gateway;
  let direct: Redis;
  beforeAll(async () => {
    const store = new RedisCertificateStore(testRedisClients(url), { keyPrefix: prefix, logger: silentLogger, heartbeatMs: 0 });
    await store.start();
    gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false, journalSize: 0 }, store, logger: silentLogger });
    direct = adminClient(url);
  });
  afterAll(async () => {
    await gw?.close();
    await direct?.quit();
    await deleteKeys(url, prefix);
  });

  it("a repeated create names the same project (App ID derived from the key) and answers as the first did", async () => {
    const api = adminApi(gw.httpUrl);
    const first = await api.call("POST", "/admin/projects", { mechanism: "token" }, { "idempotency-key": '"create-1"' });
    const again = await api.call("POST", "/admin/projects", { mechanism: "token" }, { "idempotency-key": "create-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const appId = (first.body as { appId: string }).appId;
    expect(appId).toMatch(/^[0-9a-f]{32}$/);
    expect(await direct.get(`${prefix}{${appId}}:version`)).toBe("1");
    // The same key with another body is another request.
    const other = await api.call("POST", "/admin/projects", { mechanism: "appid" }, { "idempotency-key": "create-1" });
    expect(other.status).toBe(201);
    expect((other.body as { appId: string }).appId).not.toBe(appId);
  });

  it("a repeated swap swaps once; without the key it swaps again", async () => {
    const api = adminApi(gw.httpUrl);
    await gw.store.update(P, () => record(P, { noCertificate: false, primary: { value: CERT_X, enabledAt: 0, activeAt: 0 }, secondary: { value: CERT_Y, enabledAt: 0, activeAt: 0 } }));
    const path = `/admin/projects/${P}/certificates/swap`;
    const a = await api.call("POST", path, undefined, { "idempotency-key": "swap-1" });
    const b = await api.call("POST", path, undefined, { "idempotency-key": "swap-1" });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body).toMatchObject({ certificates: { primary: { value: CERT_Y }, secondary: { value: CERT_X } } });
    const c = await api.call("POST", path);
    expect(c.body).toMatchObject({ certificates: { primary: { value: CERT_X }, secondary: { value: CERT_Y } } });
  });

  it("refuses a malformed key with 400 invalid_request before writing anything", async () => {
    const api = adminApi(gw.httpUrl);
    const before = await direct.get(`${prefix}{${P}}:version`);
    for (const bad of ["two words", "x".repeat(256), '""', "é"]) {
      const r = await api.call("POST", `/admin/projects/${P}/certificates/swap`, undefined, { "idempotency-key": bad });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: { code: "invalid_request", message: "Idempotency-Key: 1-255 visible ASCII characters" } });
    }
    expect(await direct.get(`${prefix}{${P}}:version`)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Chaos: the test's own redis-server stalled or killed at the instant a write is sent

const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the admin-write chaos tests are required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the admin-write chaos tests: ${noServer}`);
}

/**
 * A store that runs `beforeWrite(n)` inside the n-th update's function: after its read, right
 * before its write is sent. That is where a stall or a crash makes a reply go missing.
 */
class HookedStore implements CertificateStore {
  private n = 0;
  private readonly inner: RedisCertificateStore;
  private readonly beforeWrite: (n: number) => void;
  constructor(inner: RedisCertificateStore, beforeWrite: (n: number) => void) {
    this.inner = inner;
    this.beforeWrite = beforeWrite;
  }
  auth = (appId: string, now: number) => this.inner.auth(appId, now);
  get = (appId: string) => this.inner.get(appId);
  list = () => this.inner.list();
  clear = (options?: WriteOptions) => this.inner.clear(options);
  onChange = (l: (appId: string) => void) => this.inner.onChange(l);
  close = () => this.inner.close();
  update(appId: string, fn: ProjectUpdate, options?: WriteOptions) {
    const n = ++this.n;
    let first = true;
    return this.inner.update(
      appId,
      (cur) => {
        const next = fn(cur);
        if (first) {
          first = false;
          this.beforeWrite(n);
        }
        return next;
      },
      options,
    );
  }
}

type Chaos = "stall" | "kill";

describe.skipIf(noServer !== undefined)("admin writes while the own redis-server stalls or dies mid-write", () => {
  let server: OwnRedisServer;
  let direct: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    // AOF with fsync on every write: what Redis acknowledged survives the kill.
    server = await startOwnRedisServer(["--appendonly", "yes", "--appendfsync", "always"]);
    direct = adminClient(server.url);
    direct.on("error", () => undefined); // it reconnects by itself while Redis is down
  });
  afterAll(async () => {
    await direct?.quit().catch(() => direct.disconnect());
    await server?.dispose();
  });

  /** A gateway whose store times commands out fast, with a short read-back, and the hook. */
  async function gatewayWithChaos(label: string, chaos: Chaos, atWrite: number) {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    let logged = "";
    const logger = createLogger("warn", new Writable({ write: (c: Buffer, _e, done) => ((logged += c.toString()), done()) }));
    const connections = createRedisClients(server.url, { connectionName: "rtm-auth-test", retryStrategy: () => 50, connectTimeout: 500, commandTimeout: 300 });
    const inner = new RedisCertificateStore(connections, { keyPrefix: prefix, logger, heartbeatMs: 200, settleTimeoutMs: 300, maxStalenessMs: 60_000 });
    await inner.start();
    let chaosOver: Promise<void> = Promise.resolve();
    const store = new HookedStore(inner, (n) => {
      if (n !== atWrite) return;
      if (chaos === "stall") {
        server.pause(); // synchronous: the write about to be sent reaches a stopped Redis
        chaosOver = sleep(1_200).then(() => server.resume());
      } else {
        chaosOver = server
          .kill()
          .then(() => sleep(300))
          .then(() => server.start());
      }
    });
    const gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false, journalSize: 0 }, store, logger: silentLogger });
    return {
      prefix,
      gw,
      inner,
      logged: () => logged,
      /** Resolves once Redis is back and the store is in sync again, plus time for late arrivals. */
      async recovered() {
        await chaosOver;
        await vi.waitFor(() => expect(inner.isReady() && inner.status().connected).toBe(true), { timeout: 10_000, interval: 20 });
        await sleep(300);
      },
    };
  }

  it.each(["stall", "kill"] as const)("%s: 200 creates, none answered store_unavailable is ever applied", async (chaos) => {
    const TOTAL = 200;
    const WORKERS = 10;
    const g = await gatewayWithChaos(`writes-${chaos}`, chaos, 60);
    try {
      const api = adminApi(g.gw.httpUrl);
      const appIds = Array.from({ length: TOTAL }, (_, i) => `c0ffee${i.toString(16).padStart(26, "0")}`);
      const results: Array<{ status: number; code: string | undefined }> = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < TOTAL) {
          const i = next++;
          const r = await api.call("POST", "/admin/projects", { mechanism: "appid", appId: appIds[i] });
          results[i] = { status: r.status, code: (r.body as { error?: { code?: string } } | null)?.error?.code };
          // Back off after a refusal, so the outage does not use up the 200 writes.
          if (r.status !== 201) await sleep(150);
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
      await g.recovered();

      // Redis, read directly: every 201 is there, no store_unavailable is.
      const present = await Promise.all(appIds.map((id) => direct.exists(`${g.prefix}{${id}}:project`)));
      const lies: string[] = [];
      results.forEach((r, i) => {
        if (r.status === 201 && present[i] !== 1) lies.push(`${appIds[i]}: 201 but absent`);
        if (r.code === "store_unavailable" && present[i] !== 0) lies.push(`${appIds[i]}: store_unavailable but applied`);
      });
      expect(lies).toEqual([]);

      const outcomes = new Map<string, number>();
      for (const r of results) outcomes.set(`${r.status} ${r.code ?? ""}`.trim(), (outcomes.get(`${r.status} ${r.code ?? ""}`.trim()) ?? 0) + 1);
      // Only these answers: applied, not applied (true), or unknown.
      expect([...outcomes.keys()].filter((k) => !["201", "503 store_unavailable", "503 outcome_unknown"].includes(k))).toEqual([]);
      expect(outcomes.get("201") ?? 0).toBeGreaterThan(TOTAL / 4); // before and after the outage
      expect((outcomes.get("503 store_unavailable") ?? 0) + (outcomes.get("503 outcome_unknown") ?? 0)).toBeGreaterThan(0);
      // A write was caught in flight, and its outcome had to be read back.
      expect(g.logged()).toContain("reply lost; outcome read back");
      if (chaos === "stall") expect(outcomes.get("503 outcome_unknown") ?? 0).toBeGreaterThan(0);
    } finally {
      await g.gw.close();
      await deleteKeys(server.url, g.prefix).catch(() => undefined);
    }
  }, 30_000);

  it.each(["stall", "kill"] as const)("%s: the admin client resolves every outcome_unknown (each successful swap counted once)", async (chaos) => {
    const SWAPS = 120;
    const g = await gatewayWithChaos(`client-${chaos}`, chaos, 40);
    try {
      await g.inner.update(P, () => record(P, { noCertificate: false, primary: { value: CERT_X, enabledAt: 0, activeAt: 0 }, secondary: { value: CERT_Y, enabledAt: 0, activeAt: 0 } }));
      // Every response the client sees, to prove the unknown path was taken and repeated with its key.
      const seen: Array<{ key: string | null; status: number; code: string | undefined }> = [];
      const realFetch = globalThis.fetch;
      vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
        const res = await realFetch(input, init);
        const body = (await res.clone().json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
        seen.push({ key: new Headers(init?.headers).get("idempotency-key"), status: res.status, code: body?.error?.code });
        return res;
      });
      const admin = createAdminClient(g.gw.httpUrl, { writeAttempts: 10, retryDelayMs: 100 });
      let applied = 0;
      let refused = 0;
      const other: unknown[] = [];
      for (let i = 0; i < SWAPS; i++) {
        try {
          await admin.certificates.swap(P);
          applied++;
        } catch (err) {
          if (err instanceof AdminApiError && err.code === "store_unavailable") refused++;
          else other.push(err);
        }
      }
      vi.restoreAllMocks();
      await g.recovered();
      expect(other).toEqual([]); // no unresolved outcome_unknown, nothing else
      expect(applied + refused).toBe(SWAPS);
      const unknowns = seen.filter((s) => s.code === "outcome_unknown");
      if (chaos === "stall") expect(unknowns.length).toBeGreaterThan(0);
      for (const u of unknowns) {
        // The same key was sent again until it was answered.
        const repeats = seen.filter((s) => s.key === u.key);
        expect(repeats.length).toBeGreaterThan(1);
        expect(repeats.at(-1)?.status).toBe(200);
      }
      // Each answered swap happened exactly once: the parity of the swaps shows in Redis.
      const stored = JSON.parse((await direct.get(`${g.prefix}{${P}}:project`))!) as ProjectRecord;
      expect(stored.primary?.value).toBe(applied % 2 === 0 ? CERT_X : CERT_Y);
      expect(Number(await direct.get(`${g.prefix}{${P}}:version`))).toBe(1 + applied);
    } finally {
      vi.restoreAllMocks();
      await g.gw.close();
      await deleteKeys(server.url, g.prefix).catch(() => undefined);
    }
  }, 30_000);
});
