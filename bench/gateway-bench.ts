/**
 * Gateway benchmark: the gateway's full 007 login against a bare `ws` server.
 *
 *   npm run bench:gateway -- [--duration S] [--warmup S] [--concurrency N] [--rounds N]
 *                            [--pool N] [--sessions N] [--memory-rounds N] [--skip-memory] [--skip-throughput] [--profile DIR]
 *                            [--json FILE] [--check]
 *
 * 1. Throughput. Two servers, each in its own child process (gateway-bench-server.js): a bare
 *    `ws` server answering every text message with one small JSON message, and the gateway. One
 *    load process (gateway-bench-load.js, a raw net.Socket WebSocket client) runs a closed loop of
 *    `--concurrency` cycles, each connect → upgrade → send one login frame → wait for the reply
 *    with id 1 (the gateway's event frames are skipped) → close, for `--warmup` + `--duration`
 *    seconds. Every login frame carries a fresh 007 token for its own uid, minted before anything
 *    is timed (distinct uids: no remote-login kicks). Both servers receive the same frames.
 *    The servers run one after the other, each round in the reverse order of the round before
 *    (bare, gateway, Redis mode, 006, then 006, Redis mode, gateway, bare, …), so a drift of the
 *    machine's load lands on every server alike. Before round 1 every server runs `--prime`
 *    seconds of unmeasured cycles (the JIT's warm-up); each run then starts with `--warmup`
 *    seconds of cycles that are not measured either. Per run: cycles/s and p50/p99 latency (in
 *    the load process, process.hrtime), and the server's CPU time per cycle — the server child
 *    measures its own `process.cpuUsage()` over the load's measured window (relayed over IPC),
 *    which holds up when other processes share the machine. The event-loop utilisation of both
 *    sides is printed too: a server below ~0.9 means the load process (or the machine) and not
 *    the server set the rate. Figures: the best run of each server (highest rate, lowest CPU).
 *    Targets: rate gateway/bare ≥ 0.85, server CPU per login / per bare cycle ≤ 1.2.
 *
 *    Two more gateways run in the same rounds: one with REDIS_URL set (its own redis-server, as
 *    bench/redis-server.ts starts it; skipped with a note when none can start, or with
 *    `--skip-redis`), target CPU per login ≤ 1.25× a bare cycle and reported against the memory-mode
 *    gateway; and one logged into with fresh 006 tokens instead (`--skip-006` leaves it out).
 *
 * 2. Idle memory (memory-bench.ts): RSS per logged-in idle gateway session at `--sessions`
 *    sessions against RSS per idle bare `ws` connection, and the growth of each V8 heap space.
 *    `--memory-rounds N` (default 5) pairs of fresh server processes, in alternating order: RSS
 *    moves by a few hundred bytes per connection from one process to the next, so the ratio is
 *    the median round's. Target: ratio ≤ 1.05.
 *
 * `--spin US` adds the bare server made to spend US µs more CPU per message, in the same rounds:
 * its excess over bare, against US, shows what the closed loop charges a slower server (the
 * gateway's excess can be read through it). `--no-login` adds the gateway with its session logic
 * taken out (every frame answered with the bare reply): its CPU per cycle against bare is what the
 * gateway's transport costs, and the gateway less it is what the login costs in this closed loop,
 * per round. `--same-window` runs every server at once from the
 * one load process instead of one after another.
 *
 * Exit 0 unless `--check` is given and a target failed (exit 1); 2 on a usage error.
 * `--baseline DIST` adds a third throughput server: the gateway of another build (DIST is that
 * build's `dist/` directory, e.g. the previous commit built elsewhere), run in the same rounds, so
 * a change is judged by its CPU per login against the build before it in one run (paired per round).
 * `--profile DIR` runs both throughput servers under `node --cpu-prof` and leaves the profiles there
 * (summarise one with `node dist/bench/cpuprofile-summary.js FILE`; after a `--rounds 1 --duration S`
 * run, `--window S --cycles N --vs FILE2 --vs-cycles N2` compares two servers in µs per cycle). `--pool N`: login frames
 * minted up front (default 10000); the pool is topped up before each gateway run so that every
 * gateway login uses a uid of its own.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { BenchChild, type Message } from "./bench-ipc.js";
import { startRedisServer, type OwnRedis } from "./redis-server.js";
import { MAX_SESSIONS, runMemoryBench, type MemoryResult } from "./memory-bench.js";

const USAGE =
  "usage: node dist/bench/gateway-bench.js [--duration S] [--warmup S] [--concurrency N] [--rounds N] [--pool N]\n" +
  "                                        [--sessions N] [--memory-rounds N] [--skip-memory] [--skip-throughput] [--profile DIR] [--json FILE] [--check]\n" +
  "                                        (defaults: --duration 5 measured seconds per run after --warmup 1 unmeasured, --concurrency 64 cycles in flight,\n" +
  "                                        --rounds 5, --pool 10000 login frames, --sessions 10000 idle sessions, --memory-rounds 5)\n" +
  "                                        [--shadow]  (also a gateway with a shadow target: its CPU per login / none, target ≤ 1.10)\n" +
  "                                        [--baseline DIST]  (also the gateway of another build's dist/ directory, in the same rounds)\n" +
  "                                        [--skip-redis] [--skip-006]  (no Redis-mode row, no 006 row)\n" +
  "                                        [--node-flags=\"F …\"]  (extra Node.js flags for every server process, e.g. --node-flags=--trace-deopt)\n" +
  "                                        [--same-window]  (each round runs every server at once, from one load process, in one measured window)\n" +
  "                                        [--prime S]  (S seconds of unmeasured cycles per server before round 1; default 3)\n" +
  "                                        [--rate N]  (an open loop: N cycle starts per second for every server, instead of each at its own saturation)\n" +
  "                                        [--spin US]  (also the bare server busy US µs of CPU per message: calibrates what the closed loop adds)\n" +
  "                                        [--no-login]  (also the gateway answering every frame with the bare reply: its transport alone, and what the login adds)";

const TARGET_RATE = 0.85;
const TARGET_CPU = 1.2;
/** Issue 13: RSS per idle session at most 1.05× a bare connection's. */
const TARGET_MEMORY = 1.05;

