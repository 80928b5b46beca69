/**
 * The one place that finds a Redis for the test suite, in this order:
 *
 * 1. `REDIS_URL` (used as is; it must answer PING);
 * 2. a `redis-server` binary (`REDIS_SERVER_BIN` or on PATH), started here on a unix socket in
 *    a temp dir, without persistence, and stopped at teardown;
 * 3. 127.0.0.1:6379, if it answers PING (a shared server: tests only touch their own prefix).
 *
 * The search runs once per `vitest run` (test/support/redis-global-setup.ts provides the result
 * to every file); a file run without that global setup searches by itself.
 *
 * When nothing is found, Redis tests are skipped with a printed reason; with `CI=true` the run
 * fails loudly instead.
 *
 * Every test uses its own key prefix (`uniquePrefix`) and deletes its keys (`deleteKeys`).
 * Tests that break Redis on purpose use `startOwnRedisServer()`, never the shared server.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { inject } from "vitest";
import { RedisCertificateStore } from "../../gateway/infra/certificate-store-redis.js";
import { createRedisClients, redisClientOptions } from "../../gateway/infra/redis-clients.js";
import type { Logger } from "../../gateway/logger.js";
import type { StoreFactory } from "../contract/certificate-store.contract.js";

/** What the search found: a Redis to use, or why there is none. */
export type RedisDiscovery =
  | { readonly available: true; readonly url: string; readonly source: "REDIS_URL" | "redis-server" | "127.0.0.1:6379"; readonly notes: readonly string[] }
  | { readonly available: false; readonly reason: string };

declare module "vitest" {
  export interface ProvidedContext {
    redis: RedisDiscovery;
  }
}

const SHARED = { host: "127.0.0.1", port: 6379 };

/** A silent logger for stores under test. */
export const silentLogger: Logger = pino({ level: "silent" });

// ---------------------------------------------------------------- PING without a client

export type Endpoint = { readonly path: string } | { readonly host: string; readonly port: number };

/** The endpoint of a URL as ioredis reads it: a path is a unix socket. */
function endpointOf(url: string): Endpoint {
  if (url.startsWith("/")) return { path: url };
  const u = new URL(url);
  return { host: u.hostname || "127.0.0.1", port: Number(u.port || 6379) };
}

/** Sends one inline command and resolves with the first reply line (or rejects). */
export function rawCommand(endpoint: Endpoint, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = "path" in endpoint ? createConnection(endpoint.path) : createConnection(endpoint.port, endpoint.host);
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk: string) => {
      data += chunk;
      const end = data.indexOf("\r\n");
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`connection closed before an answer to ${command}`));
    });
  });
}

export async function answersPing(endpoint: Endpoint, timeoutMs = 1_000): Promise<boolean> {
  try {
    const reply = await rawCommand(endpoint, "PING", timeoutMs);
    // A server started with --requirepass answers, with NOAUTH: it is up.
    return reply === "+PONG" || reply.startsWith("-NOAUTH");
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- redis-server processes

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
}

function redisServerBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? "redis-server";
}

/** A redis-server child process with fixed arguments (so it restarts identically). */
export class RedisServerProcess {
  readonly endpoint: Endpoint;
  private readonly args: readonly string[];
  private child: ChildProcess | undefined;
  private output = "";

  constructor(endpoint: Endpoint, args: readonly string[]) {
    this.endpoint = endpoint;
    this.args = args;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 5_000): Promise<void> {
    if (this.running) return;
    this.output = "";
    const child = spawn(redisServerBinary(), [...this.args], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    killOnExit(child);
    child.stdout?.on("data", (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4_000)));
    child.stderr?.on("data", (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4_000)));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    await spawned;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited at start (${this.child?.exitCode}): ${this.output.trim()}`);
      if (await answersPing(this.endpoint, 200)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.kill();
    throw new Error(`redis-server did not answer PING within ${timeoutMs} ms: ${this.output.trim()}`);
  }

  /** SHUTDOWN SAVE: a clean stop that keeps the data for the next start(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await rawCommand(this.endpoint, "SHUTDOWN SAVE", 2_000).catch(() => undefined); // the server closes without replying
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Sends `signal` (SIGSTOP / SIGCONT: a stall and its end, connections kept). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** SIGKILL: nothing is saved. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }
}

/** Why no redis-server can be started here (binary missing or broken), or undefined when one can. */
export function redisServerUnavailable(): string | undefined {
  const r = spawnSync(redisServerBinary(), ["--version"], { encoding: "utf8", timeout: 5_000 });
  if (r.error !== undefined) return `${redisServerBinary()}: ${r.error.message}`;
  if (r.status !== 0) return `${redisServerBinary()} --version exited with ${r.status}`;
  return undefined;
}

export const BASE_ARGS = ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", "--dbfilename", "dump.rdb"];

/** A free TCP port on 127.0.0.1 (closed again; redis-server binds it right after). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface OwnRedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** A clean stop (SHUTDOWN SAVE): the data is back after `start()`. */
  stop(): Promise<void>;
  /** (Re)starts on the same port. */
  start(): Promise<void>;
  /** SIGKILL: a crash; a later `start()` has only what the last `stop()` saved. */
  kill(): Promise<void>;
  /** SIGSTOP: Redis stalls (connections stay open, nothing is answered) until `resume()`. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Kills the server and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * A private redis-server on a free 127.0.0.1 port, for tests that stop, stall or kill Redis.
 * `extraArgs` are added to its command line (e.g. `["--requirepass", "…"]`).
 */
export async function startOwnRedisServer(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "rtm-redis-"));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new RedisServerProcess({ host: "127.0.0.1", port }, [...BASE_ARGS, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...extraArgs]);
    try {
      await server.start();
    } catch (err) {
      if (attempt < 3) continue; // the port was taken in between
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: () => server.stop(),
      start: () => server.start(),
      kill: () => server.kill(),
      pause: () => server.signal("SIGSTOP"),
      resume: () => server.signal("SIGCONT"),
      dispose: async () => {
        await server.kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** A private redis-server on a unix socket in a temp dir (the suite's Redis when nothing else is given). */
async function startSocketRedisServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "rtm-redis-"));
  const path = join(dir, "redis.sock");
  const server = new RedisServerProcess({ path }, [...BASE_ARGS, "--port", "0", "--unixsocket", path, "--unixsocketperm", "700", "--dir", dir]);
  try {
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: path,
    stop: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- the search

export interface AcquiredRedis {
  readonly found: RedisDiscovery;
  release(): Promise<void>;
}

const nothing = async (): Promise<void> => undefined;

/** Finds (or starts) a Redis in the documented order. Never throws: see `found.available`. */
export async function acquireRedis(): Promise<AcquiredRedis> {
  const notes: string[] = [];
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (await answersPing(endpointOf(fromEnv), 2_000)) return { found: { available: true, url: fromEnv, source: "REDIS_URL", notes }, release: nothing };
    return { found: { available: false, reason: `REDIS_URL is set but does not answer PING` }, release: nothing };
  }

  try {
    const server = await startSocketRedisServer();
    return { found: { available: true, url: server.url, source: "redis-server", notes }, release: () => server.stop() };
  } catch (err) {
    notes.push(`redis-server: ${err instanceof Error ? err.message : String(err)}`);
  }

  if (await answersPing(SHARED)) return { found: { available: true, url: `redis://${SHARED.host}:${SHARED.port}`, source: "127.0.0.1:6379", notes }, release: nothing };
  notes.push("127.0.0.1:6379: no answer to PING");
  return { found: { available: false, reason: `no Redis found (${notes.join("; ")})` }, release: nothing };
}

