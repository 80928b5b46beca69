/**
 * `rtm-auth load --processes 3` holding 40,000 logged-in sessions at once (issue 15): more than
 * one process can hold (the open-file limit here is 20,000 per process), against three
 * `rtm-auth serve` processes (one gateway holds at most about as many), each with the memory
 * store and the same token project (POST /admin/populate). The run is the closed model: 40,000
 * users started over at least 20 s with `--ramp-up` (one process per gateway: `--url` three
 * times), each holding until the arrivals end at 35 s (room for a machine slower than the ramp). The one merged report must count 40,000 logins accepted, none
 * refused, no error, nothing unexpected, and a peak of 40,000 sessions held at once; each
 * gateway's own `rtm_auth_attempts_total` says it took its third.
 *
 * Heavy: it runs in the "serial" group (vitest.config.ts), alone on the machine; bounded by the
 * CLI's own timeouts and a kill after 120 s.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../../bench/gateway-process.js";
import type { LoadReport } from "../../client/load/index.js";
import { ensureBuilt, runLoad } from "./load-cli.js";

const SESSIONS = 40_000;
const GATEWAYS = 3;
const APP_ID = "4040404040404040404040404040400a";
const CERTIFICATE = "c40c40c40c40c40c40c40c40c40c40c4";

let gateways: GatewayProcess[] = [];
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "rtm-load-40k-"));
  const env = { JOURNAL_SIZE: "0", LOG_LEVEL: "warn", MAX_CONNECTIONS: "19500" };
  gateways = await Promise.all(Array.from({ length: GATEWAYS }, (_, i) => startGatewayProcess({ name: `gateway ${i + 1}`, env })));
  for (const g of gateways) {
    const res = await fetch(`${g.http}/admin/populate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ projects: [{ appId: APP_ID, mode: "token", primary: CERTIFICATE }] }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Accepted logins in `g`'s own metrics. */
async function acceptedLogins(g: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${g.http}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^rtm_auth_attempts_total\{([^}]*)\} (\S+)$/gm)) {
    if (m[1]!.includes('op="login"') && m[1]!.includes('result="accepted"')) sum += Number(m[2]);
  }
  return sum;
}

it(
  "40,000 sessions held at once by 3 load processes over 3 gateway processes: one merged report, 0 errors",
  async () => {
    const file = join(dir, "report.json");
    const before = await Promise.all(gateways.map(acceptedLogins));
    const run = await runLoad(
      [
        ...gateways.flatMap((g) => ["--url", g.url]),
        "--app-id", APP_ID,
        "--certificate", CERTIFICATE,
        "--processes", "3",
        "--concurrency", String(SESSIONS),
        "--ramp-up", "20s",
        "--duration", "35s",
        "--hold", "1h",
        "--timeout", "30s",
        "--json", file,
      ],
      120_000,
    );
    const after = await Promise.all(gateways.map(acceptedLogins));
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);
    const report = JSON.parse(readFileSync(file, "utf8")) as LoadReport;

    expect(report.generator.processes).toBe(3);
    expect(report.generator.engines).toBe(3);
    expect(report.options.processes).toBe(3);
    expect(report.target.urls).toEqual(gateways.map((g) => g.url));
    const why = JSON.stringify({ login: report.login, generator: report.generator, run: report.run });
    expect(report.login, why).toMatchObject({ attempts: SESSIONS, accepted: SESSIONS, refused: 0, errors: 0 });
    expect(report.renew.errors + report.logout.errors).toBe(0);
    expect(report.unexpected).toEqual({ total: 0, by: {} });
    expect(report.logout.accepted).toBe(SESSIONS);
    // Held at once: some interval ended with every one of them logged in.
    expect(Math.max(...report.timeline.map((p) => p.sessions)), why).toBe(SESSIONS);
    // The merged histograms hold every login of every process.
    expect(report.latency.login.count).toBe(SESSIONS);
    expect(report.timeline.reduce((s, p) => s + p.accepted, 0)).toBe(SESSIONS);

    // Each process dialled its own gateway: a third each, as the gateways counted them.
    const taken = after.map((a, i) => a - before[i]!);
    expect(taken.reduce((s, n) => s + n, 0)).toBe(SESSIONS);
    for (const n of taken) expect(n).toBeGreaterThanOrEqual(Math.floor(SESSIONS / GATEWAYS));
  },
  150_000,
);