// ---------------------------------------------------------------------------------------------
// Options

function parseCli() {
  return parseArgs({
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      rounds: { type: "string" },
      pool: { type: "string" },
      sessions: { type: "string" },
      "skip-memory": { type: "boolean", default: false },
      "memory-rounds": { type: "string" },
      "skip-throughput": { type: "boolean", default: false },
      profile: { type: "string" },
      json: { type: "string" },
      check: { type: "boolean", default: false },
      shadow: { type: "boolean", default: false },
      baseline: { type: "string" },
      "skip-redis": { type: "boolean", default: false },
      "skip-006": { type: "boolean", default: false },
      "node-flags": { type: "string" },
      "same-window": { type: "boolean", default: false },
      spin: { type: "string" },
      "no-login": { type: "boolean", default: false },
      rate: { type: "string" },
      prime: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
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

function numberOption(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    usageError(`--${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return v;
}

const DURATION_S = numberOption("duration", args.values.duration, 5, 0.5, 120, false);
const WARMUP_S = numberOption("warmup", args.values.warmup, 1, 0, 60, false);
const CONCURRENCY = numberOption("concurrency", args.values.concurrency, 64, 1, 4096, true);
/**
 * `--rate N`: an open loop instead of the closed one: every server gets N cycle starts per second
 * (at most `--concurrency` in flight), so each is measured at the same offered load rather than at
 * its own saturation; CPU per cycle then compares servers doing the same work at the same pace.
 * N must be below the slowest server's closed-loop rate, or cycles are shed (the run reports them).
 */
const RATE = numberOption("rate", args.values.rate, 0, 0, 100_000, false);
/**
 * `--prime S` (default 3): before round 1, every server runs S seconds of the same cycles, not
 * measured. A fresh gateway process spends its first seconds compiling the login path (the JIT's
 * work runs on helper threads and counts as the process's CPU): without priming, the first round
 * measured the gateway at up to 1.7× its later rounds while bare `ws`, with far less code, was
 * already warm. The rounds then compare servers in their steady state, which is what a load test
 * of more than a few seconds meets.
 */
const PRIME_S = numberOption("prime", args.values.prime, 3, 0, 60, false);
/**
 * `--rounds N` (default 5). On a shared machine a server's CPU per cycle moves from one round to
 * the next (the per-round table shows by how much), for bare `ws` as much as for the gateway, and
 * noise only ever adds work: each server's best round is the estimate, and every round gives every
 * server, bare included, one more chance at a quiet one. With two, one noisy spell could land on
 * both rounds of one server and not of the other. Three were the default while a round ran two
 * servers; with the Redis-mode and 006 rows a round runs four, and in three rounds a server could
 * still miss every quiet window: in one run of three rounds the Redis-mode gateway's per-round
 * ratio to the memory store was 0.86 to 1.46, and its best-round ratio to bare came out 1.56.
 */
const ROUNDS = numberOption("rounds", args.values.rounds, 5, 1, 10, true);
const POOL = numberOption("pool", args.values.pool, 10_000, 1_000, 1_000_000, true);
const SESSIONS = numberOption("sessions", args.values.sessions, 10_000, 100, MAX_SESSIONS, true);
const MEMORY_ROUNDS = numberOption("memory-rounds", args.values["memory-rounds"], 5, 1, 9, true);
/**
 * Connect/login/close cycles each memory-bench server runs before its baseline RSS is read. With
 * 500, the code space still grew by 14–27 bytes per connection during the measured hold (the JIT
 * compiling the login path) and RSS by several hundred bytes more than the V8 heap; from 5,000 on,
 * the code space grows by a few bytes at most: what is measured is the sessions, not the warm-up.
 */
const MEMORY_WARM_CYCLES = 5_000;
const SKIP_MEMORY = args.values["skip-memory"] === true;
const SKIP_THROUGHPUT = args.values["skip-throughput"] === true;
const PROFILE_DIR = args.values.profile === undefined ? undefined : resolve(args.values.profile);
const JSON_FILE = args.values.json;
const CHECK = args.values.check === true;
/** Also run the gateway with a shadow target set (docs/migration.md): its CPU per login against the gateway without. */
const SHADOW = args.values.shadow === true;
/** Target: a shadow target costs at most this much CPU per login (issue 9). */
const TARGET_SHADOW_CPU = 1.1;
/** Another build's dist/ directory whose gateway runs in the same rounds (`--baseline`). */
const BASELINE = args.values.baseline === undefined ? undefined : resolve(args.values.baseline);
const SKIP_REDIS = args.values["skip-redis"] === true;
const SKIP_006 = args.values["skip-006"] === true;
/**
 * `--same-window`: every round runs all the servers at once, one closed loop per server from the one
 * load process (CONCURRENCY / servers cycles in flight each), in the same measured window: a drift of
 * the machine's load, and the load process's own state, land on every server alike. The ratios are
 * then per window (see the usage).
 */
const SAME_WINDOW = args.values["same-window"] === true;
/**
 * `--spin US`: one more server, the bare one busy for US µs of CPU before each reply: what a server
 * costing exactly US µs more per cycle shows in the same rounds (its excess over bare, against US,
 * is what the closed loop adds to a slower server: see docs/performance.md).
 */
const SPIN_US = args.values.spin === undefined ? undefined : Number(args.values.spin);
if (SPIN_US !== undefined && !(Number.isFinite(SPIN_US) && SPIN_US > 0)) {
  console.error(`--spin must be a positive number of microseconds\n${USAGE}`);
  process.exit(2);
}
/**
 * `--no-login`: one more server, the gateway with its session logic taken out: every text frame is
 * answered with the bare server's reply (gateway-bench-server.ts). Its CPU per cycle against bare is
 * what the gateway's own transport costs (upgrade, socket accounting, frame batching, closing
 * handshake); the gateway less it is what the login costs in this closed loop.
 */
const NO_LOGIN = args.values["no-login"] === true;
/** `--node-flags "F …"`: extra Node.js/V8 flags for every server process (all alike), e.g. `--trace-deopt`. */
const NODE_FLAGS = (args.values["node-flags"] ?? "").split(" ").filter((f) => f !== "");
/** Target (issue 13): a login with REDIS_URL set costs at most this many bare cycles of CPU. */
const TARGET_REDIS_CPU = 1.25;

// ---------------------------------------------------------------------------------------------
// Throughput

type Kind = "bare" | "gateway" | "shadow" | "baseline" | "redis" | "v006" | "spin" | "nologin";
/** The token version a server's logins carry. */
const versionOf = (kind: Kind): "006" | "007" => (kind === "v006" ? "006" : "007");
/** True for the servers that log in, so each of their cycles takes a fresh uid from the pool (bare ones and the no-login gateway answer any frame). */
const logsIn = (kind: Kind): boolean => kind !== "bare" && kind !== "spin" && kind !== "nologin";

interface RunResult {
  readonly kind: Kind;
  readonly round: number;
  readonly windowMs: number;
  readonly cycles: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly rate: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Server CPU time (user + system) per successful cycle, µs. */
  readonly serverCpuUsPerCycle: number;
  readonly serverUserUsPerCycle: number;
  readonly serverSystemUsPerCycle: number;
  readonly serverElu: number;
  readonly clientCpuUsPerCycle: number;
  readonly clientElu: number;
  readonly poolWrapped: boolean;
  readonly unused: number;
  /** Open loop (`--rate`): cycle starts skipped because `--concurrency` were in flight. */
  readonly shed: number;
}

function num(m: Message, key: string): number {
  const v = m[key];
  return typeof v === "number" ? v : Number.NaN;
}

/** The window notices of the load process, by run tag (one listener per notice type in BenchChild). */
const windowHandlers = new Map<string, { start: () => void; end: () => void }>();
function listenToWindows(load: BenchChild): void {
  load.on("window-start", (m) => windowHandlers.get(String(m["tag"]))?.start());
  load.on("window-end", (m) => windowHandlers.get(String(m["tag"]))?.end());
}

/** The load process's `run` request for `kind`'s server: `warmupS` unmeasured, then `durationS` measured (or, for a prime run, not). */
function runRequest(kind: Kind, tag: string, ready: Message, concurrency: number, warmupS: number, durationS: number): Message {
  const advance = logsIn(kind);
  return { type: "run", tag, port: num(ready, "port"), path: String(ready["path"]), concurrency, warmupMs: warmupS * 1000, durationMs: durationS * 1000, timeoutMs: 10_000, advance, version: versionOf(kind), rate: RATE };
}

async function runOne(kind: Kind, round: number, server: BenchChild, ready: Message, load: BenchChild, concurrency = CONCURRENCY): Promise<RunResult> {
  let measured: Promise<Message> | undefined;
  let marked: Promise<Message> | undefined;
  const tag = `${kind}-${round}`;
  windowHandlers.set(tag, {
    start: () => {
      marked = server.request({ type: "mark" });
    },
    end: () => {
      measured = server.request({ type: "measure" });
    },
  });
  const r = await load.request(runRequest(kind, tag, ready, concurrency, WARMUP_S, DURATION_S), (WARMUP_S + DURATION_S) * 1000 + 60_000);
  windowHandlers.delete(tag);
  if (marked === undefined || measured === undefined) throw new Error("the load process did not report its measured window");
  await marked;
  const cpu = await measured;
  const cycles = num(r, "windowOk");
  const userUs = num(cpu, "userUs");
  const systemUs = num(cpu, "systemUs");
  return {
    kind,
    round,
    windowMs: num(r, "windowMs"),
    cycles,
    errors: num(r, "errors"),
    firstError: typeof r["firstError"] === "string" ? r["firstError"] : null,
    rate: num(r, "rate"),
    p50Ms: num(r, "p50Ms"),
    p90Ms: num(r, "p90Ms"),
    p99Ms: num(r, "p99Ms"),
    maxMs: num(r, "maxMs"),
    serverCpuUsPerCycle: (userUs + systemUs) / cycles,
    serverUserUsPerCycle: userUs / cycles,
    serverSystemUsPerCycle: systemUs / cycles,
    serverElu: num(cpu, "elu"),
    clientCpuUsPerCycle: num(r, "clientCpuUs") / cycles,
    clientElu: num(r, "clientElu"),
    poolWrapped: r["poolWrapped"] === true,
    unused: num(r, "unused"),
    shed: num(r, "shed"),
  };
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

const log = (line: string): void => console.log(line);

async function throughput() {
  const execArgv = [...NODE_FLAGS, ...(PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`])];
  if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });
  const load = (await BenchChild.start("load", "./gateway-bench-load.js", [])).child;
  listenToWindows(load);
  const servers = new Map<Kind, { child: BenchChild; ready: Message }>();
  const runs: RunResult[] = [];
  let mintMs = 0;
  let minted = 0;
  const unused = { "006": 0, "007": 0 };
  let bestRate = 0;
  const prefix = `tp-${process.pid}-`;
  let redis: OwnRedis | null = null;
  /**
   * Tops `version`'s pool up so that `users` servers can each run `seconds` of cycles on uids never
   * used before: twice the fastest rate seen so far (or --rate, or 2,000/s before any run), plus
   * the cycles in flight.
   */
  const topUp = async (version: "006" | "007", users: number, seconds: number): Promise<void> => {
    const need = users * (Math.ceil(Math.max(bestRate, RATE, 2_000) * seconds * 2) + 2 * CONCURRENCY);
    if (users > 0 && unused[version] < need) await mint(need - unused[version], true, version);
  };
  /** Mints `count` more login frames of `version` (never while a run is timed). */
  const mint = async (count: number, append: boolean, version: "006" | "007"): Promise<void> => {
    const m = await load.request({ type: "mint", count, prefix: `${prefix}${version}-`, append, version }, 300_000);
    mintMs += num(m, "ms");
    minted += count;
    unused[version] = num(m, "unused");
    if (!append) log(`  minted ${count} login frames (one fresh ${version} token per uid, ${fmt(num(m, "meanFrameBytes"), 0)} bytes each) in ${fmt(num(m, "ms") / 1000, 1)} s`);
  };
  try {
    await mint(POOL, false, "007");
    if (!SKIP_006) await mint(POOL, false, "006");
    servers.set("bare", await BenchChild.start("bare server", "./gateway-bench-server.js", ["bare"], execArgv));
    if (SPIN_US !== undefined) servers.set("spin", await BenchChild.start("spinning bare server", "./gateway-bench-server.js", ["bare", JSON.stringify({ spinUs: SPIN_US })], execArgv));
    servers.set("gateway", await BenchChild.start("gateway server", "./gateway-bench-server.js", ["gateway", "{}"], execArgv));
    if (NO_LOGIN) servers.set("nologin", await BenchChild.start("no-login gateway server", "./gateway-bench-server.js", ["gateway", '{"answerWithoutLogin":true}'], execArgv));
    if (!SKIP_REDIS) {
      try {
        redis = await startRedisServer();
        const overrides = JSON.stringify({ redisUrl: redis.url, redisKeyPrefix: `gwbench-${process.pid}:` });
        servers.set("redis", await BenchChild.start("redis-mode gateway server", "./gateway-bench-server.js", ["gateway", overrides], execArgv));
        log(`  redis-mode gateway on its own redis-server ${redis.version} (${redis.url})`);
      } catch (err) {
        log(`  no Redis-mode row: ${(err as Error).message}`);
      }
    }
    if (!SKIP_006) servers.set("v006", await BenchChild.start("006 gateway server", "./gateway-bench-server.js", ["gateway", "{}"], execArgv));
    if (SHADOW) servers.set("shadow", await BenchChild.start("shadow server", "./gateway-bench-server.js", ["gateway", '{"shadowTarget":{"target":"token_only"}}'], execArgv));
    if (BASELINE !== undefined) {
      const module = pathToFileURL(resolve(BASELINE, "bench/gateway-bench-server.js")).href;
      servers.set("baseline", await BenchChild.start("baseline server", module, ["gateway", "{}"], execArgv));
    }

    if (PRIME_S > 0) {
      // Unmeasured: no window handler listens for a prime run's notices.
      const started = performance.now();
      for (const [kind, s] of servers) {
        const version = versionOf(kind);
        const advance = logsIn(kind);
        if (advance) await topUp(version, 1, PRIME_S);
        const r = await load.request(runRequest(kind, `prime-${kind}`, s.ready, CONCURRENCY, 0, PRIME_S), PRIME_S * 1000 + 60_000);
        if (advance) unused[version] = num(r, "unused");
        bestRate = Math.max(bestRate, num(r, "rate"));
        if (num(r, "errors") > 0) log(`  priming ${kind}: ${num(r, "errors")} errors, first: ${String(r["firstError"])}`);
        await sleep(300);
      }
      log(`  primed ${servers.size} servers with ${PRIME_S} s of cycles each, not measured (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }

    const widths = [8, 5, 7, 9, 7, 7, 7, 10, 7, 10, 7, 6];
    log("");
    log(row(["server", "round", "cycles", "cycles/s", "p50 ms", "p90 ms", "p99 ms", "srv µs/cyc", "srv ELU", "load µs/cyc", "load ELU", "errors"], widths));
    for (let round = 1; round <= ROUNDS; round++) {
      const kinds: Kind[] = ["bare", "gateway"];
      if (servers.has("redis")) kinds.push("redis");
      if (servers.has("v006")) kinds.push("v006");
      if (SHADOW) kinds.push("shadow");
      if (BASELINE !== undefined) kinds.push("baseline");
      if (servers.has("spin")) kinds.push("spin");
      if (servers.has("nologin")) kinds.push("nologin");
      const order: Kind[] = round % 2 === 1 ? kinds : [...kinds].reverse();
      if (SAME_WINDOW) {
        // Every server at once: top every pool up first, then one run per server, started together.
        const each = Math.max(8, Math.floor(CONCURRENCY / kinds.length));
        for (const version of ["007", "006"] as const) {
          const users = kinds.filter((k) => logsIn(k) && versionOf(k) === version).length;
          await topUp(version, users, WARMUP_S + DURATION_S);
        }
        const together = await Promise.all(order.map((kind) => runOne(kind, round, servers.get(kind)!.child, servers.get(kind)!.ready, load, each)));
        for (const r of together) {
          runs.push(r);
          bestRate = Math.max(bestRate, r.rate);
          log(
            row(
              [r.kind, String(round), String(r.cycles), fmt(r.rate, 0), fmt(r.p50Ms, 2), fmt(r.p90Ms, 2), fmt(r.p99Ms, 2), fmt(r.serverCpuUsPerCycle, 1), fmt(r.serverElu, 2), fmt(r.clientCpuUsPerCycle, 1), fmt(r.clientElu, 2), String(r.errors) + (r.shed > 0 ? ` (${r.shed} shed)` : "")],
              widths,
            ),
          );
          if (r.firstError !== null) log(`           first error: ${r.firstError}`);
        }
        for (const version of ["007", "006"] as const) {
          const last = together.filter((r) => logsIn(r.kind) && versionOf(r.kind) === version).map((r) => r.unused);
          if (last.length > 0) unused[version] = Math.min(...last);
        }
        await sleep(300);
        continue;
      }
      for (const kind of order) {
        const s = servers.get(kind)!;
        const version = versionOf(kind);
        if (logsIn(kind)) {
          // Top the pool up so that every login of this run uses a uid never used before.
          await topUp(version, 1, WARMUP_S + DURATION_S);
        }
        const r = await runOne(kind, round, s.child, s.ready, load);
        runs.push(r);
        bestRate = Math.max(bestRate, r.rate);
        if (logsIn(kind)) unused[version] = r.unused;
        log(
          row(
            [kind, String(round), String(r.cycles), fmt(r.rate, 0), fmt(r.p50Ms, 2), fmt(r.p90Ms, 2), fmt(r.p99Ms, 2), fmt(r.serverCpuUsPerCycle, 1), fmt(r.serverElu, 2), fmt(r.clientCpuUsPerCycle, 1), fmt(r.clientElu, 2), String(r.errors) + (r.shed > 0 ? ` (${r.shed} shed)` : "")],
            widths,
          ),
        );
        if (r.firstError !== null) log(`           first error: ${r.firstError}`);
        await sleep(300);
      }
    }
  } finally {
    await load.stop();
    for (const s of servers.values()) await s.child.stop();
    await redis?.stop();
  }

  const of = (k: Kind) => runs.filter((r) => r.kind === k);
  const best = (k: Kind) => {
    const rs = of(k);
    return {
      rate: Math.max(...rs.map((r) => r.rate)),
      serverCpuUsPerCycle: Math.min(...rs.map((r) => r.serverCpuUsPerCycle)),
      p50Ms: Math.min(...rs.map((r) => r.p50Ms)),
      p99Ms: Math.min(...rs.map((r) => r.p99Ms)),
      medianRate: median(rs.map((r) => r.rate)),
      medianServerCpuUsPerCycle: median(rs.map((r) => r.serverCpuUsPerCycle)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
    };
  };
  const bare = best("bare");
  const gateway = best("gateway");
  const pairedRate: number[] = [];
  const pairedCpu: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const b = runs.find((r) => r.kind === "bare" && r.round === round);
    const g = runs.find((r) => r.kind === "gateway" && r.round === round);
    if (b !== undefined && g !== undefined) {
      pairedRate.push(g.rate / b.rate);
      pairedCpu.push(g.serverCpuUsPerCycle / b.serverCpuUsPerCycle);
    }
  }
  const shadow = SHADOW ? best("shadow") : null;
  const pairedShadowCpu: number[] = [];
  for (let round = 1; round <= ROUNDS && SHADOW; round++) {
    const g = runs.find((r) => r.kind === "gateway" && r.round === round);
    const sh = runs.find((r) => r.kind === "shadow" && r.round === round);
    if (g !== undefined && sh !== undefined) pairedShadowCpu.push(sh.serverCpuUsPerCycle / g.serverCpuUsPerCycle);
  }
  /** Per round: CPU per cycle of `a` over that of `b`. */
  const pairedCpuOf = (a: Kind, b: Kind): number[] => {
    const out: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const x = runs.find((r) => r.kind === a && r.round === round);
      const y = runs.find((r) => r.kind === b && r.round === round);
      if (x !== undefined && y !== undefined) out.push(x.serverCpuUsPerCycle / y.serverCpuUsPerCycle);
    }
    return out;
  };
  /** Per round: CPU per cycle of `a` minus that of `b`, µs. */
  const pairedDiffOf = (a: Kind, b: Kind): number[] => {
    const out: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const x = runs.find((r) => r.kind === a && r.round === round);
      const y = runs.find((r) => r.kind === b && r.round === round);
      if (x !== undefined && y !== undefined) out.push(x.serverCpuUsPerCycle - y.serverCpuUsPerCycle);
    }
    return out;
  };
  const redisBest = servers.has("redis") ? best("redis") : null;
  const v006 = servers.has("v006") ? best("v006") : null;
  const baseline = BASELINE !== undefined ? best("baseline") : null;
  const pairedBaselineCpu: number[] = [];
  for (let round = 1; round <= ROUNDS && baseline !== null; round++) {
    const g = runs.find((r) => r.kind === "gateway" && r.round === round);
    const b = runs.find((r) => r.kind === "baseline" && r.round === round);
    if (g !== undefined && b !== undefined) pairedBaselineCpu.push(g.serverCpuUsPerCycle / b.serverCpuUsPerCycle);
  }
  const spinBest = servers.has("spin") ? best("spin") : null;
  const noLogin = servers.has("nologin") ? best("nologin") : null;
  const summary = {
    bare,
    gateway,
    spin: spinBest === null ? null : { ...spinBest, spinUs: SPIN_US ?? 0 },
    pairedSpinExcessUs: spinBest === null ? [] : pairedDiffOf("spin", "bare"),
    pairedGatewayExcessUs: pairedDiffOf("gateway", "bare"),
    noLogin,
    noLoginCpuRatio: noLogin === null ? null : noLogin.serverCpuUsPerCycle / bare.serverCpuUsPerCycle,
    pairedNoLoginCpuRatios: noLogin === null ? [] : pairedCpuOf("nologin", "bare"),
    pairedLoginExcessUs: noLogin === null ? [] : pairedDiffOf("gateway", "nologin"),
    redis: redisBest,
    redisCpuRatio: redisBest === null ? null : redisBest.serverCpuUsPerCycle / bare.serverCpuUsPerCycle,
    redisOverMemoryCpuRatio: redisBest === null ? null : redisBest.serverCpuUsPerCycle / gateway.serverCpuUsPerCycle,
    pairedRedisCpuRatios: redisBest === null ? [] : pairedCpuOf("redis", "bare"),
    pairedRedisOverMemoryCpuRatios: redisBest === null ? [] : pairedCpuOf("redis", "gateway"),
    v006,
    v006CpuRatio: v006 === null ? null : v006.serverCpuUsPerCycle / bare.serverCpuUsPerCycle,
    pairedV006CpuRatios: v006 === null ? [] : pairedCpuOf("v006", "bare"),
    shadow,
    baseline,
    baselineDir: BASELINE ?? null,
    baselineCpuRatio: baseline === null ? null : gateway.serverCpuUsPerCycle / baseline.serverCpuUsPerCycle,
    pairedBaselineCpuRatios: pairedBaselineCpu,
    shadowCpuRatio: shadow === null ? null : shadow.serverCpuUsPerCycle / gateway.serverCpuUsPerCycle,
    pairedShadowCpuRatios: pairedShadowCpu,
    rateRatio: gateway.rate / bare.rate,
    cpuRatio: gateway.serverCpuUsPerCycle / bare.serverCpuUsPerCycle,
    pairedRateRatios: pairedRate,
    pairedCpuRatios: pairedCpu,
    poolWrapped: runs.some((r) => r.poolWrapped),
  };
  log(`  (${minted} login frames minted in all, ${fmt(mintMs / 1000, 1)} s, outside the timed windows)`);
  return { runs, summary, mintMs, profiles: PROFILE_DIR ?? null };
}

// ---------------------------------------------------------------------------------------------
// Main

interface Verdict {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
}

const startedAt = performance.now();
const load1 = os.loadavg()[0] ?? 0;
log(`gateway bench — node ${process.version}, ${os.cpus().length} CPUs, load average ${load1.toFixed(2)} (1 min, at the start)`);
const verdicts: Verdict[] = [];
let noErrors = true;

let tp: Awaited<ReturnType<typeof throughput>> | null = null;
if (!SKIP_THROUGHPUT) {
  log(`throughput: ${RATE > 0 ? `open loop, ${RATE} cycle starts/s per server, at most ${CONCURRENCY}` : CONCURRENCY} cycles in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per run, ${ROUNDS} round(s), each in the reverse server order of the round before`);
  log("  cycle = connect → upgrade → one login frame (007 token, distinct uid) → reply with id 1 → close; each server in its own process");
  log("  gateway: startGateway() with its default config (decision journal on, login deadline 15 s, no per-IP limit), dev seed, log level silent");
  tp = await throughput();
  const s = tp.summary;
  log("");
  log("best of the rounds (highest rate, lowest server CPU per cycle, lowest latency):");
  const w2 = [10, 10, 8, 8, 22];
  log(row(["server", "cycles/s", "p50 ms", "p99 ms", "server CPU µs/cycle"], w2));
  log(row(["bare ws", fmt(s.bare.rate, 0), fmt(s.bare.p50Ms, 2), fmt(s.bare.p99Ms, 2), fmt(s.bare.serverCpuUsPerCycle, 1)], w2));
  log(row(["gateway", fmt(s.gateway.rate, 0), fmt(s.gateway.p50Ms, 2), fmt(s.gateway.p99Ms, 2), fmt(s.gateway.serverCpuUsPerCycle, 1)], w2));
  if (s.shadow !== null) log(row(["shadow", fmt(s.shadow.rate, 0), fmt(s.shadow.p50Ms, 2), fmt(s.shadow.p99Ms, 2), fmt(s.shadow.serverCpuUsPerCycle, 1)], w2));
  if (s.redis !== null) log(row(["redis mode", fmt(s.redis.rate, 0), fmt(s.redis.p50Ms, 2), fmt(s.redis.p99Ms, 2), fmt(s.redis.serverCpuUsPerCycle, 1)], w2));
  if (s.v006 !== null) log(row(["006 login", fmt(s.v006.rate, 0), fmt(s.v006.p50Ms, 2), fmt(s.v006.p99Ms, 2), fmt(s.v006.serverCpuUsPerCycle, 1)], w2));
  if (s.baseline !== null) log(row(["baseline", fmt(s.baseline.rate, 0), fmt(s.baseline.p50Ms, 2), fmt(s.baseline.p99Ms, 2), fmt(s.baseline.serverCpuUsPerCycle, 1)], w2));
  if (s.spin !== null) {
    log(row([`bare+${fmt(s.spin.spinUs, 0)}µs`, fmt(s.spin.rate, 0), fmt(s.spin.p50Ms, 2), fmt(s.spin.p99Ms, 2), fmt(s.spin.serverCpuUsPerCycle, 1)], w2));
    log(
      `  calibration: the bare server busy ${fmt(s.spin.spinUs, 0)} µs of CPU before each reply costs ${s.pairedSpinExcessUs.map((d) => fmt(d, 1)).join(", ")} µs more per cycle than bare (per round; median ${fmt(median(s.pairedSpinExcessUs), 1)}); ` +
        `the gateway costs ${s.pairedGatewayExcessUs.map((d) => fmt(d, 1)).join(", ")} µs more than bare (median ${fmt(median(s.pairedGatewayExcessUs), 1)})`,
    );
  }
  if (s.noLogin !== null && s.noLoginCpuRatio !== null) {
    log(row(["no login", fmt(s.noLogin.rate, 0), fmt(s.noLogin.p50Ms, 2), fmt(s.noLogin.p99Ms, 2), fmt(s.noLogin.serverCpuUsPerCycle, 1)], w2));
    log(
      `  the gateway without its login (every frame answered with the bare reply) / bare, CPU per cycle: best ${fmt(s.noLoginCpuRatio, 3)}, median of rounds ${fmt(median(s.pairedNoLoginCpuRatios), 3)} (per round ${s.pairedNoLoginCpuRatios.map((r) => fmt(r, 3)).join(", ")}); ` +
        `the login costs ${s.pairedLoginExcessUs.map((d) => fmt(d, 1)).join(", ")} µs per cycle over it (per round; median ${fmt(median(s.pairedLoginExcessUs), 1)})`,
    );
  }
  if (s.poolWrapped) log("  note: the uid pool wrapped (a uid was reused long after its session had closed); raise --pool for all-distinct uids");
  verdicts.push(
    { name: "rate gateway / bare", value: s.rateRatio, target: `≥ ${TARGET_RATE}`, pass: s.rateRatio >= TARGET_RATE },
    { name: "server CPU per login / per bare cycle", value: s.cpuRatio, target: `≤ ${TARGET_CPU}`, pass: s.cpuRatio <= TARGET_CPU },
  );
  if (s.redisCpuRatio !== null && s.redisOverMemoryCpuRatio !== null) {
    verdicts.push({ name: "CPU per login, REDIS_URL set / bare cycle", value: s.redisCpuRatio, target: `≤ ${TARGET_REDIS_CPU}`, pass: s.redisCpuRatio <= TARGET_REDIS_CPU });
    log(
      `  REDIS_URL set / memory store, CPU per login: best ${fmt(s.redisOverMemoryCpuRatio, 3)}, median of rounds ${fmt(median(s.pairedRedisOverMemoryCpuRatios), 3)} (per round ${s.pairedRedisOverMemoryCpuRatios.map((r) => fmt(r, 3)).join(", ")})`,
    );
  }
  if (s.v006CpuRatio !== null) {
    log(`  006 login CPU / bare cycle: best ${fmt(s.v006CpuRatio, 3)}, median of rounds ${fmt(median(s.pairedV006CpuRatios), 3)} (per round ${s.pairedV006CpuRatios.map((r) => fmt(r, 3)).join(", ")})`);
  }
  if (s.shadowCpuRatio !== null) {
    verdicts.push({ name: "server CPU per login, shadow target / none", value: s.shadowCpuRatio, target: `≤ ${TARGET_SHADOW_CPU}`, pass: s.shadowCpuRatio <= TARGET_SHADOW_CPU });
    log(`  (per-round shadow / none CPU ratios ${s.pairedShadowCpuRatios.map((r) => fmt(r, 3)).join(", ")})`);
  }
  if (s.baselineCpuRatio !== null) {
    log(
      `  server CPU per login, this build / baseline (${s.baselineDir}): best ${fmt(s.baselineCpuRatio, 3)}, median of rounds ${fmt(median(s.pairedBaselineCpuRatios), 3)} (per round ${s.pairedBaselineCpuRatios.map((r) => fmt(r, 3)).join(", ")})`,
    );
  }
  noErrors = [s.bare, s.gateway, s.redis, s.v006, s.shadow, s.baseline, s.noLogin].every((b) => b === null || b.errors === 0);
  // Open loop: a run that could not start every cycle due was not at the offered rate, so the servers were not compared at equal load.
  const shedding = tp.runs.filter((r) => r.shed > 0);
  if (shedding.length > 0) {
    noErrors = false;
    log(`  --rate ${RATE}: ${shedding.map((r) => `${r.kind} round ${r.round} shed ${r.shed}`).join(", ")} (--concurrency ${CONCURRENCY} in flight was not enough): lower --rate`);
  }
}

let memory: MemoryResult | null = null;
if (!SKIP_MEMORY) {
  log("");
  log(`idle memory: ${SESSIONS} connections held open per server (gateway: logged in with 007 tokens, no login deadline)`);
  memory = await runMemoryBench({ sessions: SESSIONS, openConcurrency: 128, settleMs: 1_000, warmCycles: MEMORY_WARM_CYCLES, rounds: MEMORY_ROUNDS, log });
  if (memory.roundRatios.length > 1) log(`  RSS per idle session / per bare connection, per round: ${memory.roundRatios.map((r) => fmt(r, 3)).join(", ")}; the median round below`);
  const w3 = [10, 12, 12, 12, 12, 14, 16];
  log("");
  log(row(["server", "RSS before", "RSS after", "RSS B/conn", "heap B/conn", "heapTotal B/c", "external B/conn"], w3));
  for (const m of [memory.bare, memory.gateway]) {
    log(
      row(
        [
          m.kind === "bare" ? "bare ws" : "gateway",
          `${fmt(m.rssBefore / 2 ** 20, 1)} MiB`,
          `${fmt(m.rssAfter / 2 ** 20, 1)} MiB`,
          fmt(m.rssPerConnection, 0),
          fmt(m.heapPerConnection, 0),
          fmt((m.heapTotalAfter - m.heapTotalBefore) / m.sessions, 0),
          fmt(m.externalPerConnection, 0),
        ],
        w3,
      ),
    );
    if (m.failed > 0 || m.opened !== SESSIONS || m.serverConnections !== SESSIONS || m.droppedWhileHeld > 0) {
      log(`  WARNING ${m.kind}: opened ${m.opened}/${SESSIONS}, server saw ${m.serverConnections}, dropped ${m.droppedWhileHeld}; ${m.firstError ?? ""}`);
    }
  }
  log(`  (V8 heap used per connection, for reference: gateway / bare = ${fmt(memory.gateway.heapPerConnection / memory.bare.heapPerConnection, 3)})`);
  verdicts.push({ name: `RSS per idle session / per bare connection (${SESSIONS})`, value: memory.ratio, target: `≤ ${TARGET_MEMORY}`, pass: memory.ratio <= TARGET_MEMORY });
}
const memoryComplete =
  memory === null || [memory.bare, memory.gateway].every((m) => m.failed === 0 && m.opened === SESSIONS && m.serverConnections === SESSIONS && m.droppedWhileHeld === 0);

log("");
log("ratios");
for (const v of verdicts) log(`  ${v.name.padEnd(50)} ${fmt(v.value, 3).padStart(7)}   target ${v.target.padEnd(7)} ${v.pass ? "PASS" : "FAIL"}`);
if (tp !== null) {
  const s = tp.summary;
  log(`  (per-round rate ratios ${s.pairedRateRatios.map((r) => fmt(r, 3)).join(", ")}; per-round CPU ratios ${s.pairedCpuRatios.map((r) => fmt(r, 3)).join(", ")})`);
}
if (!noErrors) log("  FAIL: some cycles failed or were shed (see above)");
if (!memoryComplete) log("  FAIL: not every memory connection was opened and held");
const allPass = verdicts.every((v) => v.pass) && noErrors && memoryComplete;
const totalS = (performance.now() - startedAt) / 1000;
log(`overall: ${allPass ? "PASS" : "FAIL"} (${totalS.toFixed(1)} s)${allPass || CHECK ? "" : "; exit code 0: use --check to fail on a missed target"}`);
if (tp?.profiles != null) log(`CPU profiles of the server processes: ${tp.profiles} (summarise with node dist/bench/cpuprofile-summary.js FILE)`);

if (JSON_FILE !== undefined) {
  const out = {
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1m: load1,
    options: { durationS: DURATION_S, warmupS: WARMUP_S, concurrency: CONCURRENCY, rounds: ROUNDS, primeS: PRIME_S, rate: RATE, memoryRounds: MEMORY_ROUNDS, pool: POOL, sessions: SESSIONS, skipMemory: SKIP_MEMORY, skipThroughput: SKIP_THROUGHPUT },
    throughput: tp === null ? null : { runs: tp.runs, ...tp.summary, mintMs: tp.mintMs },
    memory,
    verdicts,
    noErrors,
    memoryComplete,
    pass: allPass,
    seconds: totalS,
  };
  writeFileSync(JSON_FILE, `${JSON.stringify(out, null, 2)}\n`);
  log(`figures written to ${JSON_FILE}`);
}
process.exit(CHECK && !allPass ? 1 : 0);
