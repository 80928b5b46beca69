/**
 * `artillery run` of the shipped example (examples/artillery/login-flow.yml) with the rtm-auth
 * engine, against a gateway on 127.0.0.1 (dev seed, a free port): Artillery's own counters, read
 * from its `--output` JSON report, equal the deltas of the gateway's `rtm_auth_attempts_total` over
 * the run — logins accepted and refused by reason (the example's expired and wrong-certificate
 * scenarios are refused on purpose), renewals, logouts — and carry the wire codes and latency
 * histograms Artillery's built-in ws engine cannot report.
 *
 * Artillery 2.0.21 is installed by test/support/artillery.ts into a cache directory (a cold
 * install takes about 2 minutes; later runs reuse it). Where npm cannot install it the file is
 * skipped with the reason, except with CI=true, where it fails.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../gateway/main.js";
import { artilleryRunner, EXAMPLES, type ArtilleryRunner } from "../support/artillery.js";
import { attemptCounters, delta, ensureBuilt, startTestGateway } from "./load-cli.js";

interface ArtilleryReport {
  readonly aggregate: {
    readonly counters: Readonly<Record<string, number>>;
    readonly summaries: Readonly<Record<string, { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number }>>;
  };
}

let runner: ArtilleryRunner | null = null;
let unavailable: string | null = null;
let gw: Gateway;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  try {
    runner = await artilleryRunner();
  } catch (err) {
    unavailable = (err as Error).message;
    if (process.env.CI === "true") throw new Error(`Artillery is required in CI (CI=true) and could not be installed: ${unavailable}`);
    console.warn(`[artillery] skipping the Artillery run: ${unavailable}`);
  }
  gw = await startTestGateway();
  dir = mkdtempSync(join(tmpdir(), "rtm-artillery-"));
}, 900_000);

afterAll(async () => {
  await gw?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs `artillery ARGS` from the runner's directory; resolves with its exit code and output. */
function artillery(r: ArtilleryRunner, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [r.bin, ...args], {
      cwd: r.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: "true", ARTILLERY_NO_UPDATE_CHECK: "true" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Artillery's counters in the gateway's terms: "op result reason" → count. */
function asAttempts(counters: Readonly<Record<string, number>>): Map<string, number> {
  const out = new Map<string, number>();
  const ops = { login: "login", renew: "renewToken", logout: "logout" } as const;
  for (const [name, value] of Object.entries(counters)) {
    const m = /^rtm_auth\.(login|renew|logout)\.(accepted|refused\.([a-z_]+))$/.exec(name);
    if (m === null || value === 0) continue;
    out.set(m[2] === "accepted" ? `${ops[m[1] as keyof typeof ops]} accepted ok` : `${ops[m[1] as keyof typeof ops]} refused ${m[3]}`, value);
  }
  return out;
}

describe("artillery run with artillery-engine-rtm-auth", () => {
  it("the example's counters equal the gateway's /metrics deltas: logins by result and reason, renewals, logouts", async (ctx) => {
    if (runner === null) ctx.skip(`Artillery unavailable: ${unavailable}`);
    const report = join(dir, "report.json");
    const before = await attemptCounters(gw);
    const run = await artillery(runner!, ["run", "--target", gw.url, "--output", report, join(EXAMPLES, "login-flow.yml")]);
    const after = await attemptCounters(gw);
    expect(run.code, run.output.slice(-3_000)).toBe(0);
    expect(run.output).not.toContain("could not be loaded");
    const { counters, summaries } = (JSON.parse(readFileSync(report, "utf8")) as ArtilleryReport).aggregate;

    // 5 s at 10 arrivals/s: 50 users, every one completed as its scenario expects.
    expect(counters["vusers.created"]).toBe(50);
    expect(counters["vusers.completed"]).toBe(50);
    expect(counters["vusers.failed"] ?? 0).toBe(0);
    expect(counters["rtm_auth.unexpected"]).toBeUndefined();
    expect(Object.keys(counters).filter((k) => k.startsWith("errors."))).toEqual([]);
    expect(counters["rtm_auth.login.attempts"]).toBe(50);

    // The refused scenarios: expired tokens (token_expired, rtm1 code 6) and a wrong certificate
    // (invalid_signature, code 5), with the wire code of each refusal.
    const expired = counters["rtm_auth.login.refused.token_expired"] ?? 0;
    const wrongCertificate = counters["rtm_auth.login.refused.invalid_signature"] ?? 0;
    expect(expired).toBe(counters["vusers.created_by_name.token server sends expired tokens"] ?? 0);
    expect(wrongCertificate).toBe(counters["vusers.created_by_name.token signed with the wrong certificate"] ?? 0);
    expect(expired + wrongCertificate).toBeGreaterThan(0);
    expect(counters["rtm_auth.login.codes.6"] ?? 0).toBe(expired);
    expect(counters["rtm_auth.login.codes.5"] ?? 0).toBe(wrongCertificate);
    expect(counters["rtm_auth.login.refused"]).toBe(expired + wrongCertificate);

    // The gateway counted exactly what Artillery counted.
    expect(delta(before, after)).toEqual(asAttempts(counters));

    // Latency histograms: every answered login and renewal, every logout.
    expect(summaries["rtm_auth.login.response_time"]?.count).toBe(counters["rtm_auth.login.attempts"]);
    expect(summaries["rtm_auth.renew.response_time"]?.count).toBe(counters["rtm_auth.renew.attempts"]);
    expect(summaries["rtm_auth.logout.response_time"]?.count).toBe(counters["rtm_auth.logout.attempts"]);
    expect(summaries["rtm_auth.connect.response_time"]?.count).toBeGreaterThan(0);
    expect(summaries["rtm_auth.login.response_time"]!.max).toBeGreaterThan(0);
  }, 200_000);
});
