/**
 * Helpers of the load-generator tests: a gateway in the test process (real clock, dev seed, port
 * 0 on 127.0.0.1), the `rtm-auth load` CLI spawned as a user runs it (asynchronously: the gateway
 * shares this event loop), and the `rtm_auth_attempts_total` counters of `GET /metrics`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import type { LoadReport } from "../../client/load/index.js";
import { startGateway, type Gateway } from "../../gateway/main.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;

/** The dev seed's project that takes App ID and token logins. */
export const EITHER = DEV_PROJECTS.find((p) => p.mode === "either")!;

/** A gateway on 127.0.0.1:0 with the dev seed, silent. */
export async function startTestGateway(): Promise<Gateway> {
  return startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true } });
}

/** The arguments every run against `gw` shares: the URL, the either project and its certificate. */
export function targetArgs(gw: Gateway): string[] {
  return ["--url", gw.url, "--app-id", EITHER.appId, "--certificate", EITHER.certificate!];
}

/** Builds dist/ when it is missing (npm test builds it first; a bare `vitest run` may not have). */
export function ensureBuilt(): void {
  if (!existsSync(new URL("../../dist/gateway/cli/load-command.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rtm-auth load ARGS` and resolves when it exits (killed after `timeoutMs`). */
export function runLoad(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "load", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `rtm_auth_attempts_total` samples as "op result reason" → value (summed over the other labels). */
export async function attemptCounters(gw: Gateway): Promise<Map<string, number>> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^rtm_auth_attempts_total\{(.*)\} (\S+)$/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const key = `${labels["op"]} ${labels["result"]} ${labels["reason"]}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** after − before, per key, leaving out zeros. */
export function delta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

/** The report's counts in the metrics' terms: "op result reason" → count. */
export function reportCounts(r: LoadReport): Map<string, number> {
  const out = new Map<string, number>();
  const ops = [
    ["login", r.login],
    ["renewToken", r.renew],
    ["logout", r.logout],
  ] as const;
  for (const [op, c] of ops) {
    if (c.accepted > 0) out.set(`${op} accepted ok`, c.accepted);
    for (const [reason, codes] of Object.entries(c.refusedBy)) out.set(`${op} refused ${reason}`, Object.values(codes).reduce((s, n) => s + n, 0));
  }
  return out;
}
