/**
 * Writes docs/performance.md from the JSON files the benchmarks wrote into one directory
 * (bench-all.ts runs them: `npm run bench`). Every figure on the page is read from those files;
 * a benchmark that failed or did not run is named as such instead of a figure.
 *
 *   node dist/bench/performance-page.js --dir DIR [--out docs/performance.md]
 *
 * Files read (all optional): machine.json and steps.json (bench-all.ts), verify.json
 * (verify-bench), login.json (login-path-bench: the login path in one process), gateway.json (gateway-bench: throughput and idle memory at 10k sessions),
 * propagation.json (propagation-bench: Redis commands per login), capacity.json
 * (`rtm-auth load --find-capacity --json`, plus capacity-gateway.json: the gateway's CPU over the
 * search), cluster.json (cluster-memory-bench: 50k sessions over three gateways on one Redis).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ACHIEVED_RATE_FLOOR, ELU_CEILING, LAG_P99_CEILING_MS } from "../client/load/index.js";

// ---- the JSON shapes read (the parts used) ----

interface MachineJson {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly loadAverage1m: number;
}
interface StepJson {
  readonly name: string;
  readonly command: string;
  readonly code: number | null;
  readonly seconds: number;
}
interface VerifyJson {
  readonly cases: readonly { readonly name: string; readonly opsPerSec: number; readonly microsPerOp: number }[];
  readonly ratios: readonly { readonly name: string; readonly value: number; readonly pairedMedian: number; readonly target: number; readonly pass: boolean }[];
  /** Absolute bounds (the zlib bomb); absent from figures written before they existed. */
  readonly limits?: readonly { readonly name: string; readonly micros: number; readonly worstRoundMicros: number; readonly targetMicros: number; readonly pass: boolean }[];
}
interface LoginJson {
  readonly rounds: number;
  readonly cases: readonly { readonly name: string; readonly usPerLogin: number }[];
  readonly ratios: readonly { readonly name: string; readonly value: number }[];
}
interface ServerBest {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerCycle: number;
  readonly errors: number;
}
interface MemoryServer {
  readonly sessions: number;
  readonly opened: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly rssPerConnection: number;
  readonly heapPerConnection: number;
  /** Growth per connection of each V8 heap space (absent from older figures). */
  readonly spacesPerConnection?: Readonly<Record<string, { readonly committed: number; readonly used: number }>>;
  /** Growth per connection of resident mappings: the C allocator's heap, every other anonymous one (absent from older figures and off Linux). */
  readonly mappingsPerConnection?: { readonly brkHeap: number; readonly otherAnonymous: number };
}
interface GatewayJson {
  readonly options: { readonly concurrency: number; readonly durationS: number; readonly warmupS?: number; readonly rounds: number; readonly primeS?: number; readonly rate?: number };
  readonly throughput: {
    readonly bare: ServerBest;
    readonly gateway: ServerBest;
    readonly rateRatio: number;
    readonly cpuRatio: number;
    /** Absent from figures written before the Redis-mode and 006 rows existed. */
    readonly redis?: ServerBest | null;
    readonly redisOverMemoryCpuRatio?: number | null;
    readonly v006?: ServerBest | null;
    readonly v006CpuRatio?: number | null;
    /** Per round, gateway / bare CPU per cycle (absent from older figures). */
    readonly pairedCpuRatios?: readonly number[];
    readonly pairedRedisCpuRatios?: readonly number[];
    readonly pairedRedisOverMemoryCpuRatios?: readonly number[];
    /** With --spin: the spinning bare server, and the per-round excesses over bare (µs per cycle). */
    readonly spin?: (ServerBest & { readonly spinUs: number }) | null;
    readonly pairedSpinExcessUs?: readonly number[];
    readonly pairedGatewayExcessUs?: readonly number[];
    /** With --no-login: the gateway answering every frame without its login, its per-round ratios to bare, and the gateway's per-round excess over it (µs per cycle). */
    readonly noLogin?: ServerBest | null;
    readonly noLoginCpuRatio?: number | null;
    readonly pairedNoLoginCpuRatios?: readonly number[];
    readonly pairedLoginExcessUs?: readonly number[];
  } | null;
  readonly memory: { readonly sessions: number; readonly bare: MemoryServer; readonly gateway: MemoryServer; readonly ratio: number; readonly roundRatios?: readonly number[] } | null;
  readonly verdicts: readonly { readonly name: string; readonly value: number; readonly target: string; readonly pass: boolean }[];
}
interface PropagationJson {
  readonly propagation: { readonly count: number; readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number } } | null;
  readonly logins: {
    readonly logins: number;
    readonly accepted: number;
    readonly commands: Readonly<Record<string, number>>;
    readonly certificateReadsPerLogin: number;
    readonly commandsPerLogin: number;
    readonly commandsPerLoginWithoutPing: number;
  } | null;
}
interface CapacityStepJson {
  readonly rate: number;
  readonly repeat: number;
  readonly achievedRate: number;
  readonly answeredRate: number;
  readonly accepted: number;
  readonly refused: number;
  readonly errors: number;
  readonly unexpected: number;
  readonly loginP50: number | null;
  readonly loginP99: number | null;
  readonly generatorCpuCores: number;
  readonly pass: boolean;
  readonly thresholdsPass: boolean;
  readonly saturation: readonly string[];
  readonly thresholds: readonly { readonly threshold: string; readonly pass: boolean }[];
}
interface CapacityJson {
  readonly machine: { readonly cpus: number };
  readonly capacity: {
    readonly steps: readonly CapacityStepJson[];
    readonly highestPassingRate: number | null;
    readonly stoppedBecause: string;
    readonly thresholds: readonly string[];
    readonly report: { readonly options: { readonly mix: string; readonly invalid: number; readonly durationS: number; readonly profile: string; readonly workers: number }; readonly generator: { readonly engines: number } } | null;
  };
}
interface CapacityGatewayJson {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly args: readonly string[];
}
interface ClusterJson {
  readonly sessions: number;
  readonly gateways: number;
  readonly holders: number;
  readonly opened: number;
  readonly complete: boolean;
  readonly redisVersion: string;
  readonly perGateway: readonly { readonly sessions: number; readonly rssBefore: number; readonly rssAfter: number; readonly rssPerSession: number; readonly heapPerSession: number }[];
  readonly rssDelta: number;
  readonly rssPerSession: number;
  readonly redisUsedMemoryBefore: number;
  readonly redisUsedMemoryAfter: number;
}

