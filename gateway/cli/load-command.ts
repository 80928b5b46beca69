/**
 * `rtm-auth load`: the authentication load generator (client/load). Parses and checks the
 * options, checks that the target answers a WebSocket upgrade (client/load/probe.ts, the reader
 * `rtm-auth login` uses too), runs one fixed-load phase or a capacity search, shows a progress
 * line on a terminal, prints the report, writes `--json` / `--html`, and turns the outcome into
 * the exit code (the EXIT lines of the help below): a run where no login got the answer it was
 * sent for fails even without `--threshold`.
 */
import { lookup } from "node:dns/promises";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { PROFILES, type Profile } from "../../core/protocol/wire.js";
import {
  buildReport,
  DEFAULT_MIX,
  findCapacity,
  formatReport,
  LoadDriver,
  LoadOptionError,
  loadPopulation,
  PopulationError,
  parseDuration,
  parseMix,
  parseThreshold,
  renderHtmlReport,
  type CapacityResult,
  type CapacityStep,
  type DriverOptions,
  type LoadReport,
  type Minting,
  type Mix,
  type Population,
  type Progress,
  type ReportOptions,
  type Threshold,
} from "../../client/load/index.js";
import { describeConnectionFailure, probeWebSocket } from "../../client/load/probe.js";
import { MAX_PROCESSES, startProcessDriver } from "../../client/load/process-hosts.js";
import type { WsTarget } from "../../client/load/ws-frames.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";

const DEFAULT_WORKERS = Math.max(1, Math.min(8, os.availableParallelism() - 1));
/** The open-file limit here is 20000 per process; leave room for everything else. */
const DEFAULT_MAX_SOCKETS = 19_000;
const DEFAULT_CAPACITY_THRESHOLDS = ["p99<100ms", "unexpected==0"];

const HELP = `Usage: rtm-auth load --url ws://HOST:PORT/rtm --app-id A (--certificate C | --admin-url http://HOST:PORT)
                     [--rate N | --concurrency C] [--duration 30s] [--processes N] [options]

Runs virtual users against a gateway: each connects, logs in, optionally stays logged in (renewing its
token), logs out and closes. Reports every outcome by reason and code, close codes, and login/renew
latency (p50/p90/p99/max), and says whether the generator itself kept up.

Target:
  --url U              the gateway's WebSocket endpoint; repeat it to spread the run over several gateways:
                       the engines (processes × worker threads) are dealt to the URLs in turn, so their
                       number must be a multiple of the number of URLs (each gateway gets the same share)
Load:
  --rate N             open model (default): N new users per second (default 100)
  --concurrency C      closed model: C users at a time, each replaced when it finishes
  --ramp-up D          closed model: start the C users evenly over D (default 0s: all at once; thousands
                       of connects at one instant overflow the gateway's accept queue)
  --duration D         how long users arrive (default 30s; 500ms, 2m, … accepted); holding users log
                       out when it ends
  --hold D             stay logged in D after a login (default 0s)
  --renew-every D      renew the token every D while holding (token logins; default never)
  --mix M              credential shares (default token007:1), e.g. token007:0.8,token006:0.1,appid:0.1
                       (appid = no token: the project must allow App ID logins)
  --invalid F          share of users sending a token signed with a wrong certificate (default 0); they
                       are expected to be refused with invalid_signature
  --population FILE    draw each user from the cohorts of a population file instead (docs/population.md):
                       its credential, token bug, hold and renewal; uids NAME-0 … of each cohort, never
                       two sessions of one uid; a per-cohort breakdown in the report. Not with --mix,
                       --invalid, --hold, --renew-every or --token-ttl (the file says them per cohort)
  --profile P          rtm1 (default) or rtm2
  --seed S             seed of the draws (credential, invalid; with --population: cohort, uid); default
                       random, printed in the report
Tokens:
  --certificate C      mint tokens locally with the project's certificate ("-" reads it from stdin)
  --admin-url U        mint them with the gateway's admin API (POST /admin/tokens) instead
  --admin-token T      bearer JWT for an admin API that requires one (or RTM_AUTH_ADMIN_TOKEN)
  --token-ttl S        token lifetime in seconds (default 3600)
Generator:
  --processes N        spread the run over N child processes (1 to ${MAX_PROCESSES}; default 1: this process): each
                       gets its share of the rate, users and population and its own socket budget
                       (--max-sockets each); one merged report. A child that dies fails the run (exit 2)
  --workers N          worker threads (default ${DEFAULT_WORKERS} here; 0 = the main thread); with --processes: per
                       process, default 0 (each child runs one engine on its main thread)
  --timeout D          longest wait for a reply, the connect included (default 10s)
  --max-sockets N      most sockets one process holds (default ${DEFAULT_MAX_SOCKETS}; more arrivals are
                       skipped and reported: --processes for larger loads)
Report:
  --threshold EXPR     a pass condition, repeatable: METRIC OP VALUE, e.g. 'p99<50ms', 'unexpected==0',
                       'rate>=950', 'errors<1%', 'refused{invalid_signature}>0', 'renew.p99<20ms'
                       metrics: p50 p90 p99 max (login; renew./connect. prefixes), rate, attempts,
                       accepted, refused, errors, unexpected, refused{REASON}; ops < <= > >= == !=
  --json FILE          write the report as JSON ("-": print it instead of the text report)
  --html FILE          write a self-contained HTML report (charts of latency and outcomes over time)
  --quiet              no progress line (it is shown on a terminal only, on stderr)
Capacity:
  --find-capacity      step the rate up from --rate (×--step-factor, default 1.5) for --step-duration
                       (default 5s) each, until a threshold fails or the generator saturates; report
                       the highest passing rate (thresholds default: ${DEFAULT_CAPACITY_THRESHOLDS.join(", ")});
                       a failing step is run once more before it counts
  --refine N           then N bisection steps between the last passing and the failing rate (default 2)
  --max-steps N        at most N runs in all (default 20)
  --max-rate N         never above N per second; the step that would pass N runs at N, so the search
                       says "--max-rate reached" only after N itself passed

Exit:
  0  the run measured the gateway (at least one login got the answer it was sent for) and every
     threshold passed (or none was given); capacity: a passing rate was found
  1  a threshold failed; or no login got the answer it was sent for (nothing accepted: every login
     refused, or none answered); or the target could not be reached (connection refused, host not
     found, upgrade refused with an HTTP status such as 404 for a wrong path): nothing was run;
     capacity: no passing rate, or a step measured nothing
  2  a usage error, or the generator could not start (e.g. --admin-url could not mint tokens), or
     the report could not be written
`;