let ownSearch: Promise<AcquiredRedis> | undefined;

function provided(): RedisDiscovery | undefined {
  try {
    return inject("redis");
  } catch {
    return undefined;
  }
}

/**
 * The suite's Redis, for a test file's top level (`const redis = await suiteRedis()`), to be
 * used with `describe.skipIf(!redis.available)`. Prints why Redis tests are skipped; with
 * `CI=true` and no Redis, throws (the run must fail).
 */
export async function suiteRedis(): Promise<RedisDiscovery> {
  let found = provided();
  if (found === undefined) {
    ownSearch ??= acquireRedis().then((a) => {
      process.once("beforeExit", () => void a.release());
      return a;
    });
    found = (await ownSearch).found;
  }
  if (!found.available) {
    if (process.env.CI === "true") throw new Error(`Redis is required in CI (CI=true) and none was found: ${found.reason}`);
    console.warn(`[redis] skipping Redis tests: ${found.reason}`);
  }
  return found;
}

// ---------------------------------------------------------------- per-test helpers

/** A prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `rtm-auth-test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Connections built like the gateway's (fail fast), with quick reconnects for tests. */
export function testRedisClients(url: string, retryMs = 50): { redis: Redis; subscriber: Redis } {
  const { redis, subscriber } = createRedisClients(url, testClientOptions(retryMs));
  if (!(redis instanceof Redis) || !(subscriber instanceof Redis)) throw new TypeError("testRedisClients takes one server's or a Sentinel URL (see test/support/redis-cluster.ts for a cluster)");
  return { redis, subscriber };
}

/** One plain client for assertions and cleanup (connected; the caller quits it). */
export function adminClient(url: string): Redis {
  return new Redis(url, redisClientOptions({ lazyConnect: false, connectionName: "rtm-auth-test-admin", enableOfflineQueue: true, retryStrategy: () => 50 }));
}

/** Every key under `prefix` (SCAN, so the shared server is never blocked). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Deletes every key under `prefix`; resolves with how many there were. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  if (!prefix.startsWith("rtm-auth-test:")) throw new Error(`refusing to delete keys outside the test namespace: ${prefix}`);
  const client = adminClient(url);
  try {
    const keys = await keysUnder(client, prefix);
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
    return keys.length;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** The options of every test connection: named, reconnecting every `retryMs`, a short connect timeout. */
function testClientOptions(retryMs: number) {
  return { connectionName: "rtm-auth-test", retryStrategy: () => retryMs, connectTimeout: 1_000 };
}

/** A RedisCertificateStore on `url` (any REDIS_URL form) under `prefix`, reconnecting fast; not started. */
export function storeOn(url: string, prefix: string): RedisCertificateStore {
  const clients = createRedisClients(url, testClientOptions(50));
  return new RedisCertificateStore({ redis: clients.redis, subscriber: clients.subscriber }, { keyPrefix: prefix, logger: silentLogger });
}

/**
 * The store contract's factory on `url`: every fixture's stores share one fresh prefix (a peer
 * is another gateway's store), closed and their keys removed with `remove(prefix)` at cleanup.
 */
export function contractStoresOn(url: () => string, label: string, remove: (prefix: string) => Promise<unknown>): StoreFactory {
  return {
    async create() {
      const prefix = uniquePrefix(label);
      const made: RedisCertificateStore[] = [];
      const make = async (): Promise<RedisCertificateStore> => {
        const s = storeOn(url(), prefix);
        made.push(s);
        await s.start();
        return s;
      };
      const store = await make();
      return {
        store,
        peer: make,
        async cleanup() {
          await Promise.all(made.map((s) => s.close()));
          await remove(prefix);
        },
      };
    },
  };
}
