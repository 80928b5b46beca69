/**
 * `npm run soak`: a bounded, loopback-only soak of one gateway process under mixed traffic, sampled
 * every 10 s, with a verdict on growth (bench/soak-verdict.ts).
 *
 *   node dist/bench/soak.js [--duration 10m] [--rate 150] [--redis] [--seed N]
 *                           [--json FILE] [--doc docs/soak.md] [--check]
 *
 * It forks the gateway (bench/soak-gateway.ts, with --expose-gc; memory store, or with `--redis`
 * the Redis store on its own redis-server from bench/redis-server.ts), sets up one project per
 * lane through the admin API, and for the whole duration drives:
 *  - the churn: the load generator (client/load) at `--rate` arrivals per second, App ID, 006 and
 *    007 logins with some invalid tokens, renews, logouts and closes;
 *  - the lanes of soak-lanes.ts (expiry with clock advances, fault rules, certificate rotation)
 *    and soak-abuse.ts (abrupt closes, silent and non-reading clients).
 * Every 10 s it samples the gateway (RSS, heap after a forced GC, descriptors, event-loop delay,
 * connections, sessions, logins/s) and prints a row. At the end: the verdict, then `--json` (the
 * whole run) and `--doc` (the page, soak-page.ts, from that JSON). `--check`: exit 1 when the
 * verdict fails. Exit 2 on a usage error.
 *
 * Bounds: the run stops by itself after `--duration` (the load is cut, the lanes wait at most
 * 10 s for their clients); a watchdog ends the process if setup, run and teardown together take
 * three minutes longer than the duration. SIGINT ends the run early and still reports.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createAdminClient } from "../client/admin-client.js";
import { formatMix, LoadDriver, LoadOptionError, parseDuration, parseMix, type PhaseResult, type Tally } from "../client/load/index.js";
import { summarize } from "../client/load/latency.js";
import { seededRandom } from "../client/load/rng.js";
import { BenchChild, type Message } from "./bench-ipc.js";
import { startRedisServer, type OwnRedis } from "./redis-server.js";
import { ABUSE_SETTINGS, startAbuseLane } from "./soak-abuse.js";
import { FAULT_RULES, LANE_SETTINGS, startCertificatesLane, startExpiryLane, startFaultsLane, type Lane } from "./soak-lanes.js";
import { renderSoakPage, type SoakReport, type SoakSampleJson } from "./soak-page.js";
import { SOAK_LIMITS, soakVerdict } from "./soak-verdict.js";

const USAGE = `usage: node dist/bench/soak.js [--duration 10m] [--rate 150] [--redis] [--seed N] [--json FILE] [--doc docs/soak.md] [--check]

  --duration D   how long the load runs (default 10m; e.g. 60s, 5m); samples every 10 s
  --rate N       churn arrivals per second (default 150)
  --redis        the Redis certificate store, on an own redis-server (REDIS_SERVER_BIN or /usr/bin/redis-server)
  --seed N       seed of every random draw (default 1)
  --json FILE    write the whole run as JSON
  --doc FILE     write the page (docs/soak.md) from the run's JSON
  --check        exit 1 when the verdict fails (growth, a dead gateway, or a gateway that did not answer the load)`;

/** The sample interval, ms. */
const SAMPLE_EVERY_MS = 10_000;
/** Time allowed beyond the duration for setup and teardown before the watchdog exits, ms. */
const WATCHDOG_SLACK_MS = 180_000;

/** The churn's settings besides the rate. */
const CHURN = Object.freeze({
  mix: "token007:0.6,token006:0.2,appid:0.2",
  invalid: 0.05,
  holdMs: 3_000,
  renewEveryMs: 1_200,
  /** 24 h: a closed connection's token outlives the run, so nothing retained can fall off by expiry. */
  tokenTtlSeconds: 86_400,
  timeoutMs: 10_000,
  profile: "rtm1" as const,
  workers: 1,
  /** Logins minted ahead of the run; the rest are minted on demand. */
  prepareCap: 20_000,
  maxSockets: 8_000,
});

