/**
 * `npm run bench:scale`: every figure of docs/scaling.md, then the page itself.
 *
 *   node dist/bench/scale-bench.js [--redis single,cluster] [--gateways 1,2,4] [--rate L]
 *                                  [--seconds S] [--relogin R] [--idle-sessions N]
 *                                  [--idle-gateways G] [--skip-idle] [--json FILE] [--out FILE]
 *   node dist/bench/scale-bench.js --from FILE [--out FILE]      (the page from a saved JSON)
 *
 * 1. Fan-out (bench/scale-fanout.ts): for each Redis deployment (an own redis-server, an own
 *    3-master Redis Cluster) and each gateway count G, L logins per second (default 500) for S
 *    seconds (default 8) over G gateway processes, a share R (default 0.2) logging in again an
 *    identity held on another gateway. Messages received per gateway, Redis commands and CPU per
 *    login, gateway CPU per login; one session per identity checked.
 * 2. Idle sessions (bench/cluster-memory-bench.ts, a child process): N logged-in idle sessions
 *    (default 100,000) over G gateways (default 6) on a 3-master cluster; RSS per session.
 * 3. The page: bench/scaling-page.ts renders the JSON into `--out` (default docs/scaling.md), and
 *    the JSON is written beside it (docs/scaling.json: a test renders it again and compares).
 *
 * Exit 0 when every run held its checks (one session per identity, no failed login, every idle
 * session held), else 1; 2 on a usage error.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./gateway-process.js";
import { runFanout, type FanoutResult } from "./scale-fanout.js";
import { startScaleRedis } from "./scale-redis.js";
import { renderScalingPage, type IdleResult, type ScaleFigures } from "./scaling-page.js";

const USAGE =
  "usage: node dist/bench/scale-bench.js [--redis single,cluster] [--gateways 1,2,4] [--rate L] [--seconds S] [--relogin R]\n" +
  "                                      [--idle-sessions N] [--idle-gateways G] [--skip-idle] [--json FILE] [--out FILE]\n" +
  "       node dist/bench/scale-bench.js --from FILE [--out FILE]\n" +
  "defaults: --redis single,cluster --gateways 1,2,4 --rate 500 (logins/s) --seconds 8 --relogin 0.2\n" +
  "          --idle-sessions 100000 --idle-gateways 6 (on a 3-master cluster); about 6 minutes on 2 cores.\n" +
  "It WRITES docs/scaling.md and docs/scaling.json unless --out names another page (its JSON goes beside it).";

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: {
      redis: { type: "string" },
      gateways: { type: "string" },
      rate: { type: "string" },
      seconds: { type: "string" },
      relogin: { type: "string" },
      "idle-sessions": { type: "string" },
      "idle-gateways": { type: "string" },
      "skip-idle": { type: "boolean" },
      json: { type: "string" },
      out: { type: "string" },
      from: { type: "string" },
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
const out = values.out ?? join(repoRoot(), "docs", "scaling.md");
const log = (line = ""): void => console.log(line);

if (values.from !== undefined) {
  let figures: ScaleFigures;
  try {
    figures = JSON.parse(readFileSync(values.from, "utf8")) as ScaleFigures;
  } catch (err) {
    usage(`--from: ${(err as Error).message}`);
  }
  writeFileSync(out, renderScalingPage(figures));
  writeFileSync(out.replace(/\.md$/, "") + ".json", `${JSON.stringify(figures, null, 2)}\n`);
  log(`${out} and its JSON written from ${values.from}`);
  process.exit(0);
}

const modes = (values.redis ?? "single,cluster").split(",").map((s) => s.trim());
for (const m of modes) if (m !== "single" && m !== "cluster") usage(`--redis: unknown deployment ${JSON.stringify(m)} (single or cluster)`);
const counts = (values.gateways ?? "1,2,4").split(",").map((s) => Number(s.trim()));
for (const g of counts) if (!Number.isInteger(g) || g < 1 || g > 8) usage("--gateways: integers in [1, 8]");
const rate = Number(values.rate ?? 500);
if (!Number.isFinite(rate) || rate <= 0 || rate > 5_000) usage("--rate: logins per second in (0, 5000]");
const seconds = Number(values.seconds ?? 8);
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) usage("--seconds: in (0, 300]");
const relogin = Number(values.relogin ?? 0.2);
if (!Number.isFinite(relogin) || relogin < 0 || relogin > 1) usage("--relogin: a share in [0, 1]");
const idleSessions = Number(values["idle-sessions"] ?? 100_000);
const idleGateways = Number(values["idle-gateways"] ?? 6);
if (!Number.isInteger(idleGateways) || idleGateways < 1 || idleGateways > 8) usage("--idle-gateways: an integer in [1, 8]");
if (!Number.isInteger(idleSessions) || idleSessions < idleGateways || idleSessions > idleGateways * 19_000) usage(`--idle-sessions: an integer in [${idleGateways}, ${idleGateways * 19_000}]`);

/** The idle-sessions run, in its own process (its holders need their own open-file budgets). */
async function runIdle(mode: string): Promise<IdleResult | null> {
  const dir = mkdtempSync(join(os.tmpdir(), "rtm-scale-"));
  const file = join(dir, "idle.json");
  try {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot(), "dist", "bench", "cluster-memory-bench.js"), "--sessions", String(idleSessions), "--gateways", String(idleGateways), "--redis", mode, "--json", file], { stdio: ["ignore", "inherit", "inherit"] });
      child.once("exit", (c) => resolve(c));
    });
    try {
      return JSON.parse(readFileSync(file, "utf8")) as IdleResult;
    } catch {
      log(`idle sessions: no figures (exit ${String(code)})`);
      return null;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadavg = os.loadavg();
log(`scale bench — node ${process.version}, ${os.cpus().length} CPUs, load average ${loadavg.map((l) => l.toFixed(2)).join(" ")}`);
const fanout: FanoutResult[] = [];
let ok = true;
for (const mode of modes as ("single" | "cluster")[]) {
  for (const g of counts) {
    const redis = await startScaleRedis(mode);
    try {
      const r = await runFanout({ redis, gateways: g, rate, seconds, relogin, log });
      fanout.push(r);
      ok &&= r.ok;
    } finally {
      await redis.stop();
    }
  }
}
const idleCommands: Record<string, number> = {};
for (const mode of modes) {
  const rows = fanout.filter((r) => r.redis === mode);
  if (rows.length > 0) idleCommands[mode] = rows.reduce((s, r) => s + r.idleCommandsPerGatewayPerSecond, 0) / rows.length;
}
const idle = values["skip-idle"] === true ? null : await runIdle(modes.includes("cluster") ? "cluster" : "single");
if (idle !== null) ok &&= idle.complete;
const figures: ScaleFigures = { node: process.version, cpus: os.cpus().length, loadavg, date: new Date().toISOString().slice(0, 10), rate, seconds, relogin, fanout, idleCommandsPerGatewayPerSecond: idleCommands, idle };
if (values.json !== undefined) {
  writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
  log(`figures written to ${values.json}`);
}
writeFileSync(out, renderScalingPage(figures));
writeFileSync(out.replace(/\.md$/, "") + ".json", `${JSON.stringify(figures, null, 2)}\n`);
log(`${out} and its JSON written`);
process.exit(ok ? 0 : 1);
