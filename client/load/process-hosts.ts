/**
 * `rtm-auth load --processes N`: one run spread over N child processes (load-process.ts), each
 * with its share of the engines, so the run holds N times the sockets one process can (the
 * open-file limit is per process). The children's engines look like any other engine to the
 * {@link LoadDriver} ({@link EngineHost}s): it splits every phase between all of them, starts them
 * at one shared instant and merges their interval reports exactly as it merges worker threads'
 * (counts added, the encoded HDR histograms added, per-cohort and per-reason tallies added), so
 * the report is the one report of a single run. The generator's CPU time is this process's plus
 * every child's.
 *
 * A child that exits before the run is over (killed, out of memory, crashed) fails the run with
 * a message naming it, its exit code or signal and the end of its stderr; nothing waits for it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IntervalReport, PhaseSpec } from "./load-engine.js";
import { engineOptionsFor, LoadDriver, type DriverOptions, type EngineHost } from "./load-driver.js";
import type { ChildMessage, ParentMessage } from "./process-protocol.js";

/** Most child processes of one run (`--processes`): each is a Node process of its own (about 50 MB before its sockets). */
export const MAX_PROCESSES = 32;
/** How long a child may take to start its engines. */
const START_TIMEOUT_MS = 30_000;
/** How far ahead of now a phase's shared start is set: every child has its `run` message by then. */
const START_LEAD_MS = 250;
/** Stderr kept per child, for the message when it dies. */
const STDERR_TAIL = 2_000;

/** The compiled child next to this module (dist/client/load/load-process.js). */
function childFile(): string {
  const path = fileURLToPath(new URL("./load-process.js", import.meta.url));
  if (!existsSync(path)) throw new Error(`--processes needs the compiled generator (${path} is missing: run npm run build)`);
  return path;
}

/** One child process and its engines' pending calls. */
class LoadChild {
  readonly label: string;
  private readonly child: ChildProcess;
  private stderr = "";
  private failure: Error | null = null;
  private readonly prepared = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private readonly runs = new Map<number, { onReport: (r: IntervalReport) => void; resolve: () => void; reject: (e: Error) => void }>();
  private readonly cpuWaiters: ((us: number) => void)[] = [];
  private lastCpuUs = 0;
  private closing = false;
  private ready: { resolve: () => void; reject: (e: Error) => void } | null = null;
  readonly exited: Promise<void>;