function usage(message: string): never {
  console.error(`soak: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: {
      duration: { type: "string" },
      rate: { type: "string" },
      redis: { type: "boolean" },
      seed: { type: "string" },
      json: { type: "string" },
      doc: { type: "string" },
      check: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (err) {
  usage((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
let durationMs: number;
try {
  durationMs = parseDuration(values.duration ?? "10m", "--duration");
} catch (err) {
  usage(err instanceof LoadOptionError ? err.message : String(err));
}
if (durationMs < SAMPLE_EVERY_MS) usage(`--duration: at least ${SAMPLE_EVERY_MS / 1000} s (one sample interval)`);
if (durationMs > 24 * 3_600_000) usage("--duration: at most 24h");
const rate = Number(values.rate ?? "150");
if (!Number.isFinite(rate) || rate <= 0 || rate > 5_000) usage("--rate: a number of arrivals per second in (0, 5000]");
const seed = Number(values.seed ?? "1");
if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) usage("--seed: an integer in [0, 2^32)");

const watchdog = setTimeout(() => {
  console.error(`soak: still running ${(durationMs + WATCHDOG_SLACK_MS) / 1000} s after the start; giving up`);
  process.exit(1);
}, durationMs + WATCHDOG_SLACK_MS);
watchdog.unref();

let interrupted = false;
process.once("SIGINT", () => {
  interrupted = true;
  console.error("soak: interrupted; ending the run and reporting");
});

const started = performance.now();
const date = new Date().toISOString();
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
  memoryBytes: os.totalmem(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadAverage1m: os.loadavg()[0] ?? 0,
};
const random = seededRandom(seed);
const hex32 = (): string => randomBytes(16).toString("hex");

/** Open descriptors of `pid`, or null where /proc is not readable. */
function countFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

const num = (m: Message, key: string): number => {
  const v = m[key];
  return typeof v === "number" ? v : Number.NaN;
};

/** Sleeps until `at` (performance.now() ms), waking early on SIGINT. */
async function sleepUntil(at: number): Promise<void> {
  while (!interrupted) {
    const left = at - performance.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, 250)));
  }
}

let redis: OwnRedis | null = null;
let gateway: BenchChild | null = null;
let driver: LoadDriver | null = null;
const lanes: Lane[] = [];
let endedEarly: string | null = null;
let gatewayAlive = true;
const samples: SoakSampleJson[] = [];
let churnResult: PhaseResult | null = null;

const gatewayConfig: Record<string, unknown> = { port: 0, host: "127.0.0.1", devSeed: false, logLevel: "warn" };
try {
  if (values.redis) {
    redis = await startRedisServer();
    Object.assign(gatewayConfig, { redisUrl: redis.url, redisKeyPrefix: `soak-${hex32().slice(0, 8)}:` });
    console.log(`soak: redis-server ${redis.version} on ${redis.url}`);
  }
  const start = await BenchChild.start("soak gateway", "./soak-gateway.js", [JSON.stringify(gatewayConfig)], ["--expose-gc"]);
  gateway = start.child;
  const httpUrl = String(start.ready["httpUrl"]);
  const url = String(start.ready["url"]);
  const port = num(start.ready, "port");
  const pid = num(start.ready, "pid");
  const admin = createAdminClient(httpUrl);

  // One project per lane, so that the churn's figures see no fault and no certificate change.
  const ids = { churn: hex32(), expiry: hex32(), faults: hex32(), certificates: hex32(), abuse: hex32() };
  const churnCertificate = hex32();
  await admin.populate([
    { appId: ids.churn, mode: "either", primary: churnCertificate },
    { appId: ids.expiry, mode: "token" },
    { appId: ids.faults, mode: "either" },
    { appId: ids.certificates, mode: "token" },
    { appId: ids.abuse, mode: "appid" },
  ]);

  driver = await LoadDriver.start({
    target: { host: "127.0.0.1", port, path: new URL(url).pathname },
    appId: ids.churn,
    profile: CHURN.profile,
    mix: parseMix(CHURN.mix),
    invalid: CHURN.invalid,
    tokenTtlSeconds: CHURN.tokenTtlSeconds,
    minting: { kind: "certificate", certificate: churnCertificate },
    holdMs: CHURN.holdMs,
    renewEveryMs: CHURN.renewEveryMs,
    timeoutMs: CHURN.timeoutMs,
    intervalMs: 1_000,
    workers: CHURN.workers,
    seed,
    uidPrefix: "soak-",
    maxSockets: CHURN.maxSockets,
    prepareCap: CHURN.prepareCap,
  });
  console.log(
    `soak: ${(durationMs / 60_000).toFixed(1)} min, churn ${rate}/s (${CHURN.mix}, ${CHURN.invalid * 100}% invalid), ${values.redis ? "Redis" : "memory"} store, gateway pid ${pid}; ${machine.cpus} CPUs, node ${machine.node}`,
  );
  // The phase runs past the duration; it is cut after the last sample.
  const run = driver.run({ model: "open", rate, concurrency: 0, durationMs: durationMs + 60_000 });
  run.then(
    (r) => (churnResult = r),
    (err: unknown) => (endedEarly ??= `the load generator failed: ${(err as Error).message}`),
  );
  while (driver.progress() === null && endedEarly === null) await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();

  const ctx = { url, admin, random };
  const startLanes = (): void => {
    lanes.push(startExpiryLane(ctx, ids.expiry), startFaultsLane(ctx, ids.faults), startCertificatesLane(ctx, ids.certificates), startAbuseLane({ host: "127.0.0.1", port, path: new URL(url).pathname }, ids.abuse));
  };

  console.log(`\n${"t s".padStart(5)} ${"RSS MiB".padStart(8)} ${"heap MiB".padStart(9)} ${"heapTot".padStart(8)} ${"fds".padStart(6)} ${"conns".padStart(6)} ${"sessions".padStart(8)} ${"ELD p99".padStart(8)} ${"GC ms".padStart(6)} ${"logins/s".padStart(9)} ${"answered".padStart(9)} ${"lanes/s".padStart(8)}`);
  let prev = { at: t0, started: 0, answered: 0, lanes: 0 };
  for (let k = 0; k * SAMPLE_EVERY_MS <= durationMs && !interrupted && endedEarly === null; k++) {
    await sleepUntil(t0 + k * SAMPLE_EVERY_MS);
    if (interrupted) break;
    let m: Message;
    try {
      m = await gateway.request({ type: "sample" }, 30_000);
    } catch (err) {
      gatewayAlive = false;
      endedEarly = `the gateway did not answer a sample: ${(err as Error).message.split("\n")[0]}`;
      break;
    }
    const now = performance.now();
    const tally: Tally | undefined = driver.progress()?.tally;
    const startedLogins = tally?.login.attempts ?? prev.started;
    const answered = tally === undefined ? prev.answered : tally.login.accepted + tally.login.refused;
    const laneLogins = lanes.reduce((s, l) => s + l.logins(), 0);
    const dt = (now - prev.at) / 1000;
    const per = (d: number): number => (k === 0 || dt <= 0 ? 0 : d / dt);
    const sample: SoakSampleJson = {
      t: Math.round((now - t0) / 100) / 10,
      rss: num(m, "rss"),
      heapUsed: num(m, "heapUsed"),
      heapTotal: num(m, "heapTotal"),
      external: num(m, "external"),
      arrayBuffers: num(m, "arrayBuffers"),
      fds: countFds(pid),
      connections: num(m, "connections"),
      sessions: num(m, "sessions"),
      eldP99Ms: num(m, "eldP99Ms"),
      eldMaxMs: num(m, "eldMaxMs"),
      gcMs: num(m, "gcMs"),
      loginsPerSec: per(startedLogins - prev.started),
      answeredPerSec: per(answered - prev.answered),
      laneLoginsPerSec: per(laneLogins - prev.lanes),
    };
    samples.push(sample);
    prev = { at: now, started: startedLogins, answered, lanes: laneLogins };
    const M = 2 ** 20;
    console.log(
      `${sample.t.toFixed(0).padStart(5)} ${(sample.rss / M).toFixed(1).padStart(8)} ${(sample.heapUsed / M).toFixed(1).padStart(9)} ${(sample.heapTotal / M).toFixed(1).padStart(8)} ${String(sample.fds ?? "—").padStart(6)} ${String(sample.connections).padStart(6)} ${String(sample.sessions).padStart(8)} ${sample.eldP99Ms.toFixed(1).padStart(8)} ${sample.gcMs.toFixed(0).padStart(6)} ${sample.loginsPerSec.toFixed(0).padStart(9)} ${sample.answeredPerSec.toFixed(0).padStart(9)} ${sample.laneLoginsPerSec.toFixed(1).padStart(8)}`,
    );
    if (k === 0) startLanes();
  }
  if (interrupted) endedEarly ??= "interrupted (SIGINT)";

  // Teardown: lanes first (bounded), then the churn (its arrivals cut, users drained, bounded).
  await Promise.all(lanes.map((l) => l.stop()));
  driver.stop();
  await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
} catch (err) {
  endedEarly ??= `setup or run failed: ${err instanceof Error ? err.message : String(err)}`;
  console.error(`soak: ${endedEarly}`);
} finally {
  await driver?.close();
  if (gateway !== null) await gateway.stop();
  await redis?.stop();
}

const verdict = soakVerdict(samples, { targetRate: rate, gatewayAlive });
const churn = churnResult as PhaseResult | null;
const report: SoakReport = {
  kind: "rtm-auth-soak",
  date,
  machine,
  options: {
    durationS: durationMs / 1000,
    sampleEveryS: SAMPLE_EVERY_MS / 1000,
    store: values.redis ? "redis" : "memory",
    redisVersion: redis?.version ?? null,
    seed,
    churn: {
      rate,
      mix: formatMix(parseMix(CHURN.mix)),
      invalid: CHURN.invalid,
      holdS: CHURN.holdMs / 1000,
      renewEveryS: CHURN.renewEveryMs / 1000,
      tokenTtlSeconds: CHURN.tokenTtlSeconds,
      profile: CHURN.profile,
      workers: CHURN.workers,
    },
    lanes: LANE_SETTINGS,
    faultRules: FAULT_RULES,
    abuse: ABUSE_SETTINGS,
    // The Redis URL is our own loopback server's, with no credentials; the key prefix is random.
    gatewayConfig,
    forcedGc: true,
  },
  limits: SOAK_LIMITS,
  samples,
  verdict,
  churn:
    churn === null
      ? null
      : {
          login: churn.tally.login,
          renew: churn.tally.renew,
          logout: churn.tally.logout,
          closes: churn.tally.closes,
          serverCloses: churn.tally.serverCloses,
          unexpected: churn.tally.unexpected,
          unexpectedBy: Object.fromEntries(Object.entries(churn.tally.unexpectedBy).sort(([, a], [, b]) => b - a).slice(0, 10)),
          skipped: churn.tally.skipped,
          loginLatency: summarize(churn.histograms.login),
          renewLatency: summarize(churn.histograms.renew),
        },
  lanes: Object.fromEntries(lanes.map((l) => [l.name, l.counts.snapshot()])),
  wallS: (performance.now() - started) / 1000,
  endedEarly,
};

console.log(`\nverdict over the last ${SOAK_LIMITS.windowFraction * 100}% of the run (${verdict.window.samples} samples, ${verdict.window.fromS}–${verdict.window.toS} s):`);
for (const c of verdict.checks) console.log(`  ${c.name.padEnd(20)} ${c.pass ? "PASS" : "FAIL"}  ${c.detail}`);
if (report.churn !== null) {
  const ch = report.churn;
  console.log(`\nchurn: ${ch.login.attempts} logins (${ch.login.accepted} accepted, ${ch.login.refused} refused, ${ch.login.errors} errors), ${ch.renew.attempts} renews, ${ch.logout.attempts} logouts; unexpected ${ch.unexpected}; login p99 ${ch.loginLatency.p99 ?? "—"} ms`);
}
for (const l of lanes) console.log(`${l.name}: ${Object.entries(l.counts.snapshot()).map(([k, v]) => `${k} ${v}`).join(", ")}`);
if (endedEarly !== null) console.log(`\nthe run ended early: ${endedEarly}`);
console.log(`\nsoak: ${verdict.pass ? "PASS" : "FAIL"} (${report.wallS.toFixed(0)} s)`);

const write = (file: string, text: string): void => {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`soak: wrote ${path}`);
};
if (values.json !== undefined) write(values.json, `${JSON.stringify(report, null, 2)}\n`);
if (values.doc !== undefined) write(values.doc, renderSoakPage(report));
process.exit(values.check && !verdict.pass ? 1 : 0);