interface Parsed {
  /** The first target; `urls` has every one. */
  readonly url: URL;
  readonly urls: readonly URL[];
  /** Child processes (1: this process runs the engines). */
  readonly processes: number;
  readonly appId: string;
  readonly minting: Minting;
  readonly model: "open" | "closed";
  readonly rate: number;
  readonly concurrency: number;
  readonly rampMs: number;
  readonly durationMs: number;
  readonly holdMs: number;
  readonly renewEveryMs: number;
  readonly mix: Mix;
  readonly invalid: number;
  readonly population: { readonly file: string; readonly population: Population } | null;
  readonly profile: Profile;
  readonly seed: number;
  readonly tokenTtlSeconds: number;
  readonly workers: number;
  readonly timeoutMs: number;
  readonly maxSockets: number;
  readonly thresholds: readonly Threshold[];
  readonly json: string | undefined;
  readonly html: string | undefined;
  readonly quiet: boolean;
  readonly capacity: { readonly factor: number; readonly stepMs: number; readonly maxSteps: number; readonly maxRate: number; readonly refine: number } | null;
}

function num(raw: string | undefined, option: string, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new LoadOptionError(`${option} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** The options of `rtm-auth load` (node:util parseArgs). */
const LOAD_OPTIONS = {
  url: { type: "string", multiple: true },
  processes: { type: "string" },
  "app-id": { type: "string" },
  certificate: { type: "string" },
  "admin-url": { type: "string" },
  "admin-token": { type: "string" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  "ramp-up": { type: "string" },
  duration: { type: "string" },
  hold: { type: "string" },
  "renew-every": { type: "string" },
  mix: { type: "string" },
  invalid: { type: "string" },
  population: { type: "string" },
  profile: { type: "string" },
  seed: { type: "string" },
  "token-ttl": { type: "string" },
  workers: { type: "string" },
  timeout: { type: "string" },
  "max-sockets": { type: "string" },
  threshold: { type: "string", multiple: true },
  json: { type: "string" },
  html: { type: "string" },
  quiet: { type: "boolean" },
  "find-capacity": { type: "boolean" },
  "step-factor": { type: "string" },
  "step-duration": { type: "string" },
  "max-steps": { type: "string" },
  "max-rate": { type: "string" },
  refine: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function parse(args: string[]): Promise<Parsed | "help"> {
  let values;
  try {
    values = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: LOAD_OPTIONS,
    }).values;
  } catch (err) {
    throw new LoadOptionError(parseArgsMessage(err));
  }
  if (values.help) return "help";
  const missing = (["url", "app-id"] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new LoadOptionError(`missing --${missing.join(", --")}`);
  const urls = (values.url as string[]).map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new LoadOptionError(`--url ${JSON.stringify(raw)} is not a URL`);
    }
    if (url.protocol !== "ws:") throw new LoadOptionError(`--url must be ws://HOST:PORT/PATH (${url.protocol}// is not supported)`);
    return url;
  });
  const url = urls[0]!;
  const appId = values["app-id"] as string;
  if (appId === "" || appId.length > 64) throw new LoadOptionError("--app-id must be 1 to 64 characters");

  if ((values.certificate === undefined) === (values["admin-url"] === undefined)) throw new LoadOptionError("give exactly one of --certificate and --admin-url");
  let minting: Minting;
  if (values.certificate !== undefined) {
    const certificate = values.certificate === "-" ? (await readStdin()).trim() : values.certificate;
    if (!/^[0-9a-fA-F]{32}$/.test(certificate)) throw new LoadOptionError("--certificate must be 32 hex characters");
    minting = { kind: "certificate", certificate };
  } else {
    let admin: URL;
    try {
      admin = new URL(values["admin-url"] as string);
    } catch {
      throw new LoadOptionError(`--admin-url ${JSON.stringify(values["admin-url"])} is not a URL`);
    }
    if (admin.protocol !== "http:" && admin.protocol !== "https:") throw new LoadOptionError("--admin-url must be http(s)://HOST:PORT");
    const base = `${admin.origin}${admin.pathname.replace(/\/+$/, "").replace(/\/admin$/, "")}`;
    const adminToken = values["admin-token"] ?? process.env.RTM_AUTH_ADMIN_TOKEN;
    minting = { kind: "admin", adminUrl: base, ...(adminToken === undefined || adminToken === "" ? {} : { adminToken }) };
  }

  if (values.rate !== undefined && values.concurrency !== undefined) throw new LoadOptionError("give --rate (open model) or --concurrency (closed model), not both");
  const capacity = values["find-capacity"] === true;
  if (capacity && values.concurrency !== undefined) throw new LoadOptionError("--find-capacity steps an arrival rate: it takes --rate (the first step), not --concurrency");
  const model = values.concurrency !== undefined ? "closed" : "open";
  const rate = num(values.rate, "--rate", 100, 0.1, 1_000_000);
  const maxSockets = num(values["max-sockets"], "--max-sockets", DEFAULT_MAX_SOCKETS, 1, 1_000_000, true);
  const concurrency = num(values.concurrency, "--concurrency", 0, 1, 1_000_000, true);
  const processes = num(values.processes, "--processes", 1, 1, MAX_PROCESSES, true);
  const workers = num(values.workers, "--workers", processes > 1 ? 0 : DEFAULT_WORKERS, 0, 64, true);
  const engines = processes * Math.max(1, workers);
  if (model === "closed" && concurrency > maxSockets * processes) {
    throw new LoadOptionError(
      processes === 1
        ? `--concurrency ${concurrency} is over the socket budget of one process (${maxSockets}): spread it with --processes ${Math.ceil(concurrency / maxSockets)}`
        : `--concurrency ${concurrency} is over the socket budget of ${processes} processes (${processes} × ${maxSockets}): give more --processes`,
    );
  }
  if (model === "closed" && processes > 1 && concurrency < processes) throw new LoadOptionError(`--concurrency ${concurrency} cannot be split over ${processes} processes: give each at least one user`);
  if (urls.length > 1 && engines % urls.length !== 0) {
    throw new LoadOptionError(
      `${urls.length} --url targets cannot share ${engines} engine(s) evenly (${processes} process(es) × ${Math.max(1, workers)} engine(s) each): make processes × workers a multiple of ${urls.length}`,
    );
  }
  const durationMs = parseDuration(values.duration ?? "30s", "--duration");
  if (durationMs < 100 || durationMs > 24 * 3_600_000) throw new LoadOptionError("--duration must be between 100ms and 24h");
  const rampMs = parseDuration(values["ramp-up"] ?? "0s", "--ramp-up");
  if (values["ramp-up"] !== undefined && model !== "closed") throw new LoadOptionError("--ramp-up starts the users of the closed model gradually: it takes --concurrency (the open model's --rate is its own ramp)");
  if (rampMs > durationMs) throw new LoadOptionError("--ramp-up must not be longer than --duration");
  const holdMs = parseDuration(values.hold ?? "0s", "--hold");
  const renewEveryMs = parseDuration(values["renew-every"] ?? "0s", "--renew-every");
  if (renewEveryMs > 0 && renewEveryMs < 100) throw new LoadOptionError("--renew-every must be at least 100ms (or 0: never)");
  const profile = (values.profile ?? "rtm1") as Profile;
  if (!PROFILES.includes(profile)) throw new LoadOptionError("--profile must be rtm1 or rtm2");
  let population: Parsed["population"] = null;
  if (values.population !== undefined) {
    const clash = (["mix", "invalid", "hold", "renew-every", "token-ttl"] as const).filter((k) => values[k] !== undefined);
    if (clash.length > 0) throw new LoadOptionError(`--population describes every user: it cannot be combined with --${clash.join(", --")} (the population file gives each cohort's credential, bugs, hold, renewal and token lifetime)`);
    try {
      population = { file: values.population, population: loadPopulation(values.population) };
    } catch (err) {
      if (err instanceof PopulationError) throw new LoadOptionError(`--population: ${err.message}`);
      throw err;
    }
    if (minting.kind === "admin") {
      const local = population.population.cohorts.filter((c) => c.share > 0 && c.bug === "expired");
      if (local.length > 0) throw new LoadOptionError(`--population: cohort ${local.map((c) => c.name).join(", ")} needs an expired token, which only local minting makes: give --certificate instead of --admin-url`);
    }
    if (processes > 1) {
      // Every engine owns its own slice of each cohort's uids (no uid logged in twice): a cohort
      // with fewer uids than engines would leave some engines none of it.
      const thin = population.population.cohorts.filter((c) => c.share > 0 && c.uids < engines);
      if (thin.length > 0) throw new LoadOptionError(`--population: cohort ${thin.map((c) => `${c.name} (${c.uids} uids)`).join(", ")} cannot be split over ${engines} engines (${processes} processes): each engine needs at least one uid of every cohort`);
    }
  }
  const mix = values.mix === undefined ? DEFAULT_MIX : parseMix(values.mix);
  const invalid = num(values.invalid, "--invalid", 0, 0, 1);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : num(values.seed, "--seed", 0, 0, 2 ** 32 - 1, true);
  const thresholdTexts = values.threshold ?? (capacity ? DEFAULT_CAPACITY_THRESHOLDS : []);
  const thresholds = thresholdTexts.map(parseThreshold);
  return {
    url,
    urls,
    processes,
    appId,
    minting,
    model,
    rate,
    concurrency,
    rampMs,
    durationMs,
    holdMs,
    renewEveryMs,
    mix,
    invalid,
    population,
    profile,
    seed,
    tokenTtlSeconds: num(values["token-ttl"], "--token-ttl", 3600, 1, 0xffff_ffff, true),
    workers,
    timeoutMs: parseDuration(values.timeout ?? "10s", "--timeout"),
    maxSockets,
    thresholds,
    json: values.json,
    html: values.html,
    quiet: values.quiet === true,
    capacity: capacity
      ? {
          factor: num(values["step-factor"], "--step-factor", 1.5, 1.05, 10),
          stepMs: parseDuration(values["step-duration"] ?? "5s", "--step-duration"),
          maxSteps: num(values["max-steps"], "--max-steps", 20, 1, 100, true),
          maxRate: num(values["max-rate"], "--max-rate", 1_000_000, 0.1, 1_000_000),
          refine: num(values.refine, "--refine", 2, 0, 10, true),
        }
      : null,
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function progressLine(p: Progress, target: string): string {
  const t = p.tally;
  const errors = t.login.errors + t.renew.errors + t.logout.errors;
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  rate ${p.lastRate.toFixed(0)}/s${target}  in flight ${p.inFlight}  sessions ${p.sessions}  ` +
    `accepted ${t.login.accepted}  refused ${t.login.refused}  p99 ${p.login.p99 === null ? "—" : `${p.login.p99} ms`}  errors ${errors}  unexpected ${t.unexpected}`
  );
}

function stepLine(s: CapacityStep, i: number): string {
  const verdict = s.pass
    ? "pass"
    : !s.measured
      ? "FAIL nothing measured (no login got the answer it was sent for)"
      : !s.thresholdsPass
        ? `FAIL ${s.thresholds.filter((t) => !t.pass).map((t) => t.threshold).join(", ")}`
        : `generator saturated: ${s.saturation.join("; ")}`;
  return `step ${String(i + 1).padStart(2)}${s.repeat > 0 ? " (again)" : "        "}  target ${String(s.rate).padStart(7)}/s  achieved ${s.achievedRate.toFixed(0).padStart(7)}/s  p99 ${s.loginP99 === null ? "—" : `${s.loginP99} ms`}  errors ${s.errors}  unexpected ${s.unexpected}  ${verdict}\n`;
}

function formatCapacity(c: CapacityResult, cpus: number): string {
  const why: Record<CapacityResult["stoppedBecause"], string> = {
    threshold: "a step failed a threshold (on its repeat too)",
    generator_saturated: "the generator saturated at a higher step (the gateway's capacity is at least this)",
    nothing_measured: "a step measured nothing: no login got the answer it was sent for (on its repeat too)",
    max_steps: "--max-steps reached",
    max_rate: "--max-rate reached: it was tried, and passed",
    stopped: "interrupted",
  };
  const head = c.highestPassingRate === null ? "no passing rate: the first step already failed" : `highest passing rate: ${c.highestPassingRate} logins/s`;
  return `\ncapacity (${cpus} CPUs; thresholds ${c.thresholds.join(", ")}): ${head}; stopped because ${why[c.stoppedBecause]}\n`;
}

/** Most logins built ahead of a phase (all engines): 300,000, or fewer when the closed model needs fewer. */
function prepareCap(o: Parsed, meanHoldMs: number): number {
  const cap = 300_000;
  if (o.model !== "closed" || o.capacity !== null) return cap;
  // Each of the C users logs in about once per hold (and a second) until the arrivals end.
  return Math.min(cap, o.concurrency * Math.max(1, Math.ceil(o.durationMs / (meanHoldMs + 1_000))));
}

/** Runs `rtm-auth load`. */
export async function runLoadCommand(args: string[], io: CliIo): Promise<number> {
  let o: Parsed | "help";
  try {
    o = await parse(args);
  } catch (err) {
    if (!(err instanceof LoadOptionError)) throw err;
    return usageError(io, "load", err.message);
  }
  if (o === "help") {
    io.out(HELP);
    return EXIT.ok;
  }
  const opts = o;
  const targets: WsTarget[] = [];
  for (const url of opts.urls) {
    // One upgrade first: an unreachable target is named at once, not after a run of failed logins.
    const failure = await probeWebSocket(url, Math.min(opts.timeoutMs, 10_000));
    if (failure !== null) {
      io.err(`rtm-auth load: cannot reach the gateway at ${redactedUrl(url)}: ${describeConnectionFailure(failure, url)}; nothing was run\n`);
      return EXIT.negative;
    }
    let host: string;
    try {
      host = (await lookup(url.hostname.replace(/^\[|\]$/g, ""))).address;
    } catch (err) {
      io.err(`rtm-auth load: cannot resolve ${url.hostname}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was run\n`);
      return EXIT.negative;
    }
    targets.push({ host, port: url.port === "" ? 80 : Number(url.port), path: `${url.pathname}${url.search}`, hostHeader: url.host });
  }
  // Mean time a user holds a socket: its hold and about a second more.
  const meanHoldMs = opts.population === null ? opts.holdMs : opts.population.population.cohorts.reduce((s, c) => s + c.share * c.holdSeconds * 1000, 0);
  const budget = opts.maxSockets * opts.processes;
  if (opts.model === "open" && opts.capacity === null && (opts.rate * (meanHoldMs + 1_000)) / 1000 > budget) {
    const hold = opts.population === null ? `--hold ${opts.holdMs / 1000} s` : `the population's mean hold of ${Math.round(meanHoldMs / 1000)} s`;
    const whose = opts.processes === 1 ? `this process's budget of ${opts.maxSockets}` : `the budget of ${opts.processes} processes (${opts.processes} × ${opts.maxSockets})`;
    io.err(`rtm-auth load: warning: ${opts.rate}/s with ${hold} needs about ${Math.round((opts.rate * (meanHoldMs + 1_000)) / 1000)} sockets, over ${whose}; arrivals beyond it are skipped (give more --processes)\n`);
  }
  const driverOptions: DriverOptions = {
    target: targets[0]!,
    ...(targets.length > 1 ? { targets } : {}),
    appId: opts.appId,
    profile: opts.profile,
    mix: opts.mix,
    invalid: opts.invalid,
    population: opts.population?.population ?? null,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    minting: opts.minting,
    holdMs: opts.holdMs,
    renewEveryMs: opts.renewEveryMs,
    timeoutMs: opts.timeoutMs,
    intervalMs: 1_000,
    workers: opts.workers,
    seed: opts.seed,
    uidPrefix: `ld-${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, "0")}-`,
    maxSockets: opts.maxSockets,
    prepareCap: prepareCap(opts, meanHoldMs),
  };
  const reportOptions: ReportOptions = {
    url: redactedUrl(opts.url),
    urls: opts.urls.map(redactedUrl),
    appId: opts.appId,
    minting: opts.minting.kind,
    model: opts.model,
    rate: opts.model === "open" ? opts.rate : null,
    concurrency: opts.model === "closed" ? opts.concurrency : null,
    rampMs: opts.rampMs,
    durationMs: opts.durationMs,
    mix: opts.mix,
    invalid: opts.invalid,
    holdMs: opts.holdMs,
    renewEveryMs: opts.renewEveryMs,
    profile: opts.profile,
    seed: opts.seed,
    workers: opts.workers,
    processes: opts.processes,
    timeoutMs: opts.timeoutMs,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    population: opts.population,
  };

  let driver: LoadDriver;
  try {
    driver = opts.processes > 1 ? await startProcessDriver(driverOptions, opts.processes) : await LoadDriver.start(driverOptions);
  } catch (err) {
    io.err(`rtm-auth load: cannot start the generator: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    io.err("\nrtm-auth load: interrupted; ending the arrivals and draining (Ctrl-C again to quit at once)\n");
    driver.stop();
  };
  process.on("SIGINT", onSigint);
  const tty = process.stderr.isTTY === true && !opts.quiet;
  const target = opts.model === "open" && opts.capacity === null ? ` (target ${opts.rate}/s)` : "";
  const ticker = tty
    ? setInterval(() => {
        const p = driver.progress();
        if (p !== null) process.stderr.write(`\r\x1b[K${progressLine(p, target)}`);
      }, 1_000)
    : null;
  const clearLine = (): void => {
    if (tty) process.stderr.write("\r\x1b[K");
  };

  let report: LoadReport | null = null;
  let capacity: CapacityResult | null = null;
  try {
    if (opts.capacity !== null) {
      const c = opts.capacity;
      capacity = await findCapacity(
        driver,
        reportOptions,
        opts.thresholds,
        { startRate: opts.rate, factor: c.factor, stepMs: c.stepMs, maxSteps: c.maxSteps, maxRate: c.maxRate, pauseMs: 1_000, retries: 1, refine: c.refine },
        (step, i) => {
          clearLine();
          if (!opts.quiet) io.err(stepLine(step, i));
        },
        () => interrupted,
      );
      report = capacity.report;
    } else {
      const started = new Date();
      const result = await driver.run({ model: opts.model, rate: opts.rate, concurrency: opts.concurrency, durationMs: opts.durationMs, rampMs: opts.rampMs });
      report = buildReport(result, reportOptions, opts.thresholds, started);
    }
  } catch (err) {
    clearLine();
    io.err(`rtm-auth load: the run failed: ${(err as Error).message}\n`);
    return EXIT.usage;
  } finally {
    if (ticker !== null) clearInterval(ticker);
    process.off("SIGINT", onSigint);
    await driver.close();
  }
  clearLine();

  const machine = { cpus: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.arch()}` };
  const json = capacity === null ? report : { tool: "rtm-auth load", schema: 1, mode: "find-capacity", machine, capacity };
  try {
    if (opts.json !== undefined && opts.json !== "-") writeFileSync(opts.json, `${JSON.stringify(json, null, 2)}\n`);
    if (opts.html !== undefined) writeFileSync(opts.html, renderHtmlReport(report, capacity));
  } catch (err) {
    io.err(`rtm-auth load: cannot write the report: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (opts.json === "-") io.out(`${JSON.stringify(json, null, 2)}\n`);
  else {
    if (report !== null) io.out(formatReport(report));
    if (capacity !== null) io.out(formatCapacity(capacity, machine.cpus));
  }
  if (capacity !== null) return capacity.highestPassingRate === null || capacity.stoppedBecause === "nothing_measured" ? EXIT.negative : EXIT.ok;
  return report?.pass === true ? EXIT.ok : EXIT.negative;
}

/** The target as reports and messages show it: credentials in the URL (user:password@) stay out. */
function redactedUrl(url: URL): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return shown.href;
}
