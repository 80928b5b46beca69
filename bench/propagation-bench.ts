/**
 * Propagation benchmark: how fast a certificate change made on one gateway reaches another
 * through Redis, and what a login costs in Redis commands.
 *
 *   npm run bench:propagation -- [--count N] [--warmup N] [--logins M] [--concurrency C]
 *                                [--skip-commands] [--json FILE] [--check]
 *
 * Setup: its own redis-server (REDIS_SERVER_BIN or /usr/bin/redis-server, a free 127.0.0.1 port,
 * `--save "" --appendonly no`, stopped at the end), and two gateway processes on it
 * (`rtm-auth serve --port 0 --json --no-dev-seed`, REDIS_URL, a unique REDIS_KEY_PREFIX,
 * LOG_LEVEL=warn), A and B. One token project is created on A.
 *
 * 1. Propagation. `--count` times (default 200, after `--warmup` uncounted ones, default 10) a
 *    certificate change is made on A through the admin API, alternating "enable a secondary"
 *    (POST …/certificates/secondary) and "delete it" (DELETE …/certificates/secondary), and B's
 *    admin view of the project (GET /admin/projects/:appId, the same in-process copy that logins
 *    read) is polled back to back until it shows the change. Lag = from just before A's request
 *    is sent to the arrival of B's first poll reply that shows it (an upper bound: it includes
 *    A's request handling and up to one poll round trip). The next change starts only after both
 *    A's reply and B's observation. Reported: p50/p90/p99/max; target p99 ≤ 100 ms. A change not
 *    seen within 5 s counts as a failure. The Redis commands made during the timed changes are
 *    printed per change (`INFO commandstats` deltas; commands run by Lua scripts count too).
 *
 * 2. Redis commands per login (unless --skip-commands). `--logins` logins (default 1000,
 *    `--concurrency` in flight, default 32) on B with the lean raw-socket client
 *    (lean-ws-client.ts), each a fresh connection with its own uid and 007 token; the
 *    `INFO commandstats` deltas over the run are printed per login. Certificate reads (GET,
 *    MGET, HGET, HGETALL, EVAL, EVALSHA, SMEMBERS, SCAN, …) per login must be 0: the gateway
 *    verifies against its in-process copy; the one expected write is the identity's ownership
 *    record (one SET … GET, sent with others in a batch script call: those EVALSHAs, told apart by
 *    MONITOR, are not reads; no PUBLISH for a fresh identity: docs/redis.md, "Session ownership"),
 *    besides heartbeats (the store's PINGs, the liveness and readiness MULTIs, once a second).
 *
 * Exit 0 unless `--check` is given and a target failed (exit 1); 2 on a usage error.
 */