  constructor(label: string) {
    this.label = label;
    this.child = fork(childFile(), [], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "advanced" });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.on("message", (m: ChildMessage) => this.receive(m));
    this.child.once("error", (err) => this.fail(new Error(`${this.label} could not be started: ${err.message}`)));
    this.child.once("exit", (code, signal) => {
      if (this.closing) return;
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = this.stderr.trim().split("\n").slice(-3).join(" | ");
      this.fail(new Error(`${this.label} (pid ${this.child.pid}) ${how} before the run was over${tail === "" ? "" : `: ${tail}`}`));
    });
  }

  /** Starts the child's engines; resolves when they are ready. */
  start(message: ParentMessage): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    const timer = setTimeout(() => this.fail(new Error(`${this.label} did not start its engines within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    this.send(message);
    return ready.finally(() => clearTimeout(timer));
  }

  private receive(m: ChildMessage): void {
    switch (m.type) {
      case "ready": {
        const r = this.ready;
        this.ready = null;
        r?.resolve();
        return;
      }
      case "error":
        this.fail(new Error(`${this.label} could not start its engines: ${m.message}`));
        return;
      case "prepared": {
        const p = this.prepared.get(m.engine);
        this.prepared.delete(m.engine);
        p?.resolve(m.ready);
        return;
      }
      case "interval": {
        const run = this.runs.get(m.engine);
        run?.onReport(m.report);
        if (run !== undefined && m.report.final) {
          this.runs.delete(m.engine);
          run.resolve();
        }
        return;
      }
      case "failed":
        this.fail(new Error(`${this.label}, engine ${m.engine}: ${m.message}`));
        return;
      case "cpu":
        this.lastCpuUs = m.us;
        this.cpuWaiters.shift()?.(m.us);
        return;
    }
  }

  /** Fails every pending call now and every later one at once. */
  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.ready?.reject(err);
    this.ready = null;
    for (const p of this.prepared.values()) p.reject(err);
    this.prepared.clear();
    for (const r of this.runs.values()) r.reject(err);
    this.runs.clear();
    for (const w of this.cpuWaiters.splice(0)) w(this.lastCpuUs);
  }

  private send(m: ParentMessage): void {
    if (this.failure !== null || !this.child.connected) return;
    this.child.send(m, (err) => {
      if (err !== null && err !== undefined && !this.closing) this.fail(new Error(`${this.label}: cannot send to it: ${err.message}`));
    });
  }

  /** The child's CPU time so far (its last known figure once it is gone), microseconds. */
  cpuUs(): Promise<number> {
    if (this.failure !== null || this.closing) return Promise.resolve(this.lastCpuUs);
    return new Promise((resolve) => {
      this.cpuWaiters.push(resolve);
      this.send({ type: "cpu" });
    });
  }

  /** Engine `engine` of this child, as the driver sees it. */
  host(engine: number): EngineHost {
    return {
      prepare: (phase: PhaseSpec, cap: number) =>
        this.failure !== null
          ? Promise.reject(this.failure)
          : new Promise<number>((resolve, reject) => {
              this.prepared.set(engine, { resolve, reject });
              this.send({ type: "prepare", engine, phase, cap });
            }),
      run: (phase: PhaseSpec, startAt: number, onReport: (r: IntervalReport) => void) =>
        this.failure !== null
          ? Promise.reject(this.failure)
          : new Promise<void>((resolve, reject) => {
              this.runs.set(engine, { onReport, resolve, reject });
              this.send({ type: "run", engine, phase, startAt });
            }),
      stop: () => this.send({ type: "stop", engine }),
      close: () => this.close(),
    };
  }

  /** Asks the child to exit (it closes its engines); SIGKILL after 3 s. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        if (this.child.connected) this.child.send({ type: "exit" } satisfies ParentMessage, () => {});
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
        void this.exited.then(() => clearTimeout(timer));
      }
    }
    return this.exited;
  }
}

/**
 * Starts `processes` child processes with `max(1, options.workers)` engines each (worker threads;
 * `workers: 0` runs the one engine on the child's main thread) and returns a driver over all of
 * them. `options.maxSockets` is each process's budget, split between its engines; engine `i` of
 * the run dials `options.targets[i % targets.length]` when several targets are given.
 */
export async function startProcessDriver(options: DriverOptions, processes: number): Promise<LoadDriver> {
  if (!Number.isInteger(processes) || processes < 1 || processes > MAX_PROCESSES) throw new RangeError(`processes must be an integer in [1, ${MAX_PROCESSES}]`);
  const perProcess = Math.max(1, options.workers);
  const total = processes * perProcess;
  const children: LoadChild[] = [];
  try {
    for (let p = 0; p < processes; p++) children.push(new LoadChild(`load process ${p + 1} of ${processes}`));
    await Promise.all(
      children.map((c, p) =>
        c.start({
          type: "start",
          threads: options.workers > 0,
          engines: Array.from({ length: perProcess }, (_, j) => engineOptionsFor(options, p * perProcess + j, total, Math.floor(options.maxSockets / perProcess))),
        }),
      ),
    );
  } catch (err) {
    await Promise.all(children.map((c) => c.close()));
    throw err;
  }
  const hosts = children.flatMap((c) => Array.from({ length: perProcess }, (_, j) => c.host(j)));
  const cpuUs = async (): Promise<number> => {
    const own = process.cpuUsage();
    const theirs = await Promise.all(children.map((c) => c.cpuUs()));
    return own.user + own.system + theirs.reduce((s, x) => s + x, 0);
  };
  return LoadDriver.over(options, hosts, cpuUs, processes, START_LEAD_MS);
}
