/**
 * The main-thread side of the load generator: starts one {@link LoadEngine} per worker thread
 * (or one on the main thread with `workers: 0`), splits each phase between them (rate, users,
 * socket budget; the open-model arrivals of the engines interleave), starts them at one shared
 * instant, and folds their interval reports into a {@link PhaseResult}: the counts, the latency
 * histograms, a timeline of one point per interval, and the generator's own CPU time and
 * event-loop utilisation (so a run knows when the generator, not the gateway, was the limit).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Histogram } from "hdr-histogram-js";
import { addEncoded, LATENCY_KINDS, newHistogram, summarize, type LatencyKind, type LatencySummary } from "./latency.js";
import { LoadEngine, type EngineOptions, type IntervalReport, type PhaseSpec } from "./load-engine.js";
import { workerSeed } from "./rng.js";
import { addTally, emptyTally, type Tally } from "./tally.js";
import type { DriverMessage, WorkerMessage } from "./worker-protocol.js";
import type { WsTarget } from "./ws-frames.js";

/** What the driver needs: the engine options, shared, plus the split. */
export interface DriverOptions extends Omit<EngineOptions, "seed" | "uidPrefix" | "maxSockets" | "partition"> {
  /** Worker threads; 0 runs the one engine on the main thread. */
  readonly workers: number;
  readonly seed: number;
  readonly uidPrefix: string;
  /** Most sockets of the whole process (the open-file limit, less headroom). */
  readonly maxSockets: number;
  /** Most login specs built ahead per phase, over all engines (the rest are built on demand). */
  readonly prepareCap: number;
  /**
   * Several gateways: engine `i` dials `targets[i % targets.length]` (its whole share of the load
   * goes there); absent or empty: every engine dials `target`.
   */
  readonly targets?: readonly WsTarget[];
}

/** A phase for the whole generator. */
export interface LoadPhase {
  readonly model: "open" | "closed";
  /** Target arrivals per second (open model). */
  readonly rate: number;
  /** Users kept going (closed model). */
  readonly concurrency: number;
  readonly durationMs: number;
  /** Closed model: start the users evenly over this long (absent or 0: all at once). */
  readonly rampMs?: number;
}

/** One point of the timeline: the interval ending at `t` seconds from the phase start. */
export interface TimelinePoint {
  readonly t: number;
  readonly tally: Tally;
  readonly login: LatencySummary;
  readonly renew: LatencySummary;
  readonly inFlight: number;
  readonly sessions: number;
}

/** What a phase produced. */
export interface PhaseResult {
  readonly phase: LoadPhase;
  readonly tally: Tally;
  readonly histograms: Readonly<Record<LatencyKind, Histogram>>;
  readonly timeline: readonly TimelinePoint[];
  /** From the start to the end of the arrivals (the longest engine's). */
  readonly arrivalMs: number;
  /** From the start until every user finished. */
  readonly wallMs: number;
  /** Login specs built ahead of the phase, and how long that took (outside the timed window). */
  readonly prepared: number;
  readonly prepareMs: number;
  /** The generator process's CPU time over the phase (all threads), microseconds. */
  readonly cpuUs: number;
  /** Event-loop utilisation of each engine's thread over the phase: mean of its intervals, and the highest interval. */
  readonly engineElu: readonly { readonly mean: number; readonly max: number }[];
  readonly engines: number;
  /** Generator processes the engines ran in (`rtm-auth load --processes`); absent: 1. */
  readonly processes?: number;
}

/** Live state, for a progress line. */
export interface Progress {
  readonly elapsedMs: number;
  readonly tally: Tally;
  /** Login latency so far. */
  readonly login: LatencySummary;
  readonly inFlight: number;
  readonly sessions: number;
  /** Login attempts in the last complete interval, per second. */
  readonly lastRate: number;
}

/** One engine, on a worker thread, on this one, or in a child process (process-hosts.ts). */
export interface EngineHost {
  prepare(phase: PhaseSpec, cap: number): Promise<number>;
  run(phase: PhaseSpec, startAt: number, onReport: (r: IntervalReport) => void): Promise<void>;
  stop(): void;
  close(): Promise<void>;
}

