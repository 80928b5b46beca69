/**
 * The login path inside one process, without sockets: CPU per login of the session manager as a
 * running gateway has it (policies, 007 verify, state events and reply, timers, observers: metrics,
 * readiness, the decision journal), measured by interleaved chunks so that machine noise lands on
 * every case alike. It isolates what `bench:gateway` measures through sockets, and compares builds:
 *
 *   npm run build && node dist/bench/login-path-bench.js [--baseline DIST] [--rounds N] [--ms N] [--json FILE]
 *
 * Cases: this build with its default configuration (decision journal on, JOURNAL_SIZE 10000) and
 * with JOURNAL_SIZE=0; with `--baseline DIST` (another build's `dist/` directory, e.g. the previous
 * commit built elsewhere) the same two for that build, in the same rounds. One login: `open()` a
 * connection on a recording transport, `onText()` one login frame (a fresh 007 token for a uid of its
 * own, minted before anything is timed), `onClose()`. Every reply is checked to be an accept.
 *
 * Method: as verify-bench.ts. Each case is calibrated to ~2 ms batches; every round gives each case
 * about `--ms` of CPU time in chunks of up to 10 ms that cycle through the cases (the first case
 * rotates); each chunk ends with a minor GC inside its own timing, so each case pays for its own
 * garbage. Time is the process's CPU time (`process.cpuUsage()`, user + system, GC threads
 * included), not wall time: another process taking the CPU does not count. Figures are medians of
 * the per-round µs per login; ratios are paired per round, then the median.
 */
import { randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { buildRtmToken } from "../core/token/index.js";
import { DEV_PROJECTS } from "../gateway/dev-seed.js";

const USAGE = "usage: node dist/bench/login-path-bench.js [--baseline DIST] [--rounds N] [--ms N] [--pool N] [--json FILE]";

function parseCli() {
  return parseArgs({
    options: {
      baseline: { type: "string" },
      rounds: { type: "string" },
      ms: { type: "string" },
      pool: { type: "string" },
      json: { type: "string" },
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
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const ROUNDS = positiveInt("rounds", args.values.rounds, 9);
const SLICE_MS = positiveInt("ms", args.values.ms, 300);
const POOL = positiveInt("pool", args.values.pool, 20_000);
const BASELINE = args.values.baseline === undefined ? undefined : resolve(args.values.baseline);

// ---------------------------------------------------------------------------------------------
// The gateways (this build's, and the baseline's loaded from its own dist/ as a separate module graph)

/** What this bench uses of a build's gateway/main.js (structurally; the baseline is another build). */
interface GatewayLike {
  readonly sessions: {
    open(t: RecordingTransport): unknown;
    onText(conn: unknown, text: string): void;
    onClose(conn: unknown, code: number): void;
    readonly connectionCount: number;
  };
  close(): Promise<void>;
}
type StartGateway = (o: { config: Record<string, unknown> }) => Promise<GatewayLike>;

/** A transport that records what a login sends: frames and bytes, and whether the last reply accepted. */
class RecordingTransport {
  readonly remoteAddress = "127.0.0.1";
  frames = 0;
  bytes = 0;
  accepted = 0;
  send(text: string | Buffer): void {
    this.frames++;
    this.bytes += text.length;
    // The reply to id 1 is the last frame of a login; an accept starts `{"id":1,"ok":true`.
    if (typeof text === "string" ? text.startsWith('{"id":1,"ok":true') : text.subarray(0, 17).toString("latin1") === '{"id":1,"ok":true') this.accepted++;
  }
  close(): void {}
}

const TOKEN_PROJECT = DEV_PROJECTS.find((p) => p.mode === "token");
if (TOKEN_PROJECT === undefined || TOKEN_PROJECT.certificate === null) throw new Error("the dev seed has no token-only project");
const APP_ID = TOKEN_PROJECT.appId;
const CERTIFICATE = TOKEN_PROJECT.certificate;

/** `count` login frames, each a fresh 007 token for a uid of its own (`prefix` + number). */
function mintFrames(prefix: string, count: number): string[] {
  const issueTs = Math.floor(Date.now() / 1000);
  const out: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const uid = `${prefix}${i}`;
    const token = buildRtmToken({ version: "007", appId: APP_ID, certificate: CERTIFICATE, uid, expireSeconds: 3600, issueTs, salt: randomInt(1, 2 ** 32 - 1) });
    // A frame reaches the gateway as a flat string decoded off the wire.
    out[i] = Buffer.from(JSON.stringify({ id: 1, op: "login", appId: APP_ID, uid, token, profile: "rtm1" }), "utf8").toString("utf8");
  }
  return out;
}

interface Case {
  readonly name: string;
  readonly gateway: GatewayLike;
  readonly transport: RecordingTransport;
  readonly frames: readonly string[];
  next: number;
}

/** n logins on `c`; returns how many were accepted. */
function run(c: Case, n: number): number {
  const t = c.transport;
  const before = t.accepted;
  const sessions = c.gateway.sessions;
  for (let i = 0; i < n; i++) {
    const conn = sessions.open(t);
    sessions.onText(conn, c.frames[c.next] as string);
    sessions.onClose(conn, 1000);
    if (++c.next === c.frames.length) c.next = 0;
  }
  return t.accepted - before;
}

async function gatewayOf(dist: string | null): Promise<StartGateway> {
  const mod = (dist === null ? await import("../gateway/main.js") : await import(pathToFileURL(resolve(dist, "gateway/main.js")).href)) as { startGateway: StartGateway };
  return mod.startGateway;
}

const builds: Array<{ label: string; dist: string | null }> = [{ label: "this build", dist: null }];
if (BASELINE !== undefined) builds.push({ label: "baseline", dist: BASELINE });

const cases: Case[] = [];
for (const b of builds) {
  const start = await gatewayOf(b.dist);
  for (const journal of [true, false]) {
    const config: Record<string, unknown> = { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true };
    if (!journal) config["journalSize"] = 0;
    const gateway = await start({ config });
    const c: Case = { name: `${b.label}, journal ${journal ? "on" : "off"}`, gateway, transport: new RecordingTransport(), frames: mintFrames(`lp-${cases.length}-`, POOL), next: 0 };
    if (run(c, 1) !== 1) throw new Error(`${c.name}: a login was not accepted`);
    cases.push(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Timing (CPU time)

const minorGc: (() => void) | null = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
    gc({ type: "minor" });
    return () => gc({ type: "minor" });
  } catch {
    return null;
  }
})();

/** CPU time of this process so far, µs. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const BATCH_US = 2_000;

function calibrate(c: Case): number {
  let batch = 1;
  for (;;) {
    const t0 = cpuUs();
    run(c, batch);
    const dt = cpuUs() - t0;
    if (dt >= BATCH_US || batch >= 1 << 20) return Math.max(1, Math.round((batch * BATCH_US) / Math.max(1, dt)));
    batch *= 2;
  }
}

function slice(c: Case, batch: number, us: number): { logins: number; us: number } {
  let logins = 0;
  const t0 = cpuUs();
  let elapsed = 0;
  do {
    const ok = run(c, batch);
    if (ok !== batch) throw new Error(`${c.name}: ${batch - ok} of ${batch} logins not accepted`);
    logins += batch;
    elapsed = cpuUs() - t0;
  } while (elapsed < us);
  if (minorGc !== null) {
    minorGc();
    elapsed = cpuUs() - t0;
  }
  return { logins, us: elapsed };
}

function round(first: number, ms: number, batches: readonly number[]): number[] {
  const budget = ms * 1000;
  const chunk = Math.max(BATCH_US, Math.min(10_000, (ms * 1000) / 10));
  const logins = cases.map(() => 0);
  const us = cases.map(() => 0);
  for (;;) {
    let pending = false;
    for (let k = 0; k < cases.length; k++) {
      const i = (k + first) % cases.length;
      if ((us[i] as number) >= budget) continue;
      pending = true;
      const r = slice(cases[i] as Case, batches[i] as number, chunk);
      logins[i] = (logins[i] as number) + r.logins;
      us[i] = (us[i] as number) + r.us;
    }
    if (!pending) break;
  }
  return us.map((u, i) => u / (logins[i] as number));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

for (const c of cases) run(c, 500);
const batches = cases.map(calibrate);
round(0, Math.max(60, Math.round(SLICE_MS / 2)), batches);
const perRound: number[][] = cases.map(() => []);
for (let r = 0; r < ROUNDS; r++) round(r % cases.length, SLICE_MS, batches).forEach((v, i) => (perRound[i] as number[]).push(v));

const usPerLogin = perRound.map(median);
const paired = (a: number, b: number): number => median((perRound[a] as number[]).map((x, r) => x / ((perRound[b] as number[])[r] as number)));
const ratios: Array<{ name: string; value: number }> = [{ name: "this build: journal on / off", value: paired(0, 1) }];
if (BASELINE !== undefined) {
  ratios.push({ name: "baseline: journal on / off", value: paired(2, 3) });
  ratios.push({ name: "journal on: this build / baseline", value: paired(0, 2) });
  ratios.push({ name: "journal off: this build / baseline", value: paired(1, 3) });
}

console.log(`login-path-bench: node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]?.toFixed(2)}; ${ROUNDS} rounds x ${SLICE_MS} ms CPU per case${minorGc === null ? " (no GC fence)" : ", each chunk ending with its own minor GC"}`);
if (BASELINE !== undefined) console.log(`baseline: ${BASELINE}`);
console.log("");
const w = Math.max(...cases.map((c) => c.name.length), ...ratios.map((r) => r.name.length));
console.log(`${"case".padEnd(w)}  ${"CPU µs/login".padStart(12)}  ${"spread".padStart(7)}  ${"frames/login".padStart(12)}`);
cases.forEach((c, i) => {
  const rs = perRound[i] as number[];
  const spread = (Math.max(...rs) - Math.min(...rs)) / (usPerLogin[i] as number);
  console.log(`${c.name.padEnd(w)}  ${(usPerLogin[i] as number).toFixed(2).padStart(12)}  ${`${(spread * 100).toFixed(1)}%`.padStart(7)}  ${(c.transport.frames / Math.max(1, c.transport.accepted)).toFixed(2).padStart(12)}`);
});
console.log("");
console.log(`${"ratio (paired per round, median)".padEnd(w)}  ${"value".padStart(7)}`);
for (const r of ratios) console.log(`${r.name.padEnd(w)}  ${r.value.toFixed(3).padStart(7)}`);

if (args.values.json !== undefined) {
  writeFileSync(
    args.values.json,
    `${JSON.stringify({ benchmark: "login-path", node: process.version, cpus: os.cpus().length, loadAverage1m: os.loadavg()[0], rounds: ROUNDS, sliceMs: SLICE_MS, baseline: BASELINE ?? null, cases: cases.map((c, i) => ({ name: c.name, usPerLogin: usPerLogin[i], roundsUsPerLogin: perRound[i] })), ratios }, null, 2)}\n`,
  );
}
for (const c of cases) await c.gateway.close();
process.exit(0);
