/**
 * Helpers for runs with several gateway PROCESSES on one Redis (bench/propagation-bench.ts and
 * test/integration/two-gateways-redis.test.ts):
 *
 *  - `startGatewayProcess`: spawns `node bin/rtm-auth.js serve --port 0 --json --no-dev-seed` with
 *    a clean gateway environment (every config variable of gateway/config.ts unset, then the
 *    given ones set) and resolves with the URLs from its JSON summary line;
 *  - `parseCommandStats` / `commandStatsDelta`: Redis `INFO commandstats` as a map and the
 *    difference of two of them;
 *  - `watchScripts`: the script calls Redis runs, by script SHA, through MONITOR.
 *
 * Only ever 127.0.0.1 (the gateways listen on HOST=127.0.0.1, port 0).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENV_NAMES } from "../gateway/config.js";

/** The repository root: the nearest directory above this file whose package.json is this package's (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "rtm-auth-gateway") return dir;
      } catch {
        // not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find the rtm-auth-gateway package root");
}

/** A running `rtm-auth serve` child. */
export interface GatewayProcess {
  /** WebSocket endpoint, ws://127.0.0.1:PORT/rtm. */
  readonly url: string;
  /** HTTP base, http://127.0.0.1:PORT. */
  readonly http: string;
  readonly port: number;
  readonly pid: number;
  /** The last few KiB of its stdout and stderr (log lines), for failure messages. */
  output(): string;
  /** True until the process exited. */
  readonly running: boolean;
  /** SIGTERM (the gateway closes its sessions and Redis connections), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface GatewayProcessOptions {
  /** Gateway environment variables (REDIS_URL, REDIS_KEY_PREFIX, LOG_LEVEL, …). */
  readonly env: Readonly<Record<string, string>>;
  /** A label for error messages. */
  readonly name?: string;
  /** How long to wait for the summary line. Default 15 000 ms. */
  readonly startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/** Spawns one gateway process and resolves once it printed its summary (it listens by then). */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const root = repoRoot();
  const bin = join(root, "bin", "rtm-auth.js");
  if (!existsSync(join(root, "dist", "gateway", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const name = options.name ?? "gateway";
  const env: Record<string, string> = {};
  const gatewayVars = new Set(Object.values(ENV_NAMES));
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !gatewayVars.has(k)) env[k] = v;
  Object.assign(env, { HOST: "127.0.0.1" }, options.env);

  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--json", "--no-dev-seed"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  let output = "";
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8_000);
  };
  child.stderr?.on("data", keep);

  const summary = await new Promise<{ url: string; http: string }>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => fail(new Error(`${name} printed no summary within ${options.startTimeoutMs ?? 15_000} ms: ${output.trim()}`)), options.startTimeoutMs ?? 15_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.kill("SIGKILL");
      reject(err);
    };
    const onData = (d: Buffer): void => {
      keep(d);
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.includes('"url"')) continue;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          continue;
        }
        const s = v as { url?: unknown; http?: unknown };
        if (typeof s.url === "string" && typeof s.http === "string") {
          clearTimeout(timer);
          child.off("exit", onExit);
          child.stdout?.off("data", onData);
          child.stdout?.on("data", keep);
          resolve({ url: s.url, http: s.http });
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: string | null): void => fail(new Error(`${name} exited (code ${code}, signal ${signal}) before its summary: ${output.trim()}`));
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });

  const port = Number(new URL(summary.http).port);
  return {
    url: summary.url,
    http: summary.http,
    port,
    pid: child.pid ?? -1,
    output: () => output,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `INFO commandstats` as command → calls (lower case, e.g. "publish", "client|setname"). */
export function parseCommandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of info.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m !== null) out.set(m[1]!.toLowerCase(), Number(m[2]));
  }
  return out;
}

/** The calls made between two snapshots, per command (commands with no new calls left out). */
export function commandStatsDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [cmd, calls] of after) {
    const d = calls - (before.get(cmd) ?? 0);
    if (d !== 0) out.set(cmd, d);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Counts the script calls Redis runs (EVALSHA, and EVAL by the SHA-1 of its source), by script
 * SHA, through MONITOR on a plain TCP connection of its own to `endpoint` (no AUTH; `stop()`
 * closes it). Resolves once Redis has answered +OK, so every command after that is seen.
 * `INFO commandstats` cannot tell the ownership batch script from a certificate read script: this can.
 *
 * Not ioredis's `monitor()`: when a monitored line arrives in the same read as MONITOR's +OK (the
 * gateways' heartbeats keep Redis busy), ioredis takes it for a reply and fails with "Command queue
 * state error". Here each line after +OK is a monitored command, by construction.
 *
 * @throws when the connection fails or Redis answers MONITOR with anything but +OK.
 */
export async function watchScripts(endpoint: { readonly host: string; readonly port: number }): Promise<{ readonly calls: ReadonlyMap<string, number>; count(): number; stop(): void }> {
  const socket = connect({ host: endpoint.host, port: endpoint.port });
  socket.setEncoding("latin1"); // MONITOR escapes every byte outside printable ASCII
  const calls = new Map<string, number>();
  let pending = "";
  let started = false;
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf("\r\n"); end >= 0; end = pending.indexOf("\r\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!started) {
          if (line !== "+OK") {
            socket.destroy();
            reject(new Error(`MONITOR answered ${JSON.stringify(line.slice(0, 200))}, not +OK`));
            return;
          }
          started = true;
          socket.off("error", reject);
          socket.on("error", () => {}); // stop() may race a reset; the counts stay as they were
          resolve();
          continue;
        }
        const args = monitorArgs(line);
        const cmd = args[0]?.toString("latin1").toLowerCase();
        if ((cmd !== "evalsha" && cmd !== "eval") || args[1] === undefined) continue;
        // SHA-1 names a script (Redis's choice; no security use).
        const sha = cmd === "evalsha" ? args[1].toString("latin1") : createHash("sha1").update(args[1]).digest("hex");
        calls.set(sha, (calls.get(sha) ?? 0) + 1);
      }
    });
    socket.write("MONITOR\r\n");
  });
  return {
    calls,
    count: () => [...calls.values()].reduce((s, n) => s + n, 0),
    stop: () => socket.destroy(),
  };
}

const MONITOR_ESCAPES: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, a: 7, b: 8, "\\": 92, '"': 34 };

/**
 * The arguments of one MONITOR line (`+1700000000.123456 [0 127.0.0.1:5000] "evalsha" "ab…" …`),
 * each as the bytes the client sent: Redis quotes every argument and escapes \\, \", \n, \r, \t,
 * \a, \b and other bytes as \xHH. Exported for its test.
 */
export function monitorArgs(line: string): Buffer[] {
  const args: Buffer[] = [];
  let i = line.indexOf("] ");
  if (i < 0) return args;
  i += 2;
  while (i < line.length && line[i] === '"') {
    const bytes: number[] = [];
    for (i++; i < line.length && line[i] !== '"'; i++) {
      if (line[i] !== "\\") {
        bytes.push(line.charCodeAt(i) & 0xff);
        continue;
      }
      const e = line[++i] ?? "";
      if (e === "x") {
        bytes.push(parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(MONITOR_ESCAPES[e] ?? e.charCodeAt(0));
    }
    args.push(Buffer.from(bytes));
    i += 2; // the closing quote and the space
  }
  return args;
}

/** The commands that read certificate state (a login must make none of them). */
export const CERTIFICATE_READS: readonly string[] = ["get", "mget", "hget", "hgetall", "hmget", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "smembers", "sscan", "scan", "exists"];