/** An engine on this thread. */
export function inlineHost(options: EngineOptions): EngineHost {
  const engine = new LoadEngine(options);
  return {
    prepare: (phase, cap) => engine.prepare(phase, cap),
    run: (phase, startAt, onReport) => engine.run(phase, startAt, onReport),
    stop: () => engine.stop(),
    close: async () => {},
  };
}

/** The compiled worker next to this module (dist/client/load/load-worker.js). */
function workerFile(): URL {
  const url = new URL("./load-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`worker threads need the compiled generator (${fileURLToPath(url)} is missing: run npm run build), or use workers: 0`);
  return url;
}

/** An engine on a new worker thread (ready when this resolves). */
export async function workerHost(options: EngineOptions): Promise<EngineHost> {
  const worker = new Worker(workerFile(), { workerData: options });
  let waiting: { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void } | null = null;
  let onReport: ((r: IntervalReport) => void) | null = null;
  let runDone: { resolve: () => void; reject: (e: Error) => void } | null = null;
  let failed: Error | null = null;
  const fail = (err: Error): void => {
    failed ??= err;
    waiting?.reject(err);
    runDone?.reject(err);
    waiting = null;
    runDone = null;
  };
  worker.on("message", (m: WorkerMessage) => {
    if (m.type === "interval") {
      onReport?.(m.report);
      if (m.report.final) {
        const d = runDone;
        runDone = null;
        onReport = null;
        d?.resolve();
      }
    } else if (m.type === "error") fail(new Error(`load worker: ${m.message}`));
    else {
      const w = waiting;
      waiting = null;
      w?.resolve(m);
    }
  });
  worker.on("error", (err) => fail(err));
  worker.on("exit", (code) => fail(new Error(`load worker exited (${code})`)));
  const next = (): Promise<WorkerMessage> =>
    failed !== null
      ? Promise.reject(failed)
      : new Promise<WorkerMessage>((resolve, reject) => {
          waiting = { resolve, reject };
        });
  const send = (m: DriverMessage): void => worker.postMessage(m);
  await next(); // ready
  return {
    prepare: async (phase, cap) => {
      const reply = next();
      send({ type: "prepare", phase, cap });
      const m = await reply;
      return m.type === "prepared" ? m.ready : 0;
    },
    run: (phase, startAt, report) =>
      failed !== null
        ? Promise.reject(failed)
        : new Promise<void>((resolve, reject) => {
            onReport = report;
            runDone = { resolve, reject };
            send({ type: "run", phase, startAt });
          }),
    stop: () => send({ type: "stop" }),
    close: async () => {
      worker.removeAllListeners("exit");
      const exited = new Promise<void>((r) => worker.once("exit", () => r()));
      send({ type: "exit" });
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Folds interval reports of every engine into one phase's figures. */
class PhaseAggregate {
  readonly tally = emptyTally();
  readonly histograms: Record<LatencyKind, Histogram> = { login: newHistogram(), renew: newHistogram(), connect: newHistogram(), lag: newHistogram() };
  private readonly points = new Map<number, { tally: Tally; login: Histogram; renew: Histogram; inFlight: number[]; sessions: number[] }>();
  private readonly latest: { inFlight: number; sessions: number }[];
  readonly elu: { sum: number; n: number; max: number }[];
  arrivalMs = 0;

  constructor(engines: number) {
    this.latest = Array.from({ length: engines }, () => ({ inFlight: 0, sessions: 0 }));
    this.elu = Array.from({ length: engines }, () => ({ sum: 0, n: 0, max: 0 }));
  }

  add(engine: number, r: IntervalReport): void {
    addTally(this.tally, r.tally);
    let p = this.points.get(r.k);
    if (p === undefined) this.points.set(r.k, (p = { tally: emptyTally(), login: newHistogram(), renew: newHistogram(), inFlight: [], sessions: [] }));
    addTally(p.tally, r.tally);
    p.inFlight[engine] = r.inFlight;
    p.sessions[engine] = r.sessions;
    for (const kind of LATENCY_KINDS) {
      const enc = r.histograms[kind];
      if (enc === null) continue;
      addEncoded(this.histograms[kind], enc);
      if (kind === "login") addEncoded(p.login, enc);
      else if (kind === "renew") addEncoded(p.renew, enc);
    }
    this.latest[engine] = { inFlight: r.inFlight, sessions: r.sessions };
    const e = this.elu[engine]!;
    // A final report may cover only a sliver of an interval; its utilisation is noise.
    if (!r.final || e.n === 0) {
      e.sum += r.elu;
      e.n++;
      e.max = Math.max(e.max, r.elu);
    }
    if (r.final && r.arrivalMs !== undefined) this.arrivalMs = Math.max(this.arrivalMs, r.arrivalMs);
  }

  get inFlight(): number {
    return this.latest.reduce((s, l) => s + l.inFlight, 0);
  }

  get sessions(): number {
    return this.latest.reduce((s, l) => s + l.sessions, 0);
  }

  /** Login attempts of the newest interval that every engine has reported. */
  lastRate(intervalMs: number, engines: number): number {
    let best = -1;
    for (const [k, p] of this.points) if (p.inFlight.filter((x) => x !== undefined).length === engines && k > best) best = k;
    const p = this.points.get(best);
    return p === undefined ? 0 : p.tally.login.attempts / (intervalMs / 1000);
  }

  timeline(intervalMs: number): TimelinePoint[] {
    return [...this.points.entries()]
      .sort(([a], [b]) => a - b)
      .map(([k, p]) => {
        const point: TimelinePoint = {
          t: (k * intervalMs) / 1000,
          tally: p.tally,
          login: summarize(p.login),
          renew: summarize(p.renew),
          inFlight: p.inFlight.reduce((s, x) => s + (x ?? 0), 0),
          sessions: p.sessions.reduce((s, x) => s + (x ?? 0), 0),
        };
        p.login.destroy();
        p.renew.destroy();
        return point;
      });
  }
}

/**
 * The options of engine `index` of `count` in the whole run: its own seed stream, uid prefix,
 * share of every population uid pool and target, and `maxSockets` (its share of its process's
 * socket budget).
 */
export function engineOptionsFor(options: DriverOptions, index: number, count: number, maxSockets: number): EngineOptions {
  const { workers: _w, prepareCap: _p, targets, ...shared } = options;
  return {
    ...shared,
    target: targets !== undefined && targets.length > 0 ? targets[index % targets.length]! : options.target,
    seed: workerSeed(options.seed, index),
    uidPrefix: `${options.uidPrefix}${index.toString(36)}-`,
    maxSockets,
    // A population's uid pools are split between the engines: no uid is logged in twice.
    partition: { index, count },
  };
}

/** CPU time of this process (all its threads) so far, microseconds. */
const ownCpuUs = async (): Promise<number> => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** Runs phases over a fixed set of engines. */
export class LoadDriver {
  private readonly options: DriverOptions;
  private readonly hosts: EngineHost[];
  private readonly cpuUs: () => Promise<number>;
  private readonly processCount: number;
  private readonly startLeadMs: number;
  private current: PhaseAggregate | null = null;
  private startedAt = 0;

  private constructor(options: DriverOptions, hosts: EngineHost[], cpuUs: () => Promise<number>, processes: number, startLeadMs: number) {
    this.options = options;
    this.hosts = hosts;
    this.cpuUs = cpuUs;
    this.processCount = processes;
    this.startLeadMs = startLeadMs;
  }

  /** Starts the engines (worker threads are up and ready when this resolves). */
  static async start(options: DriverOptions): Promise<LoadDriver> {
    const n = Math.max(1, options.workers);
    const engineOptions = (i: number): EngineOptions => engineOptionsFor(options, i, n, Math.floor(options.maxSockets / n));
    const hosts: EngineHost[] = [];
    try {
      if (options.workers === 0) hosts.push(inlineHost(engineOptions(0)));
      else for (let i = 0; i < n; i++) hosts.push(await workerHost(engineOptions(i)));
    } catch (err) {
      await Promise.all(hosts.map((h) => h.close()));
      throw err;
    }
    return new LoadDriver(options, hosts, ownCpuUs, 1, 50);
  }

  /**
   * A driver over engines started elsewhere (process-hosts.ts: engines in child processes).
   * `cpuUs` gives the CPU time of every process involved so far, microseconds; `startLeadMs` is
   * how far ahead of now a phase's shared start is set, so every engine has its message before it.
   */
  static over(options: DriverOptions, hosts: EngineHost[], cpuUs: () => Promise<number>, processes: number, startLeadMs: number): LoadDriver {
    return new LoadDriver(options, hosts, cpuUs, processes, startLeadMs);
  }

  /** Generator processes (1 unless built with {@link LoadDriver.over}). */
  get processes(): number {
    return this.processCount;
  }

  /** Engines running (worker threads, or 1 on the main thread). */
  get engines(): number {
    return this.hosts.length;
  }

  /** The split of `phase` for engine `i`. */
  private share(phase: LoadPhase, i: number): PhaseSpec {
    const n = this.hosts.length;
    return {
      model: phase.model,
      rate: phase.rate / n,
      concurrency: Math.floor(phase.concurrency / n) + (i < phase.concurrency % n ? 1 : 0),
      durationMs: phase.durationMs,
      // Engine i's arrivals fall between engine (i−1)'s: together they are evenly spaced.
      offsetMs: phase.rate > 0 ? (i * 1000) / phase.rate : 0,
      ...(phase.rampMs !== undefined && phase.rampMs > 0 ? { rampMs: phase.rampMs } : {}),
    };
  }

  /** Live state of the running phase (null between phases). */
  progress(): Progress | null {
    const a = this.current;
    if (a === null) return null;
    return {
      elapsedMs: performance.now() - this.startedAt,
      tally: a.tally,
      login: summarize(a.histograms.login),
      inFlight: a.inFlight,
      sessions: a.sessions,
      lastRate: a.lastRate(this.options.intervalMs, this.hosts.length),
    };
  }

  /** Ends the running phase's arrivals now (SIGINT); it drains and resolves as usual. */
  stop(): void {
    for (const h of this.hosts) h.stop();
  }

  /** Builds the logins ahead, then runs `phase` on every engine from one shared start. */
  async run(phase: LoadPhase): Promise<PhaseResult> {
    const shares = this.hosts.map((_, i) => this.share(phase, i));
    const prepStart = performance.now();
    const capEach = Math.floor(this.options.prepareCap / this.hosts.length);
    const prepared = (await Promise.all(this.hosts.map((h, i) => h.prepare(shares[i]!, capEach)))).reduce((s, n) => s + n, 0);
    const prepareMs = performance.now() - prepStart;

    const aggregate = new PhaseAggregate(this.hosts.length);
    this.current = aggregate;
    const cpu0 = await this.cpuUs();
    // A shared start a little ahead, so every worker has the message before it.
    const lead = this.startLeadMs;
    const startAt = performance.timeOrigin + performance.now() + lead;
    this.startedAt = performance.now() + lead;
    try {
      await Promise.all(this.hosts.map((h, i) => h.run(shares[i]!, startAt, (r) => aggregate.add(i, r))));
    } finally {
      this.current = null;
    }
    const cpuUs = (await this.cpuUs()) - cpu0;
    return {
      phase,
      tally: aggregate.tally,
      histograms: aggregate.histograms,
      timeline: aggregate.timeline(this.options.intervalMs),
      arrivalMs: aggregate.arrivalMs,
      wallMs: performance.now() - this.startedAt,
      prepared,
      prepareMs,
      cpuUs,
      engineElu: aggregate.elu.map((e) => ({ mean: e.n === 0 ? 0 : e.sum / e.n, max: e.max })),
      engines: this.hosts.length,
      processes: this.processCount,
    };
  }

  /** Stops the worker threads (and child processes). */
  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.close()));
  }
}