import { randomBytes, randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { RTM_PATH } from "../core/protocol/wire.js";
import { buildRtmToken } from "../core/token/index.js";
import { CERTIFICATE_READS, commandStatsDelta, parseCommandStats, startGatewayProcess, watchScripts, type GatewayProcess } from "./gateway-process.js";
import { OWNER_BATCH_SHA } from "../gateway/infra/login-broadcast-redis.js";
import { startRedisServer, type OwnRedis } from "./redis-server.js";
import { LeanWsConnection, maskedTextFrame, upgradeRequest, type WsTarget } from "./lean-ws-client.js";

const USAGE =
  "usage: node dist/bench/propagation-bench.js [--count N] [--warmup N] [--logins M] [--concurrency C]\n" +
  "                                            [--skip-commands] [--json FILE] [--check]";

const TARGET_P99_MS = 100;
const OBSERVE_TIMEOUT_MS = 5_000;
const LOGIN_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Options

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseCli() {
  return parseArgs({
    options: {
      count: { type: "string" },
      warmup: { type: "string" },
      logins: { type: "string" },
      concurrency: { type: "string" },
      "skip-commands": { type: "boolean", default: false },
      json: { type: "string" },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}

let args: ReturnType<typeof parseCli>;
try {
  args = parseCli();
} catch (err) {
  usageError((err as Error).message);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}

function intOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) usageError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return v;
}

const COUNT = intOption("count", args.values.count, 200, 1, 100_000);
const WARMUP = intOption("warmup", args.values.warmup, 10, 0, 10_000);
const LOGINS = intOption("logins", args.values.logins, 1_000, 1, 1_000_000);
const CONCURRENCY = intOption("concurrency", args.values.concurrency, 32, 1, 1_024);
const SKIP_COMMANDS = args.values["skip-commands"] === true;
const JSON_FILE = args.values.json;
const CHECK = args.values.check === true;

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (line = ""): void => console.log(line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Distribution {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s.at(-1) ?? Number.NaN, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

// ---------------------------------------------------------------------------------------------
// Admin API

interface CertView {
  readonly value: string;
  readonly status: string;
}
interface ProjectView {
  readonly appId: string;
  readonly mode: string;
  readonly certificates: { readonly primary: CertView | null; readonly secondary: CertView | null };
}

async function call<T>(http: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${http}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  return parseCommandStats(await redis.info("commandstats"));
}

/** `ownerBatches`: EVALSHA calls of the ownership batch script (not reads), when marking reads. */
function printCommands(delta: ReadonlyMap<string, number>, per: number, unit: string, markReads: boolean, ownerBatches = 0): void {
  const w = [18, 8, 12, 18];
  log(row(["  command", "calls", `per ${unit}`, ...(markReads ? ["certificate read?"] : [])], w));
  if (delta.size === 0) log("  (none)");
  const isRead = (cmd: string, calls: number): string => {
    if (!CERTIFICATE_READS.includes(cmd)) return "no";
    if ((cmd !== "evalsha" && cmd !== "eval") || ownerBatches === 0) return "yes";
    return calls > ownerBatches ? `${calls - ownerBatches} (${ownerBatches} ownership batches)` : "no (ownership batches)";
  };
  for (const [cmd, calls] of delta) log(row([`  ${cmd.toUpperCase()}`, String(calls), fmt(calls / per, 3), ...(markReads ? [isRead(cmd, calls)] : [])], w));
}

// ---------------------------------------------------------------------------------------------
// 1. Propagation

interface PropagationResult {
  readonly count: number;
  readonly lagMs: Distribution;
  readonly replyMs: Distribution;
  /** B's observation minus A's reply (negative: B saw the change before A's reply arrived). */
  readonly afterReplyMs: Distribution;
  readonly lags: readonly number[];
  readonly timeouts: number;
  readonly mismatches: number;
  readonly failedRequests: number;
  readonly firstError: string | null;
  readonly observedBeforeReply: number;
  readonly meanPolls: number;
  readonly commands: Record<string, number>;
}

async function propagation(A: GatewayProcess, B: GatewayProcess, appId: string, redis: Redis): Promise<PropagationResult> {
  const path = `/admin/projects/${appId}`;
  let hasSecondary = (await call<ProjectView>(A.http, "GET", path)).body.certificates.secondary !== null;
  const lags: number[] = [];
  const replies: number[] = [];
  const afterReply: number[] = [];
  let timeouts = 0;
  let mismatches = 0;
  let failedRequests = 0;
  let firstError: string | null = null;
  let beforeReply = 0;
  let polls = 0;
  let before = new Map<string, number>();

  for (let i = 0; i < WARMUP + COUNT; i++) {
    const timed = i >= WARMUP;
    if (i === WARMUP) before = await commandStats(redis);
    const enable = !hasSecondary;
    const t0 = performance.now();
    const request = call<ProjectView>(A.http, enable ? "POST" : "DELETE", `${path}/certificates/secondary`);
    let replyAt = Number.NaN;
    void request.then(
      () => (replyAt = performance.now()),
      () => (replyAt = performance.now()),
    );
    // Poll B back to back until it shows the change (bounded).
    let observedAt = Number.NaN;
    let observed: ProjectView | null = null;
    while (performance.now() - t0 < OBSERVE_TIMEOUT_MS) {
      const r = await call<ProjectView>(B.http, "GET", path);
      const at = performance.now();
      if (timed) polls++;
      if (r.status === 200 && (r.body.certificates.secondary !== null) === enable) {
        observedAt = at;
        observed = r.body;
        break;
      }
    }
    const reply = await request.catch((e: unknown) => ({ status: -1, body: String(e) as unknown as ProjectView }));
    if (reply.status !== 200) {
      failedRequests++;
      firstError ??= `${enable ? "POST" : "DELETE"} secondary on A → ${reply.status} ${JSON.stringify(reply.body)}`;
    }
    if (observed === null) {
      timeouts++;
      firstError ??= `change ${i} not seen on B within ${OBSERVE_TIMEOUT_MS} ms`;
    } else if (enable && reply.status === 200 && observed.certificates.secondary?.value !== reply.body.certificates.secondary?.value) {
      mismatches++;
      firstError ??= `change ${i}: B showed another secondary than A created`;
    }
    hasSecondary = enable;
    if (!timed) continue;
    lags.push(observed === null ? Number.POSITIVE_INFINITY : observedAt - t0);
    replies.push(replyAt - t0);
    if (observed !== null) {
      afterReply.push(observedAt - replyAt);
      if (observedAt < replyAt) beforeReply++;
    }
  }
  const delta = commandStatsDelta(before, await commandStats(redis));
  delta.delete("info"); // our own snapshot
  return {
    count: COUNT,
    lagMs: distribution(lags),
    replyMs: distribution(replies),
    afterReplyMs: distribution(afterReply),
    lags,
    timeouts,
    mismatches,
    failedRequests,
    firstError,
    observedBeforeReply: beforeReply / COUNT,
    meanPolls: polls / COUNT,
    commands: Object.fromEntries(delta),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Redis commands per login

interface LoginResult {
  readonly logins: number;
  readonly accepted: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly seconds: number;
  readonly latencyMs: Distribution;
  readonly commands: Record<string, number>;
  readonly certificateReads: number;
  readonly certificateReadsPerLogin: number;
  /** EVALSHA calls of the ownership batch script (docs/redis.md, "Session ownership"). */
  readonly ownerBatches: number;
  readonly commandsPerLogin: number;
  readonly commandsPerLoginWithoutPing: number;
}

function runLogins(target: WsTarget, frames: readonly Buffer[]): Promise<{ accepted: number; failed: number; firstError: string | null; latencies: number[] }> {
  const request = upgradeRequest(target);
  let next = 0;
  let done = 0;
  let accepted = 0;
  let failed = 0;
  let firstError: string | null = null;
  const latencies: number[] = [];
  return new Promise((resolve) => {
    const start = (): void => {
      if (next >= frames.length) return;
      const frame = frames[next++]!;
      const timer = setTimeout(() => conn.abort(`no reply within ${LOGIN_TIMEOUT_MS} ms`), LOGIN_TIMEOUT_MS);
      const conn: LeanWsConnection = new LeanWsConnection(target, request, frame, false, (c, ok, detail, replyNs) => {
        clearTimeout(timer);
        latencies.push(Number(replyNs - c.startNs) / 1e6);
        if (ok) accepted++;
        else {
          failed++;
          firstError ??= detail;
        }
        if (++done === frames.length) resolve({ accepted, failed, firstError, latencies });
        else start();
      });
    };
    for (let i = 0; i < Math.min(CONCURRENCY, frames.length); i++) start();
  });
}

async function loginCommands(B: GatewayProcess, appId: string, certificate: string, redis: Redis): Promise<LoginResult> {
  const issueTs = Math.floor(Date.now() / 1000);
  const tag = randomBytes(3).toString("hex");
  const frame = (uid: string): Buffer => {
    const token = buildRtmToken({ version: "007", appId, certificate, uid, expireSeconds: 3600, issueTs, salt: randomInt(1, 2 ** 31) });
    return maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId, uid, token, profile: "rtm1" }));
  };
  const frames = Array.from({ length: LOGINS }, (_, i) => frame(`bench-${tag}-${i}`));
  const target: WsTarget = { host: "127.0.0.1", port: B.port, path: RTM_PATH };
  // A few logins outside the measurement (their ownership writes land before the first snapshot).
  await runLogins(target, Array.from({ length: 20 }, (_, i) => frame(`warm-${tag}-${i}`)));
  await sleep(50);

  const scripts = await watchScripts({ host: redis.options.host ?? "127.0.0.1", port: redis.options.port ?? 6379 });
  const before = await commandStats(redis);
  const started = performance.now();
  const r = await runLogins(target, frames);
  const seconds = (performance.now() - started) / 1000;
  // The ownership writes are fire-and-forget: give the last SETs a moment to reach Redis.
  let after = await commandStats(redis);
  for (let i = 0; i < 50 && (after.get("set") ?? 0) - (before.get("set") ?? 0) < r.accepted; i++) {
    await sleep(10);
    after = await commandStats(redis);
  }
  const delta = commandStatsDelta(before, after);
  delta.delete("info"); // our own snapshots
  // The ownership writes go out in batch scripts: those EVALSHAs are no certificate reads.
  for (let i = 0; i < 50 && scripts.count() < (delta.get("evalsha") ?? 0) + (delta.get("eval") ?? 0); i++) await sleep(10);
  scripts.stop();
  const batches = scripts.calls.get(OWNER_BATCH_SHA) ?? 0;
  const certificateReads = CERTIFICATE_READS.reduce((s, c) => s + (delta.get(c) ?? 0), 0) - batches;
  const total = [...delta.values()].reduce((s, v) => s + v, 0);
  return {
    logins: LOGINS,
    accepted: r.accepted,
    failed: r.failed,
    firstError: r.firstError,
    seconds,
    latencyMs: distribution(r.latencies),
    commands: Object.fromEntries(delta),
    certificateReads,
    certificateReadsPerLogin: certificateReads / LOGINS,
    ownerBatches: batches,
    commandsPerLogin: total / LOGINS,
    commandsPerLoginWithoutPing: (total - (delta.get("ping") ?? 0)) / LOGINS,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

interface Verdict {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly pass: boolean;
}

const startedAt = performance.now();
log(`propagation bench — node ${process.version}, ${os.cpus().length} CPUs, load average ${(os.loadavg()[0] ?? 0).toFixed(2)}`);

let redisServer: OwnRedis | undefined;
const gateways: GatewayProcess[] = [];
let redis: Redis | undefined;
const stopAll = async (): Promise<void> => {
  redis?.disconnect();
  await Promise.all(gateways.map((g) => g.stop()));
  await redisServer?.stop();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

const verdicts: Verdict[] = [];
let prop: PropagationResult | null = null;
let logins: LoginResult | null = null;
let setup: Record<string, unknown> = {};
try {
  redisServer = await startRedisServer();
  const prefix = `rtm-auth-bench:${randomBytes(4).toString("hex")}:`;
  const env = { REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn" };
  const [A, B] = await Promise.all([startGatewayProcess({ name: "gateway A", env }), startGatewayProcess({ name: "gateway B", env })]);
  gateways.push(A, B);
  redis = new Redis(redisServer.url, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectionName: "propagation-bench" });
  await redis.ping();
  log(`redis-server ${redisServer.version} on 127.0.0.1:${redisServer.port} (own, no persistence); key prefix ${prefix}`);
  log(`gateway A ${A.http} (pid ${A.pid}), gateway B ${B.http} (pid ${B.pid}): rtm-auth serve --no-dev-seed, REDIS_URL, LOG_LEVEL=warn`);
  setup = { redisVersion: redisServer.version, prefix };

  const created = await call<ProjectView>(A.http, "POST", "/admin/projects", { mechanism: "token" });
  if (created.status !== 201) throw new Error(`POST /admin/projects on A → ${created.status} ${JSON.stringify(created.body)}`);
  const appId = created.body.appId;
  const primary = created.body.certificates.primary?.value;
  if (primary === undefined) throw new Error("the token project has no primary");
  for (let i = 0; ; i++) {
    if ((await call(B.http, "GET", `/admin/projects/${appId}`)).status === 200) break;
    if (i >= 200) throw new Error("B never saw the project");
    await sleep(10);
  }

  // 1.
  log("");
  log(`certificate change on A → seen by B: ${COUNT} changes (+${WARMUP} warm-up), alternating enable / delete of a secondary`);
  log("  lag = just before A's admin request is sent → B's first GET /admin/projects/:appId reply showing the change (polled back to back)");
  prop = await propagation(A, B, appId, redis);
  const w = [26, 9, 9, 9, 9, 9];
  log("");
  log(row(["", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms"], w));
  const d = (name: string, x: Distribution) => log(row([name, fmt(x.p50, 2), fmt(x.p90, 2), fmt(x.p99, 2), fmt(x.max, 2), fmt(x.mean, 2)], w));
  d("B observes the change", prop.lagMs);
  d("A's admin reply", prop.replyMs);
  d("B after A's reply", prop.afterReplyMs);
  log(`  B seen before A's reply in ${fmt(prop.observedBeforeReply * 100, 0)} % of the changes; ${fmt(prop.meanPolls, 1)} polls of B per change`);
  if (prop.firstError !== null) log(`  first error: ${prop.firstError}`);
  log("");
  log(`Redis commands during the ${COUNT} timed changes (both gateways; script commands included):`);
  printCommands(new Map(Object.entries(prop.commands)), COUNT, "change", false);
  log("  (per change: A reads the project and writes it with a compare-and-set script that PUBLISHes; B reads it once on the message)");
  verdicts.push(
    { name: `propagation p99 (${COUNT} changes)`, value: `${fmt(prop.lagMs.p99, 2)} ms`, target: `≤ ${TARGET_P99_MS} ms`, pass: prop.lagMs.p99 <= TARGET_P99_MS },
    {
      name: "every change applied on A and seen on B",
      value: `${prop.timeouts + prop.failedRequests + prop.mismatches} failed`,
      target: "0 failed",
      pass: prop.timeouts === 0 && prop.failedRequests === 0 && prop.mismatches === 0,
    },
  );

  // 2.
  if (!SKIP_COMMANDS) {
    log("");
    log(`Redis commands per login: ${LOGINS} logins on B, ${CONCURRENCY} in flight (lean raw-socket client, 007 token, distinct uids, connect → login → close)`);
    logins = await loginCommands(B, appId, primary, redis);
    log(
      `  ${logins.accepted}/${logins.logins} accepted in ${fmt(logins.seconds, 2)} s (${fmt(logins.logins / logins.seconds, 0)} logins/s; latency p50 ${fmt(logins.latencyMs.p50, 2)} ms, p99 ${fmt(logins.latencyMs.p99, 2)} ms)`,
    );
    if (logins.firstError !== null) log(`  first error: ${logins.firstError}`);
    log("");
    printCommands(new Map(Object.entries(logins.commands)), LOGINS, "login", true, logins.ownerBatches);
    log("  (INFO, our own snapshot, left out)");
    log(`  certificate reads per login: ${fmt(logins.certificateReadsPerLogin, 3)}   commands per login: ${fmt(logins.commandsPerLogin, 3)} (${fmt(logins.commandsPerLoginWithoutPing, 3)} without heartbeat PINGs; the SETs the batch scripts run count too)`);
    verdicts.push(
      { name: "certificate reads per login", value: fmt(logins.certificateReadsPerLogin, 3), target: "= 0", pass: logins.certificateReads === 0 },
      { name: "every login accepted", value: `${logins.accepted}/${logins.logins}`, target: "all", pass: logins.accepted === logins.logins },
    );
  }
} catch (err) {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  for (const g of gateways) if (g.output().trim() !== "") log(`gateway output (pid ${g.pid}):\n${g.output().trim()}`);
  verdicts.push({ name: "bench ran to the end", value: "no", target: "yes", pass: false });
} finally {
  await stopAll();
}

log("");
log("verdicts");
for (const v of verdicts) log(`  ${v.name.padEnd(42)} ${v.value.padStart(12)}   target ${v.target.padEnd(10)} ${v.pass ? "PASS" : "FAIL"}`);
const pass = verdicts.length > 0 && verdicts.every((v) => v.pass);
const totalS = (performance.now() - startedAt) / 1000;
log(`overall: ${pass ? "PASS" : "FAIL"} (${totalS.toFixed(1)} s)`);

if (JSON_FILE !== undefined) {
  const out = {
    node: process.version,
    cpus: os.cpus().length,
    options: { count: COUNT, warmup: WARMUP, logins: LOGINS, concurrency: CONCURRENCY, skipCommands: SKIP_COMMANDS },
    setup,
    targetP99Ms: TARGET_P99_MS,
    propagation: prop,
    logins,
    verdicts,
    pass,
    seconds: totalS,
  };
  writeFileSync(JSON_FILE, `${JSON.stringify(out, null, 2)}\n`);
  log(`figures written to ${JSON_FILE}`);
}
process.exit(CHECK && !pass ? 1 : 0);
