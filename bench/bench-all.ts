/**
 * `npm run bench`: every benchmark, one after another, each writing its figures as JSON into one
 * directory, then docs/performance.md written from those files (performance-page.ts).
 *
 *   node dist/bench/bench-all.js [--dir DIR] [--out FILE] [--only NAME,…]
 *
 * Steps (each a child process, bounded in time):
 *  1. verify       node dist/bench/verify-bench.js --json verify.json
 *     login        node dist/bench/login-path-bench.js --json login.json   (the login path in one process, journal on and off)
 *  2. gateway      node dist/bench/gateway-bench.js --spin 100 --no-login --json gateway.json   (throughput with the closed-loop calibration and the gateway's transport alone; idle memory at 10k sessions)
 *  3. propagation  node dist/bench/propagation-bench.js --json propagation.json   (Redis commands per login)
 *  4. capacity     one `rtm-auth serve` (memory store) with a project taking App ID and token logins,
 *                  and `rtm-auth load --find-capacity` against it → capacity.json, capacity.html; the
 *                  gateway's own CPU over the search → capacity-gateway.json
 *  5. cluster      node dist/bench/cluster-memory-bench.js --json cluster.json   (50k sessions, three gateways, one Redis)
 *
 * `--dir` keeps the JSON (default: a temp directory, removed at the end); `--out` is the page
 * (default docs/performance.md); `--only` runs some steps and still writes the page from what
 * the directory holds. Exit 0 when every step that ran exited 0, else 1.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, startGatewayProcess } from "./gateway-process.js";
import { renderPerformancePage } from "./performance-page.js";

const USAGE = "usage: node dist/bench/bench-all.js [--dir DIR] [--out FILE] [--only verify,login,gateway,propagation,capacity,cluster]";
const STEPS = ["verify", "login", "gateway", "propagation", "capacity", "cluster"] as const;
type StepName = (typeof STEPS)[number];

/** The capacity search: arguments of `rtm-auth load` besides the target and the output files. */
const CAPACITY_ARGS = [
  "--find-capacity",
  "--rate", "200",
  "--step-duration", "5s",
  "--max-steps", "18",
  "--refine", "2",
  "--mix", "token007:0.8,token006:0.1,appid:0.1",
  "--invalid", "0.05",
  "--threshold", "p99<100ms",
  "--threshold", "unexpected==0",
];