// ---- formatting ----

const f = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const mib = (bytes: number): string => `${f(bytes / 2 ** 20, 1)} MiB`;
const gib = (bytes: number): string => `${f(bytes / 2 ** 30, 1)} GiB`;
const verdict = (pass: boolean): string => (pass ? "pass" : "**fail**");

function table(head: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const align = head.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function read<T>(dir: string, file: string): T | null {
  const path = join(dir, file);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** "not measured" text for a section whose JSON is missing. */
function missing(steps: readonly StepJson[], name: string): string {
  const s = steps.find((x) => x.name === name);
  return s === undefined ? `_Not measured: \`${name}\` did not run._` : `_Not measured: \`${s.command}\` exited with ${s.code ?? "a signal"} after ${f(s.seconds, 0)} s and wrote no figures._`;
}

// ---- sections ----

function verifySection(v: VerifyJson | null, steps: readonly StepJson[]): string {
  const out = ["## Token verification (`bench:verify`)", ""];
  if (v === null) return [...out, missing(steps, "verify")].join("\n");
  out.push("Time per verify against the cryptographic floor of its version (one HMAC for 006; base64, inflate and three HMACs for 007), and two active certificates against one (the token signed by the secondary: the worst case). Medians of interleaved rounds.", "");
  out.push(table(["ratio (time per op)", "value", "paired median", "target", ""], v.ratios.map((r) => [r.name, f(r.value, 2), f(r.pairedMedian, 2), `≤ ${f(r.target, 1)}`, verdict(r.pass)]), [1, 2]));
  out.push("", table(["case", "ops/s", "µs/op"], v.cases.map((c) => [c.name, f(c.opsPerSec), f(c.microsPerOp, 2)]), [1, 2]));
  const micros = (name: string): string => {
    const c = v.cases.find((x) => x.name === name);
    return c === undefined ? "?" : `${f(c.microsPerOp, 2)} µs`;
  };
  out.push(
    "",
    "### The 007 inflater",
    "",
    "007 bodies are inflated by pako (`core/token/codec/inflate-capped.ts`), zlib's own inflate state machine ported to JavaScript, in place of `zlib.inflateSync`. Every guarantee of docs/tokens.md, \"Decoding\", holds, because the code is zlib's: the output buffer is exactly the cap long and inflate runs once with Z_FINISH, so decoding stops when it is full (CPU capped, not just memory); the header and the Adler-32 are checked; input left after the end of the stream is refused. `test/unit/core/token/codec/inflate-capped.test.ts` holds it to zlib's verdicts on stored, fixed and dynamic blocks, every window and strategy, truncations, wrong checksums, trailing bytes, forged headers and bombs.",
    "",
    `Why pako and not zlib: per call it is faster (${micros("inflate 007 body, pako")} against ${micros("inflate 007 body, zlib")} for this token's body), and it builds no native zlib context per login: each \`inflateSync\` allocates and frees one, which churns native memory and leaves RSS behind under load. The one stream state is reset in place between tokens, keeping its two code tables as zlib does: pako's own reset allocates them again (5.6 KiB of zeroed memory outside the V8 heap per call), which cost several times the inflation itself. A bomb costs pako more than zlib (${micros("inflate bomb, pako")} against ${micros("inflate bomb, zlib")}: it produces the capped 8 KB in JavaScript) and stays far within its bound. Why not fflate: its \`Unzlib\` stream never checks the Adler-32, lets bytes after the stream pass, and inflates a whole pushed chunk before its data callback can stop it (a bomb's full megabytes), and \`unzlibSync\` with a preallocated output truncates silently and keeps decoding.`,
  );
  for (const l of v.limits ?? []) out.push("", `${l.name}: **${f(l.micros, 1)} µs** (slowest round ${f(l.worstRoundMicros, 1)} µs), target ≤ ${f(l.targetMicros, 0)} µs: ${verdict(l.pass)}.`);
  return out.join("\n");
}

function loginSection(l: LoginJson | null, steps: readonly StepJson[]): string {
  const out = ["## The login path in one process (`bench:login`)", ""];
  if (l === null) return [...out, missing(steps, "login")].join("\n");
  out.push(
    `CPU time per login of the session manager as a running gateway has it (parse, policies, 007 verify, state events and reply, timers, metrics, readiness, the decision journal), without sockets: open a connection on a recording transport, one login frame with a fresh 007 token, close. Interleaved rounds (${l.rounds}), median CPU µs per login; each chunk pays for its own minor GC.`,
    "",
  );
  out.push(table(["case", "CPU µs per login"], l.cases.map((c) => [c.name, f(c.usPerLogin, 2)]), [1]));
  out.push("", table(["ratio (paired per round, median)", "value"], l.ratios.map((r) => [r.name, f(r.value, 3)]), [1]));
  out.push("", "Target for the journal (issue 13): at its default size (JOURNAL_SIZE 10000) it costs at most 3 % of a login's server CPU in `bench:gateway`; the on / off ratio above is of the session manager's share of that CPU alone.");
  return out.join("\n");
}

function gatewaySection(g: GatewayJson | null, steps: readonly StepJson[]): string {
  const out = ["## Gateway login against a bare `ws` server (`bench:gateway`)", ""];
  if (g === null || g.throughput === null) return [...out, missing(steps, "gateway")].join("\n");
  const t = g.throughput;
  out.push(
    `${(g.options.rate ?? 0) > 0 ? `Open loop of ${g.options.rate} cycle starts/s per server, at most ${g.options.concurrency} in flight` : `Closed loop of ${g.options.concurrency} cycles in flight`} (connect → upgrade → one login frame with a fresh 007 token → reply → close), ${g.options.durationS} s measured per run${(g.options.warmupS ?? 0) > 0 ? ` after ${g.options.warmupS} s of cycles that are not measured` : ""}, ${g.options.rounds} rounds${(g.options.primeS ?? 0) > 0 ? ` after ${g.options.primeS} s of unmeasured cycles per server (the JIT's warm-up)` : ""}, each running the servers in the reverse order of the round before, each server in its own process. Each column gives that server's best figure over the rounds (highest rate, lowest CPU, lowest latency), so a row may mix rounds.`,
    "",
    "How to read it: on a shared machine, noise only ever adds CPU, so each server's best round is the estimate of its cost and the verdicts below are taken from the best rounds. The best-figure ratio divides two best figures that may come from different rounds, so it need not equal any round's ratio. The round-by-round ratios show how much the machine moved during the run: when their median sits well above the best-figure ratio, other work ran during most rounds; when it sits well below, one server had a single quiet round that the other did not (a bare round far cheaper than its others lowers every best ratio's denominator). Either way the run says little. One run is not a verdict: compare the same ratios over several runs, started on a machine that has been quiet for a minute or more (the 1-minute load average alone can hide a burst that just ended).",
    "",
  );
  out.push(
    table(
      ["server", "cycles/s", "p50 ms", "p99 ms", "server CPU µs/cycle"],
      [
        ["bare ws", f(t.bare.rate), f(t.bare.p50Ms, 2), f(t.bare.p99Ms, 2), f(t.bare.serverCpuUsPerCycle, 1)],
        ["gateway (007 login)", f(t.gateway.rate), f(t.gateway.p50Ms, 2), f(t.gateway.p99Ms, 2), f(t.gateway.serverCpuUsPerCycle, 1)],
        ...(t.redis == null ? [] : [["gateway, REDIS_URL set (007 login)", f(t.redis.rate), f(t.redis.p50Ms, 2), f(t.redis.p99Ms, 2), f(t.redis.serverCpuUsPerCycle, 1)]]),
        ...(t.v006 == null ? [] : [["gateway (006 login)", f(t.v006.rate), f(t.v006.p50Ms, 2), f(t.v006.p99Ms, 2), f(t.v006.serverCpuUsPerCycle, 1)]]),
        ...(t.noLogin == null ? [] : [["gateway without its login (`--no-login`)", f(t.noLogin.rate), f(t.noLogin.p50Ms, 2), f(t.noLogin.p99Ms, 2), f(t.noLogin.serverCpuUsPerCycle, 1)]]),
      ],
      [1, 2, 3, 4],
    ),
  );
  const extra: string[] = [];
  const perRound = (xs: readonly number[] | undefined): string => (xs === undefined || xs.length === 0 ? "" : `${xs.map((x) => f(x, 3)).join(", ")} (median ${f(middle(xs), 3)})`);
  if (t.redisOverMemoryCpuRatio != null) {
    const rounds = t.pairedRedisOverMemoryCpuRatios ?? [];
    extra.push(
      `CPU per login with REDIS_URL set / with the memory store: ${f(t.redisOverMemoryCpuRatio, 3)} (best rounds${rounds.length > 0 ? `; round by round ${perRound(rounds)}` : ""}). The aim is within 5 % (a login with REDIS_URL set should cost what it costs with the memory store), but this ratio of two gateways moves by far more than 5 % from one round to the next, so it is reported, not judged; the verdict is the Redis-mode row against bare below.`,
    );
  }
  if (t.v006CpuRatio != null) extra.push(`CPU per 006 login / per bare cycle: ${f(t.v006CpuRatio, 3)}.`);
  if (t.pairedCpuRatios !== undefined && t.pairedCpuRatios.length > 0) extra.push(`Gateway / bare CPU per cycle, round by round: ${perRound(t.pairedCpuRatios)}.`);
  if (t.pairedRedisCpuRatios !== undefined && t.pairedRedisCpuRatios.length > 0) extra.push(`With REDIS_URL set, round by round: ${perRound(t.pairedRedisCpuRatios)}.`);
  if (extra.length > 0) out.push("", extra.join(" "));
  const spin = t.spin;
  if (spin != null && t.pairedSpinExcessUs !== undefined && t.pairedSpinExcessUs.length > 0 && t.pairedGatewayExcessUs !== undefined) {
    const spinExcess = middle(t.pairedSpinExcessUs);
    const gatewayExcess = middle(t.pairedGatewayExcessUs);
    out.push(
      "",
      `Calibrating the closed loop (\`--spin ${f(spin.spinUs)}\`): a third server, the bare one busy for ${f(spin.spinUs)} µs of CPU before each reply (one per cycle), ran in the same rounds. It cost ${f(spinExcess, 1)} µs more per cycle than bare (median of rounds; ${t.pairedSpinExcessUs.map((x) => f(x, 1)).join(", ")}). ${amplification(spinExcess / spin.spinUs)} The gateway cost ${f(gatewayExcess, 1)} µs more per cycle than bare (its CPU per cycle less bare's, median of rounds). Read linearly through the same calibration, that is about ${f((gatewayExcess * spin.spinUs) / spinExcess, 0)} µs of extra work per login, ${f(((gatewayExcess * spin.spinUs) / spinExcess / t.bare.serverCpuUsPerCycle) * 100, 0)} % of a bare cycle: an estimate only, since the loop need not charge a small delay before the reply at the rate it charges 100 µs. The ratio in the table below is the measured one, before calibration.`,
    );
  }
  if (t.noLogin != null && t.noLoginCpuRatio != null && t.pairedLoginExcessUs !== undefined && t.pairedLoginExcessUs.length > 0) {
    out.push(
      "",
      `Where the gateway's excess goes (\`--no-login\`): one more server, the gateway with its session logic taken out, answered every frame with the bare server's reply through the gateway's own transport (upgrade, socket accounting, one write per reply, the closing handshake). Its CPU per cycle was ${f(t.noLoginCpuRatio, 3)}× bare's (best rounds; round by round ${perRound(t.pairedNoLoginCpuRatios)}). The gateway with its login cost ${f(middle(t.pairedLoginExcessUs), 1)} µs more per cycle than that (median of rounds; ${t.pairedLoginExcessUs.map((x) => f(x, 1)).join(", ")}): the login's own work, and what the closed loop charges for a reply that leaves later. The login's own CPU, measured in one process without sockets, is in the \`bench:login\` section above.`,
    );
  }
  out.push("", table(["ratio", "value", "target", ""], g.verdicts.filter((v) => !v.name.startsWith("RSS")).map((v) => [v.name, f(v.value, 3), v.target, verdict(v.pass)]), [1]));
  return out.join("\n");
}

function capacitySection(c: CapacityJson | null, gw: CapacityGatewayJson | null, m: MachineJson | null, steps: readonly StepJson[]): string {
  const out = ["## Capacity on this machine (`rtm-auth load --find-capacity`)", ""];
  if (c === null) return [...out, missing(steps, "capacity")].join("\n");
  const cap = c.capacity;
  const o = cap.report?.options;
  const refineAt = gw?.args.indexOf("--refine") ?? -1;
  const refine = refineAt >= 0 ? (gw?.args[refineAt + 1] ?? "?") : "the default number of";
  const why: Record<string, string> = {
    threshold: "a step failed a threshold, on its repeat too",
    generator_saturated: "the generator could not keep up at a higher step, so the gateway's capacity is at least this",
    max_steps: "the step limit was reached",
    max_rate: "the rate limit was reached",
    stopped: "it was interrupted",
  };
  out.push(
    `**${cap.highestPassingRate === null ? "No passing rate" : `${f(cap.highestPassingRate)} logins/s`}** on ${c.machine.cpus} CPUs${m === null ? "" : ` (${m.cpuModel})`}, with the gateway (one process, memory store) and the load generator (${cap.report?.generator.engines ?? "?"} worker thread${cap.report?.generator.engines === 1 ? "" : "s"}) sharing them. The search stopped because ${why[cap.stoppedBecause] ?? cap.stoppedBecause}.`,
    "",
  );
  out.push(
    `Each step: ${o === undefined ? "?" : `${o.durationS} s`} of arrivals at the target rate, each user connect → login (${o?.profile ?? "?"}) → logout → close; mix ${o?.mix ?? "?"}, ${o === undefined ? "?" : f(o.invalid * 100, 0)}% invalid tokens (expected refusals). Thresholds: ${cap.thresholds.map((t) => `\`${t}\``).join(", ")}; a failing step is run once more before it counts, and after the climb ${refine} bisection step${refine === "1" ? "" : "s"} between the highest passing and the failing rate narrow the answer. A step passes when every threshold holds and the generator kept up (at least ${ACHIEVED_RATE_FLOOR * 100}% of the target rate started, arrivals no more than ${LAG_P99_CEILING_MS} ms late at p99, no generator thread busier than ${ELU_CEILING * 100}%).`,
    "",
  );
  out.push(
    table(
      ["target/s", "started/s", "answered/s", "accepted", "refused", "errors", "unexpected", "p50 ms", "p99 ms", "generator cores", "step"],
      cap.steps.map((s) => [
        `${f(s.rate)}${s.repeat > 0 ? " (again)" : ""}`,
        f(s.achievedRate),
        f(s.answeredRate),
        f(s.accepted),
        f(s.refused),
        f(s.errors),
        f(s.unexpected),
        f(s.loginP50, 2),
        f(s.loginP99, 2),
        f(s.generatorCpuCores, 2),
        s.pass ? "pass" : s.thresholdsPass ? `**fail**: ${s.saturation.join("; ")}` : `**fail**: ${s.thresholds.filter((t) => !t.pass).map((t) => `\`${t.threshold}\``).join(", ")}`,
      ]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ),
  );
  if (gw !== null) out.push("", `The gateway process used ${f(gw.cpuSeconds, 1)} s of CPU over the ${f(gw.wallSeconds, 0)} s of the search (its own \`process_cpu_seconds_total\`).`);
  return out.join("\n");
}

function memorySection(g: GatewayJson | null, cl: ClusterJson | null, steps: readonly StepJson[]): string {
  const out = ["## Idle-session memory", ""];
  out.push(`### ${g?.memory ? f(g.memory.sessions) : "10,000"} sessions on one gateway (\`bench:gateway\`)`, "");
  if (g === null || g.memory === null) out.push(missing(steps, "gateway"));
  else {
    const mem = g.memory;
    out.push("Logged-in idle sessions (007 tokens) held open against one gateway process, and as many idle connections against a bare `ws` server; RSS after gc() and a settle delay, before and after.", "");
    out.push(
      table(
        ["server", "connections", "RSS before", "RSS after", "RSS per connection", "V8 heap used per connection"],
        [
          ["bare ws", f(mem.bare.opened), mib(mem.bare.rssBefore), mib(mem.bare.rssAfter), `${f(mem.bare.rssPerConnection)} B`, `${f(mem.bare.heapPerConnection)} B`],
          ["gateway session", f(mem.gateway.opened), mib(mem.gateway.rssBefore), mib(mem.gateway.rssAfter), `${f(mem.gateway.rssPerConnection)} B`, `${f(mem.gateway.heapPerConnection)} B`],
        ],
        [1, 2, 3, 4, 5],
      ),
    );
    const v = g.verdicts.find((x) => x.name.startsWith("RSS"));
    const rounds = mem.roundRatios ?? [mem.ratio];
    const median = rounds.length > 1 ? `, the median of ${rounds.length} rounds of fresh server processes (${rounds.map((r) => f(r, 3)).join(", ")}; the table shows the median round)` : "";
    out.push("", `RSS per idle session / per bare connection: **${f(mem.ratio, 3)}**${median}${v === undefined ? "" : ` (target ${v.target}: ${verdict(v.pass)})`}.`);
    const bs = mem.bare.spacesPerConnection;
    const gs = mem.gateway.spacesPerConnection;
    if (bs !== undefined && gs !== undefined) {
      const names = [...new Set([...Object.keys(bs), ...Object.keys(gs)])].sort();
      const cell = (x: { committed: number; used: number } | undefined): string => (x === undefined ? "0 B (0 B)" : `${f(x.committed)} B (${f(x.used)} B)`);
      const committed = (m: MemoryServer, xs: Readonly<Record<string, { committed: number }>>): number => m.rssPerConnection - Object.values(xs).reduce((a, x) => a + x.committed, 0);
      out.push(
        "",
        "Where each connection's memory lives: the growth of each V8 heap space, committed (used), and what RSS grew by beyond the V8 heap (native memory: sockets, buffers, allocator).",
        "",
        table(
          ["server", ...names.map((n) => `${n} space`), "outside the V8 heap"],
          [
            ["bare ws", ...names.map((n) => cell(bs[n])), `${f(committed(mem.bare, bs))} B`],
            ["gateway session", ...names.map((n) => cell(gs[n])), `${f(committed(mem.gateway, gs))} B`],
          ],
          names.map((_, i) => i + 1).concat(names.length + 1),
        ),
      );
    }
    const bm = mem.bare.mappingsPerConnection;
    const gm = mem.gateway.mappingsPerConnection;
    if (bm !== undefined && gm !== undefined) {
      out.push(
        "",
        "The same growth by resident mapping (Linux `/proc/self/smaps`): the C allocator's heap (`[heap]`: sockets' native state, small native buffers) and every other anonymous mapping (V8's heap pages, the allocator's large blocks).",
        "",
        table(
          ["server", "C allocator heap", "other anonymous mappings"],
          [
            ["bare ws", `${f(bm.brkHeap)} B`, `${f(bm.otherAnonymous)} B`],
            ["gateway session", `${f(gm.brkHeap)} B`, `${f(gm.otherAnonymous)} B`],
          ],
          [1, 2],
        ),
      );
    }
  }
  out.push("", `### ${cl === null ? "50,000" : f(cl.sessions)} sessions over ${cl === null ? "three" : cl.gateways} gateways sharing one Redis (\`cluster-memory-bench\`)`, "");
  if (cl === null) out.push(missing(steps, "cluster"));
  else {
    out.push(
      `${f(cl.opened)} of ${f(cl.sessions)} sessions logged in with 007 tokens and held by ${cl.holders} holder processes (each under the open-file limit of one process), round-robin over ${cl.gateways} \`rtm-auth serve\` processes on one redis-server ${cl.redisVersion}; each gateway's RSS from its own \`/metrics\`, after a warm-up and a settle delay, before and after.${cl.complete ? "" : " **Not every session was held: the figures are incomplete.**"}`,
      "",
    );
    out.push(
      table(
        ["gateway", "sessions", "RSS before", "RSS after", "RSS per session", "V8 heap per session"],
        cl.perGateway.map((p, i) => [String(i + 1), f(p.sessions), mib(p.rssBefore), mib(p.rssAfter), `${f(p.rssPerSession)} B`, `${f(p.heapPerSession)} B`]),
        [1, 2, 3, 4, 5],
      ),
    );
    out.push("", `All gateways: +${mib(cl.rssDelta)} for ${f(cl.perGateway.reduce((s, p) => s + p.sessions, 0))} sessions, **${f(cl.rssPerSession)} B per session**. Redis used_memory ${mib(cl.redisUsedMemoryBefore)} → ${mib(cl.redisUsedMemoryAfter)}: the sessions live in the gateways; Redis holds one small ownership record per session (docs/redis.md, "Session ownership").`);
  }
  return out.join("\n");
}

function redisSection(p: PropagationJson | null, steps: readonly StepJson[]): string {
  const out = ["## Redis commands per login (`bench:propagation`)", ""];
  if (p === null || p.logins === null) return [...out, missing(steps, "propagation")].join("\n");
  const l = p.logins;
  out.push(`${f(l.accepted)} of ${f(l.logins)} logins (fresh connection, own uid, 007 token) on one of two gateways sharing one Redis; \`INFO commandstats\` deltas over the run.`, "");
  out.push(
    table(
      ["command", "calls", "per login"],
      Object.entries(l.commands).map(([cmd, n]) => [cmd.toUpperCase(), f(n), f(n / l.logins, 3)]),
      [1, 2],
    ),
  );
  out.push("", `Commands per login: **${f(l.commandsPerLogin, 3)}** (${f(l.commandsPerLoginWithoutPing, 3)} without heartbeat PINGs); certificate reads per login: **${f(l.certificateReadsPerLogin, 3)}** (logins verify against the in-process copy).`);
  if (p.propagation !== null) out.push("", `A certificate change on one gateway reached the other in p50 ${f(p.propagation.lagMs.p50, 2)} ms, p99 ${f(p.propagation.lagMs.p99, 2)} ms, max ${f(p.propagation.lagMs.max, 2)} ms over ${f(p.propagation.count)} changes.`);
  return out.join("\n");
}

/** The page for the JSON files in `dir`. */
export function renderPerformancePage(dir: string): string {
  const machine = read<MachineJson>(dir, "machine.json");
  const steps = read<StepJson[]>(dir, "steps.json") ?? [];
  const gateway = read<GatewayJson>(dir, "gateway.json");
  const total = steps.reduce((s, x) => s + x.seconds, 0);
  const head = [
    "# Performance",
    "",
    "<!-- Written by `npm run bench` (bench/bench-all.ts, then bench/performance-page.ts) from the JSON the benchmarks wrote. Do not edit by hand: run it again. -->",
    "",
    "Every figure on this page was measured by `npm run bench` and is read from the JSON files the benchmarks wrote; rerun it to refresh the page on another machine.",
    "",
    machine === null
      ? "_Machine not recorded._"
      : `Measured on ${machine.date.slice(0, 10)}: ${machine.cpus} CPUs (${machine.cpuModel}), ${gib(machine.memoryBytes)} RAM, Node.js ${machine.node}, ${machine.platform}; load average ${f(machine.loadAverage1m, 2)} at the start; the whole run took ${f(total / 60, 1)} min. The benchmarks ran one after another, with the gateways, load generators and Redis on this one machine.`,
  ];
  if (steps.length > 0) {
    head.push("", table(["step", "command", "exit", "seconds"], steps.map((s) => [s.name, `\`${s.command}\``, String(s.code ?? "signal"), f(s.seconds, 0)]), [2, 3]));
  }
  return `${[
    head.join("\n"),
    verifySection(read<VerifyJson>(dir, "verify.json"), steps),
    loginSection(read<LoginJson>(dir, "login.json"), steps),
    gatewaySection(gateway, steps),
    capacitySection(read<CapacityJson>(dir, "capacity.json"), read<CapacityGatewayJson>(dir, "capacity-gateway.json"), machine, steps),
    memorySection(gateway, read<ClusterJson>(dir, "cluster.json"), steps),
    redisSection(read<PropagationJson>(dir, "propagation.json"), steps),
  ].join("\n\n")}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let values;
  try {
    values = parseArgs({ options: { dir: { type: "string" }, out: { type: "string" } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: node dist/bench/performance-page.js --dir DIR [--out docs/performance.md]`);
    process.exit(2);
  }
  if (values.dir === undefined) {
    console.error("usage: node dist/bench/performance-page.js --dir DIR [--out docs/performance.md]");
    process.exit(2);
  }
  const out = values.out ?? "docs/performance.md";
  writeFileSync(out, renderPerformancePage(values.dir));
  console.log(`wrote ${out}`);
}

/** The median of `xs` (not empty). */
function middle(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** What the calibration's ratio (measured excess / added work) says about this run's closed loop. */
function amplification(r: number): string {
  if (r > 1.1) {
    return `In this run the loop charged a slower server ${f(r, 2)}× its own extra work: it keeps the load process waiting longer, and on this machine each wake-up of a waiting process costs the sender more in the kernel. The figure moves from run to run with the machine's load.`;
  }
  if (r < 0.9) return `In this run that is less than the work added (${f(r, 2)}×); the figure moves from run to run with the machine's load.`;
  return `In this run the loop charged a slower server about its own extra work (${f(r, 2)}×). The ratio moves from run to run with the machine's load: when each wake-up of a waiting load process costs the sender more in the kernel, a slower server pays more than its own extra work.`;
}
