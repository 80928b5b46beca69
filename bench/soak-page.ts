/**
 * docs/soak.md, written from the JSON of one `npm run soak` run (bench/soak.ts writes the JSON
 * and, with `--doc`, this page). Every figure on the page is read from that JSON: the machine,
 * the settings, the thresholds, every sample, the verdict and the lanes' counts.
 *
 *   node dist/bench/soak-page.js --json FILE [--out docs/soak.md]     (re-render from a saved run)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { LatencySummary } from "../client/load/latency.js";
import type { OpCounts } from "../client/load/tally.js";
import type { SoakLimits, SoakSample, SoakVerdict } from "./soak-verdict.js";

/** One sample as the JSON keeps it: the verdict's fields plus the GC time and arrayBuffers. */
export interface SoakSampleJson extends SoakSample {
  /** Time the forced GC took, ms. */
  readonly gcMs: number;
  readonly arrayBuffers: number;
}

/** The JSON of a soak run (`--json FILE`). */
export interface SoakReport {
  readonly kind: "rtm-auth-soak";
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryBytes: number; readonly node: string; readonly platform: string; readonly loadAverage1m: number };
  readonly options: {
    readonly durationS: number;
    readonly sampleEveryS: number;
    readonly store: "memory" | "redis";
    readonly redisVersion: string | null;
    readonly seed: number;
    readonly churn: {
      readonly rate: number;
      readonly mix: string;
      readonly invalid: number;
      readonly holdS: number;
      readonly renewEveryS: number;
      readonly tokenTtlSeconds: number;
      readonly profile: string;
      readonly workers: number;
    };
    /** The lanes' settings (soak-lanes.ts LANE_SETTINGS). */
    readonly lanes: Readonly<Record<string, Readonly<Record<string, number>>>>;
    /** The fault rules the faults lane cycles through. */
    readonly faultRules: readonly unknown[];
    /** The misbehaving clients' settings (soak-abuse.ts ABUSE_SETTINGS). */
    readonly abuse: Readonly<Record<string, Readonly<Record<string, number>>>>;
    /** The gateway configuration given on top of gateway/config.ts's defaults. */
    readonly gatewayConfig: Readonly<Record<string, unknown>>;
    /** The gateway child was started with --expose-gc (heap figures after a forced GC). */
    readonly forcedGc: boolean;
  };
  readonly limits: SoakLimits;
  readonly samples: readonly SoakSampleJson[];
  readonly verdict: SoakVerdict;
  /** The load generator's churn over the whole run. */
  readonly churn: {
    readonly login: OpCounts;
    readonly renew: OpCounts;
    readonly logout: OpCounts;
    readonly closes: Readonly<Record<string, number>>;
    readonly serverCloses: Readonly<Record<string, number>>;
    readonly unexpected: number;
    readonly unexpectedBy: Readonly<Record<string, number>>;
    readonly skipped: number;
    readonly loginLatency: LatencySummary;
    readonly renewLatency: LatencySummary;
  } | null;
  /** Each lane's counters. */
  readonly lanes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Wall time of the whole run, seconds (setup and teardown included). */
  readonly wallS: number;
  /** Why the run ended early, or null. */
  readonly endedEarly: string | null;
}

const MIB = 2 ** 20;
const f = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const mib = (bytes: number): string => f(bytes / MIB, 1);