let values;
try {
  values = parseArgs({ options: { dir: { type: "string" }, out: { type: "string" }, only: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const only = values.only === undefined ? [...STEPS] : values.only.split(",").map((s) => s.trim());
for (const s of only) {
  if (!(STEPS as readonly string[]).includes(s)) {
    console.error(`--only: unknown step ${JSON.stringify(s)}\n${USAGE}`);
    process.exit(2);
  }
}

const root = repoRoot();
const dist = join(root, "dist", "bench");
const keep = values.dir !== undefined;
const dir = keep ? resolve(values.dir!) : mkdtempSync(join(os.tmpdir(), "rtm-bench-"));
mkdirSync(dir, { recursive: true });
const out = resolve(values.out ?? join(root, "docs", "performance.md"));

interface Step {
  readonly name: StepName;
  readonly command: string;
  readonly code: number | null;
  readonly seconds: number;
}
const steps: Step[] = [];

/** Runs `node ARGS` (stdout and stderr shown), killed after `timeoutMs`; `stdin` is written to it. */
function run(args: readonly string[], timeoutMs: number, stdin?: string): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...args], { cwd: root, stdio: [stdin === undefined ? "ignore" : "pipe", "inherit", "inherit"] });
    if (stdin !== undefined) child.stdin?.end(stdin);
    const timer = setTimeout(() => {
      console.error(`bench: ${args[0]} ran over ${timeoutMs / 1000} s; killing it`);
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      done(null);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

async function step(name: StepName, command: string, body: () => Promise<number | null>): Promise<void> {
  if (!only.includes(name)) return;
  console.log(`\n=== ${name}: ${command}\n`);
  const started = performance.now();
  let code: number | null;
  try {
    code = await body();
  } catch (err) {
    console.error(`bench: ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    code = null;
  }
  steps.push({ name, command, code, seconds: (performance.now() - started) / 1000 });
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (m === null) throw new Error(`no ${name} in ${http}/metrics`);
  return Number(m[1]);
}

/** Step 4: a gateway with an App-ID-or-token project, and the capacity search against it. */
async function capacity(): Promise<number | null> {
  const gw = await startGatewayProcess({ name: "capacity gateway", env: { LOG_LEVEL: "warn" } });
  try {
    const post = async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${gw.http}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
      if (!res.ok) throw new Error(`POST ${path} → ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    };
    // App ID project, then a primary certificate: mode "either", so the mix's appid share is accepted too.
    const appId = String((await post("/admin/projects", { mechanism: "appid" }))["appId"]);
    const project = (await post(`/admin/projects/${appId}/certificates/primary`)) as { certificates?: { primary?: { value?: string } } };
    const certificate = project.certificates?.primary?.value;
    if (certificate === undefined) throw new Error("the project has no primary certificate");
    const cpu0 = await metric(gw.http, "process_cpu_seconds_total");
    const t0 = performance.now();
    // The certificate goes through stdin, never onto a command line.
    const code = await run(
      [join(root, "bin", "rtm-auth.js"), "load", "--url", gw.url, "--app-id", appId, "--certificate", "-", ...CAPACITY_ARGS, "--json", join(dir, "capacity.json"), "--html", join(dir, "capacity.html")],
      15 * 60_000,
      `${certificate}\n`,
    );
    const cpuSeconds = (await metric(gw.http, "process_cpu_seconds_total")) - cpu0;
    writeFileSync(join(dir, "capacity-gateway.json"), `${JSON.stringify({ cpuSeconds, wallSeconds: (performance.now() - t0) / 1000, args: CAPACITY_ARGS }, null, 2)}\n`);
    // 1: no passing rate — still a measurement worth printing.
    return code === 1 ? 0 : code;
  } finally {
    await gw.stop();
  }
}

const started = performance.now();
writeFileSync(
  join(dir, "machine.json"),
  `${JSON.stringify({ cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? "unknown", memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString(), loadAverage1m: os.loadavg()[0] ?? 0 }, null, 2)}\n`,
);
console.log(`bench: ${os.cpus().length} CPUs, node ${process.version}; figures go to ${dir}`);

await step("verify", "npm run bench:verify -- --json verify.json", () => run([join(dist, "verify-bench.js"), "--json", join(dir, "verify.json")], 5 * 60_000));
await step("login", "npm run bench:login -- --json login.json", () => run([join(dist, "login-path-bench.js"), "--json", join(dir, "login.json")], 5 * 60_000));
await step("gateway", "npm run bench:gateway -- --spin 100 --no-login --json gateway.json", () => run([join(dist, "gateway-bench.js"), "--spin", "100", "--no-login", "--json", join(dir, "gateway.json")], 12 * 60_000));
await step("propagation", "npm run bench:propagation -- --json propagation.json", () => run([join(dist, "propagation-bench.js"), "--json", join(dir, "propagation.json")], 5 * 60_000));
await step("capacity", `rtm-auth load ${CAPACITY_ARGS.join(" ")}`, capacity);
await step("cluster", "node dist/bench/cluster-memory-bench.js --json cluster.json", () => run([join(dist, "cluster-memory-bench.js"), "--json", join(dir, "cluster.json")], 8 * 60_000));

writeFileSync(join(dir, "steps.json"), `${JSON.stringify(steps, null, 2)}\n`);
mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(out, renderPerformancePage(dir));
console.log(`\nbench: wrote ${out} (${((performance.now() - started) / 60_000).toFixed(1)} min)${keep ? `; figures in ${dir}` : ""}`);
for (const s of steps) console.log(`  ${s.name.padEnd(12)} exit ${String(s.code ?? "signal").padEnd(6)} ${s.seconds.toFixed(0)} s`);
if (!keep) rmSync(dir, { recursive: true, force: true });
process.exit(steps.every((s) => s.code === 0) ? 0 : 1);
