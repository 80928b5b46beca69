/**
 * `npm run bench:scale`: the figures of docs/scaling.md.
 *
 *   node dist/bench/scale-bench.js [--redis single,cluster] [--gateways 1,2,4] [--rate L]
 *                                  [--seconds S] [--relogin R] [--json FILE]
 *
 * For each Redis deployment and each gateway count G, one fan-out run (bench/scale-fanout.ts):
 * L logins per second for S seconds over G gateway processes, a share R of them re-using an
 * identity logged in on another gateway.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { runFanout, type FanoutResult } from "./scale-fanout.js";
import { startScaleRedis } from "./scale-redis.js";

const USAGE = "usage: node dist/bench/scale-bench.js [--redis single,cluster] [--gateways 1,2,4] [--rate L] [--seconds S] [--relogin R] [--json FILE]";

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: { redis: { type: "string" }, gateways: { type: "string" }, rate: { type: "string" }, seconds: { type: "string" }, relogin: { type: "string" }, json: { type: "string" }, help: { type: "boolean", short: "h" } },
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
const modes = (values.redis ?? "single,cluster").split(",").map((s) => s.trim());
for (const m of modes) if (m !== "single" && m !== "cluster") usage(`--redis: unknown deployment ${JSON.stringify(m)} (single or cluster)`);
const counts = (values.gateways ?? "1,2,4").split(",").map((s) => Number(s.trim()));
for (const g of counts) if (!Number.isInteger(g) || g < 1 || g > 8) usage("--gateways: integers in [1, 8]");
const rate = Number(values.rate ?? 200);
if (!Number.isFinite(rate) || rate <= 0 || rate > 5_000) usage("--rate: logins per second in (0, 5000]");
const seconds = Number(values.seconds ?? 10);
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) usage("--seconds: in (0, 300]");
const relogin = Number(values.relogin ?? 0.2);
if (!Number.isFinite(relogin) || relogin < 0 || relogin > 1) usage("--relogin: a share in [0, 1]");

const log = (line = ""): void => console.log(line);
log(`scale bench — node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
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
if (values.json !== undefined) {
  writeFileSync(values.json, `${JSON.stringify({ benchmark: "scale", node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), fanout }, null, 2)}\n`);
  log(`figures written to ${values.json}`);
}
process.exit(ok ? 0 : 1);