function table(head: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const align = head.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function counts(rec: Readonly<Record<string, number>>): string {
  const entries = Object.entries(rec);
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k}: ${f(v)}`).join(", ");
}

function refusals(o: OpCounts): string {
  const parts: string[] = [];
  for (const [reason, byCode] of Object.entries(o.refusedBy)) parts.push(`${reason} ${f(Object.values(byCode).reduce((s, n) => s + n, 0))}`);
  for (const [kind, n] of Object.entries(o.errorsBy)) parts.push(`${kind} ${f(n)}`);
  return parts.length === 0 ? "—" : parts.join(", ");
}

/** The page for one run. */
export function renderSoakPage(r: SoakReport): string {
  const o = r.options;
  const c = o.churn;
  const m = r.machine;
  const v = r.verdict;
  const L = r.limits;
  const lane = (name: string, key: string): string => f(o.lanes[name]?.[key] ?? null, 0);
  const abuse = (name: string, key: string): string => f(o.abuse[name]?.[key] ?? null, 0);
  const out: string[] = [
    "# Soak",
    "",
    "<!-- Written by `npm run soak -- --doc docs/soak.md` (bench/soak.ts, then bench/soak-page.ts) from the run's own JSON. Do not edit by hand: run it again. -->",
    "",
    `**Verdict: ${v.pass ? "PASS — flat" : "FAIL — growth or a failed check"}.** ${f(o.durationS / 60, 1)} min of mixed traffic against one gateway process (${o.store === "redis" ? `Redis store, redis-server ${o.redisVersion ?? "?"}` : "memory store"}), sampled every ${f(o.sampleEveryS)} s.${r.endedEarly === null ? "" : ` **The run ended early: ${r.endedEarly}.**`}`,
    "",
    `Measured on ${r.date.slice(0, 10)}: ${f(m.cpus)} CPUs (${m.cpuModel}), ${f(m.memoryBytes / 2 ** 30, 1)} GiB RAM, Node.js ${m.node}, ${m.platform}; load average ${f(m.loadAverage1m, 2)} at the start. The gateway, the load generator, ${o.store === "redis" ? "Redis " : ""}and the lanes shared this machine; everything ran on loopback. The whole run took ${f(r.wallS, 0)} s.`,
    "",
    "## Verdict",
    "",
    `Each growth check fits a least-squares line to one measure over the last ${f(L.windowFraction * 100)}% of the run (samples from ${f(v.window.fromS)} s to ${f(v.window.toS)} s, ${f(v.window.samples)} of them; the first part is warm-up) and fails when its slope is above the limit **and** the rise it predicts over that window is above the floor. A check with fewer than ${f(L.minWindowSamples)} samples in the window fails as too short to judge. The heap is measured after a forced full GC${o.forcedGc ? "" : " (**not available in this run: the figures are without one**)"}.`,
    "",
    table(
      ["check", "slope per minute", "rise over the window", "limit per minute", "floor", "result"],
      v.checks.map((ch) => [
        ch.name,
        ch.slopePerMinute === null ? "—" : `${f(ch.slopePerMinute, 2)} ${ch.unit}`,
        ch.rise === null ? "—" : `${f(ch.rise, 2)} ${ch.unit}`,
        ch.limit === null ? "—" : `${f(ch.limit.perMinute, 0)} ${ch.unit}`,
        ch.limit === null ? "—" : `${f(ch.limit.floor, 0)} ${ch.unit}`,
        `${ch.pass ? "pass" : "**fail**"}: ${ch.detail}`,
      ]),
      [1, 2, 3, 4],
    ),
    "",
    `"Load ran" asks every sample in the window to show the gateway answering (accepting or refusing) at least ${f(L.loadFloor * 100)}% of the churn's target rate, so that a flat line is not an idle or stuck gateway. \`npm run soak -- --check\` turns a failed verdict into exit status 1.`,
    "",
    "## Samples",
    "",
    `Every ${f(o.sampleEveryS)} s the gateway process reports, over IPC, its event-loop delay since the previous sample (\`perf_hooks.monitorEventLoopDelay\`, read before the GC), then runs a forced full GC and reports \`process.memoryUsage()\`; the soak counts its open descriptors in \`/proc/PID/fd\`. Logins/s: virtual users the load generator started (answered: accepted or refused) over the interval; lanes: the other lanes' logins. The forced GC stops the gateway for the time in the GC column at every sample, and the churn's latencies below include those pauses.`,
    "",
    table(
      ["t s", "RSS MiB", "heap used MiB", "heap total MiB", "external MiB", "fds", "connections", "sessions", "ELD p99 ms", "ELD max ms", "GC ms", "logins/s", "answered/s", "lanes/s"],
      r.samples.map((s) => [
        f(s.t),
        mib(s.rss),
        mib(s.heapUsed),
        mib(s.heapTotal),
        mib(s.external),
        f(s.fds),
        f(s.connections),
        f(s.sessions),
        f(s.eldP99Ms, 1),
        f(s.eldMaxMs, 1),
        f(s.gcMs, 0),
        f(s.loginsPerSec, 0),
        f(s.answeredPerSec, 0),
        f(s.laneLoginsPerSec, 1),
      ]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    ),
    "",
    "## What ran",
    "",
    `- **Churn** (the load generator, ${f(c.workers)} worker thread${c.workers === 1 ? "" : "s"}, raw sockets): ${f(c.rate)} arrivals/s, each connect → login → hold ${f(c.holdS, 1)} s renewing every ${f(c.renewEveryS, 1)} s (token logins) → logout → close; mix ${c.mix}, ${f(c.invalid * 100)}% deliberately invalid tokens; tokens minted locally, ${f(c.tokenTtlSeconds)} s lifetime; profile ${c.profile}.`,
    `- **Expiry**: a session every ${lane("expiry", "everyMs")} ms (at most ${lane("expiry", "maxAlive")} alive) on admin-minted 006 and 007 tokens living ${lane("expiry", "tokenSecondsMin")}–${lane("expiry", "tokenSecondsMax")} s, half rtm1 and half rtm2; they get \`tokenPrivilegeWillExpire\` and expire (close 4503), some renewing once on the warning. The simulated clock is advanced ${lane("expiry", "advanceSeconds")} s every ${lane("expiry", "advanceEveryMs")} ms.`,
    `- **Faults**: a fault rule added every ${lane("faults", "ruleEveryMs")} ms and removed ${lane("faults", "ruleLifeMs")} ms later unless its \`count\` or \`ttlSeconds\` ended it first, cycling through ${f(o.faultRules.length)} rules (delay, fail, never_reply, drop, kick on login, renew and logout); a login cycle every ${lane("faults", "everyMs")} ms (at most ${lane("faults", "maxAlive")} alive), App ID and 007 logins, a renew, a logout, client timeouts ${lane("faults", "clientTimeoutMs")} ms.`,
    `- **Certificates**: every ${lane("certificates", "stepEveryMs")} ms one step of enable secondary → swap → delete secondary, in a loop, while a token login (primary or secondary certificate) every ${lane("certificates", "everyMs")} ms holds up to ${lane("certificates", "holdMaxMs")} ms and logs out.`,
    `- **Misbehaving clients**: every ${abuse("abrupt", "everyMs")} ms a connection destroyed without a close frame (after its login reply, before it, or half-way through the upgrade request); every ${abuse("silent", "everyMs")} ms a connection that upgrades, then sends and reads nothing for ${abuse("silent", "holdMs")} ms, so that the gateway's close frame (login deadline) is never answered, then reads what came and records whether the gateway had released the socket; every ${abuse("nonReader", "everyMs")} ms (from ${abuse("nonReader", "firstAfterMs")} ms on) a logged-in client that stops reading and sends pings for ${abuse("nonReader", "burstMs")} ms, with at most ${abuse("nonReader", "maxUnsentBytes")} bytes queued on its own side.`,
    "",
    `Gateway configuration on top of the defaults of \`gateway/config.ts\`: ${Object.entries(o.gatewayConfig)
      .map(([k, val]) => `\`${k}=${String(val)}\``)
      .join(", ")}. Seed ${f(o.seed)}.`,
  ];
  if (r.churn !== null) {
    const ch = r.churn;
    out.push(
      "",
      "## Churn outcomes",
      "",
      table(
        ["operation", "attempts", "accepted", "refused", "errors", "refusals and errors by reason"],
        (
          [
            ["login", ch.login],
            ["renew", ch.renew],
            ["logout", ch.logout],
          ] as const
        ).map(([name, op]) => [name, f(op.attempts), f(op.accepted), f(op.refused), f(op.errors), refusals(op)]),
        [1, 2, 3, 4],
      ),
      "",
      `Login latency p50 ${f(ch.loginLatency.p50, 2)} ms, p99 ${f(ch.loginLatency.p99, 2)} ms (connect included); renew p50 ${f(ch.renewLatency.p50, 2)} ms, p99 ${f(ch.renewLatency.p99, 2)} ms. Close codes: ${counts(ch.closes)}; closes the gateway started: ${counts(ch.serverCloses)}. Unexpected outcomes: ${f(ch.unexpected)}${ch.unexpected > 0 ? ` (${counts(ch.unexpectedBy)})` : ""}. Arrivals skipped at the socket cap: ${f(ch.skipped)}.`,
    );
  }
  out.push("", "## Lane counts", "");
  out.push(
    table(
      ["lane", "counts over the run"],
      Object.entries(r.lanes).map(([name, rec]) => [name, counts(rec)]),
    ),
  );
  return `${out.join("\n")}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const usage = "usage: node dist/bench/soak-page.js --json FILE [--out docs/soak.md]";
  let values;
  try {
    values = parseArgs({ options: { json: { type: "string" }, out: { type: "string" } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.json === undefined) {
    console.error(usage);
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(values.json, "utf8")) as SoakReport;
  if (report.kind !== "rtm-auth-soak") {
    console.error(`${values.json}: not the JSON of npm run soak`);
    process.exit(2);
  }
  const out = values.out ?? "docs/soak.md";
  writeFileSync(out, renderSoakPage(report));
  console.log(`wrote ${out}`);
}
