/**
 * Cluster idle-memory benchmark: `--sessions` logged-in idle sessions (default 50 000) spread
 * evenly over `--gateways` gateway processes (default 3) that share one Redis, held open by
 * several holder processes (cluster-holder.ts; each under the per-process open-file limit).
 *
 *   node dist/bench/cluster-memory-bench.js [--sessions N] [--gateways G] [--redis single|cluster] [--json FILE]
 *
 * Setup: an own redis-server, or with `--redis cluster` an own 3-master Redis Cluster
 * (scale-redis.ts), G × `rtm-auth serve --no-dev-seed` with REDIS_URL
 * and one key prefix (gateway-process.ts), one token project created on the first gateway and
 * seen by all. Each gateway first takes a few hundred login cycles (warm-up), then its RSS and
 * heap are read from its own `GET /metrics` (process_resident_memory_bytes,
 * nodejs_heap_size_used_bytes) after a settle delay; the holders log every session in (007
 * token, own uid) round-robin over the gateways and keep the sockets open; after the same settle
 * delay the figures are read again, with rtm_auth_active_sessions to check every session is
 * there. Per session = (after − before) / sessions on that gateway. Redis' used_memory is read
 * around it too (sessions live in the gateways; Redis holds one ownership record per session,
 * docs/redis.md "Session ownership").
 *
 * Exit 0, or 1 when not every session was opened and held; 2 on a usage error.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { BenchChild } from "./bench-ipc.js";
import { startGatewayProcess, type GatewayProcess } from "./gateway-process.js";
import { MAX_PER_HOLDER } from "./memory-bench.js";
import { CLUSTER_MASTERS, startScaleRedis } from "./scale-redis.js";
import type { ScaleRedis } from "./scale-fanout.js";

const USAGE = "usage: node dist/bench/cluster-memory-bench.js [--sessions N] [--gateways G] [--redis single|cluster] [--json FILE]";
/** A gateway process holds its sessions' sockets: keep each under the open-file limit too. */
const MAX_PER_GATEWAY = 19_000;
const SETTLE_MS = 3_000;
const WARM_CYCLES = 300;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({ options: { sessions: { type: "string" }, gateways: { type: "string" }, redis: { type: "string" }, json: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
} catch (err) {
  usage((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const SESSIONS = Number(values.sessions ?? 50_000);
const GATEWAYS = Number(values.gateways ?? 3);
if (!Number.isInteger(GATEWAYS) || GATEWAYS < 1 || GATEWAYS > 8) usage("--gateways must be an integer in [1, 8]");
if (!Number.isInteger(SESSIONS) || SESSIONS < GATEWAYS || SESSIONS > GATEWAYS * MAX_PER_GATEWAY) usage(`--sessions must be an integer in [${GATEWAYS}, ${GATEWAYS * MAX_PER_GATEWAY}]`);
const HOLDERS = Math.max(2, Math.ceil(SESSIONS / MAX_PER_HOLDER));
const REDIS_MODE = values.redis ?? "single";
if (REDIS_MODE !== "single" && REDIS_MODE !== "cluster") usage("--redis must be single or cluster");

const log = (line = ""): void => console.log(line);
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

interface GatewayFigures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly sessions: number;
}

/** RSS, V8 heap used and logged-in sessions from the gateway's own metrics. */
async function figures(g: GatewayProcess): Promise<GatewayFigures> {
  const text = await (await fetch(`${g.http}/metrics`)).text();
  const value = (name: string): number => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    if (m === null) throw new Error(`gateway ${g.pid}: no ${name} in /metrics`);
    return Number(m[1]);
  };
  return { rss: value("process_resident_memory_bytes"), heapUsed: value("nodejs_heap_size_used_bytes"), sessions: value("rtm_auth_active_sessions") };
}

async function call<T>(http: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${http}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
  return { status: res.status, body: (await res.json()) as T };
}

const startedAt = performance.now();
log(`cluster memory bench — node ${process.version}, ${os.cpus().length} CPUs; ${SESSIONS} sessions over ${GATEWAYS} gateways sharing ${REDIS_MODE === "cluster" ? `a ${CLUSTER_MASTERS}-master Redis Cluster` : "one Redis"}, ${HOLDERS} holder processes`);

let redis: ScaleRedis | null = null;
/** Redis used_memory summed over the servers. */
const redisUsedMemory = async (r: ScaleRedis): Promise<number> => {
  let sum = 0;
  for (const n of r.nodes) sum += Number(/used_memory:(\d+)/.exec(await n.info("memory"))?.[1] ?? Number.NaN);
  return sum;
};
const gateways: GatewayProcess[] = [];
const holders: BenchChild[] = [];
let out: Record<string, unknown> | null = null;
let complete = false;
try {
  redis = await startScaleRedis(REDIS_MODE);
  const version = /redis_version:(\S+)/.exec(await redis.nodes[0]!.info("server"))?.[1] ?? "?";
  const prefix = `rtm-auth-cluster:${randomBytes(4).toString("hex")}:`;
  const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn", MAX_CONNECTIONS: String(MAX_PER_GATEWAY + 500), LOGIN_DEADLINE_SECONDS: "15" };
  gateways.push(...(await Promise.all(Array.from({ length: GATEWAYS }, (_, i) => startGatewayProcess({ name: `gateway ${i}`, env })))));
  log(`redis-server ${version} (${REDIS_MODE === "cluster" ? `a ${CLUSTER_MASTERS}-master cluster` : "one server"}) at ${redis.url}; gateways ${gateways.map((g) => `${g.port} (pid ${g.pid})`).join(", ")}`);

  const created = await call<{ appId: string; certificates: { primary: { value: string } | null } }>(gateways[0]!.http, "POST", "/admin/projects", { mechanism: "token" });
  const certificate = created.body.certificates.primary?.value;
  if (created.status !== 201 || certificate === undefined) throw new Error(`POST /admin/projects → ${created.status}`);
  const appId = created.body.appId;
  for (const g of gateways) {
    for (let i = 0; (await fetch(`${g.http}/admin/projects/${appId}`)).status !== 200; i++) {
      if (i >= 300) throw new Error(`gateway ${g.pid} never saw the project`);
      await sleep(10);
    }
  }

  const counts = Array.from({ length: HOLDERS }, (_, i) => Math.floor(SESSIONS / HOLDERS) + (i < SESSIONS % HOLDERS ? 1 : 0));
  for (let i = 0; i < HOLDERS; i++) holders.push((await BenchChild.start(`holder ${i}`, "./cluster-holder.js", [])).child);
  const t0 = performance.now();
  await Promise.all(holders.map((h, i) => h.request({ type: "mint", appId, certificate, count: counts[i]!, prefix: `c${i}-` }, 300_000)));
  log(`minted ${SESSIONS} tokens in ${HOLDERS} holders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const ports = gateways.map((g) => g.port);
  await holders[0]!.request({ type: "warm", ports, count: WARM_CYCLES }, 120_000);
  await sleep(SETTLE_MS);
  const before = await Promise.all(gateways.map(figures));
  const redisBefore = await redisUsedMemory(redis);

  const t1 = performance.now();
  const opened = await Promise.all(holders.map((h) => h.request({ type: "hold", ports, concurrency: 96 }, 600_000)));
  const openMs = performance.now() - t1;
  const ok = opened.reduce((s, m) => s + Number(m["opened"]), 0);
  const failed = opened.reduce((s, m) => s + Number(m["failed"]), 0);
  const firstError = opened.map((m) => m["firstError"]).find((e) => typeof e === "string") ?? null;
  log(`${ok} sessions open (${failed} failed) in ${(openMs / 1000).toFixed(1)} s${firstError === null ? "" : `; first error: ${String(firstError)}`}`);
  await sleep(SETTLE_MS);
  const after = await Promise.all(gateways.map(figures));
  const redisAfter = await redisUsedMemory(redis);
  const stats = await Promise.all(holders.map((h) => h.request({ type: "stats" })));
  const dropped = stats.reduce((s, m) => s + Number(m["dropped"]), 0);
  await Promise.all(holders.map((h) => h.request({ type: "release" }, 60_000)));

  const perGateway = gateways.map((g, i) => {
    const b = before[i]!;
    const a = after[i]!;
    const sessions = a.sessions - b.sessions;
    return { port: g.port, sessions, rssBefore: b.rss, rssAfter: a.rss, rssPerSession: (a.rss - b.rss) / sessions, heapUsedBefore: b.heapUsed, heapUsedAfter: a.heapUsed, heapPerSession: (a.heapUsed - b.heapUsed) / sessions };
  });
  const totalSessions = perGateway.reduce((s, g) => s + g.sessions, 0);
  const rssDelta = perGateway.reduce((s, g) => s + (g.rssAfter - g.rssBefore), 0);
  complete = ok === SESSIONS && failed === 0 && dropped === 0 && totalSessions === SESSIONS;

  log("");
  log("gateway   sessions   RSS before    RSS after   RSS B/session   heap B/session");
  for (const g of perGateway) {
    log(`${String(g.port).padEnd(9)} ${String(g.sessions).padStart(8)}   ${mib(g.rssBefore).padStart(10)}   ${mib(g.rssAfter).padStart(10)}   ${g.rssPerSession.toFixed(0).padStart(13)}   ${g.heapPerSession.toFixed(0).padStart(14)}`);
  }
  log(`all       ${String(totalSessions).padStart(8)}   RSS +${mib(rssDelta)}, ${(rssDelta / totalSessions).toFixed(0)} B per session; Redis used_memory ${mib(redisBefore)} → ${mib(redisAfter)}`);
  if (!complete) log(`WARNING: opened ${ok}/${SESSIONS}, failed ${failed}, dropped while held ${dropped}, gateways count ${totalSessions}`);

  out = {
    benchmark: "cluster-memory",
    node: process.version,
    cpus: os.cpus().length,
    sessions: SESSIONS,
    gateways: GATEWAYS,
    holders: HOLDERS,
    settleMs: SETTLE_MS,
    warmCycles: WARM_CYCLES,
    redisVersion: version,
    redisMode: REDIS_MODE,
    masters: REDIS_MODE === "cluster" ? CLUSTER_MASTERS : 1,
    opened: ok,
    failed,
    firstError,
    droppedWhileHeld: dropped,
    openMs,
    perGateway,
    totalSessions,
    rssDelta,
    rssPerSession: rssDelta / totalSessions,
    redisUsedMemoryBefore: redisBefore,
    redisUsedMemoryAfter: redisAfter,
    complete,
  };
} catch (err) {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  for (const g of gateways) if (g.output().trim() !== "") log(`gateway output (pid ${g.pid}):\n${g.output().trim()}`);
} finally {
  await Promise.all(holders.map((h) => h.stop()));
  await Promise.all(gateways.map((g) => g.stop()));
  await redis?.stop();
}
log(`(${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
if (values.json !== undefined && out !== null) {
  writeFileSync(values.json, `${JSON.stringify({ ...out, seconds: (performance.now() - startedAt) / 1000 }, null, 2)}\n`);
  log(`figures written to ${values.json}`);
}
process.exit(complete ? 0 : 1);
