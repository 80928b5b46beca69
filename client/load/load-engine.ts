/**
 * The load engine of one thread: it starts virtual users at a fixed arrival rate (open model) or
 * keeps a fixed number of them going (closed model) for one phase, counts every outcome in a
 * {@link Tally}, records latencies in HDR histograms, and hands over an {@link IntervalReport}
 * every interval (the counts and histograms since the previous one, then reset).
 *
 * A virtual user: connect → upgrade → login (request id 1) → if accepted and `holdMs` > 0, stay
 * logged in `holdMs`, renewing the token every `renewEveryMs` (token logins only) → logout →
 * close 1000. A refused login closes at once. When the phase's arrivals end, users still holding
 * log out at once (their hold is cut short) and the engine waits, bounded, for every user to
 * finish. Every wait is bounded by `timeoutMs` (connect and upgrade included in the login's).
 *
 * Expected outcomes: a valid credential is accepted; a deliberately invalid token is refused with
 * `invalid_signature`. Anything else (another refusal, an accept of a bad token, a client-side
 * error, a renew or logout that fails, a session the gateway ends) counts as unexpected.
 *
 * With a population (docs/population.md) each user holds and renews as its cohort says, and the
 * expected outcome is its cohort's: an accept, or the refusal its bug gets; a session the gateway
 * ends at its token's expiry (4503) is expected of a cohort that never renews. Every login,
 * refusal, renewal and ended session is also counted per cohort (`byCohort`).
 */
import type { Histogram } from "hdr-histogram-js";
import { CredentialSource, INVALID_TOKEN_REASON, type CredentialSourceOptions, type LoginSpec } from "./credentials.js";
import { encodeHistogram, newHistogram, recordMs, type LatencyKind } from "./latency.js";
import { RawWsConnection, type ConnectionFailure, type RawWsHandler } from "./raw-ws-connection.js";
import { bump, emptyCohortCounts, emptyTally, type CohortCounts, type KindCounts, type LoadOp, type OpCounts, type Tally } from "./tally.js";
import { maskedTextFrame, upgradeRequest, type WsTarget } from "./ws-frames.js";

/** What one engine needs besides its phases. */
export interface EngineOptions extends CredentialSourceOptions {
  /** `host` is dialled (an IP address); `hostHeader` goes into the upgrade request. */
  readonly target: WsTarget;
  readonly holdMs: number;
  /** 0 = never renew. */
  readonly renewEveryMs: number;
  /** Longest wait for any reply (login: from connect start). */
  readonly timeoutMs: number;
  /** Most virtual users alive at once in this engine (its share of the process's socket budget). */
  readonly maxSockets: number;
  readonly intervalMs: number;
}

/** One phase: an arrival rate (open) or a number of users kept going (closed), for a duration. */
export interface PhaseSpec {
  readonly model: "open" | "closed";
  /** Arrivals per second for this engine (open model). */
  readonly rate: number;
  /** Users kept going by this engine (closed model). */
  readonly concurrency: number;
  readonly durationMs: number;
  /** Open model: the first arrival comes this long after the start (interleaves engines). */
  readonly offsetMs: number;
  /** Closed model: the users are started evenly over this long instead of all at once (absent or 0: at once). */
  readonly rampMs?: number;
}

/** The counts and histograms of one interval of one engine. */
export interface IntervalReport {
  /** Interval index: it covers [(k − 1)·interval, k·interval) from the phase start. */
  readonly k: number;
  readonly tally: Tally;
  /** Encoded histograms (null: nothing recorded). */
  readonly histograms: Readonly<Record<LatencyKind, string | null>>;
  /** Virtual users alive at the end of the interval. */
  readonly inFlight: number;
  /** Logged-in users at the end of the interval. */
  readonly sessions: number;
  /** Event-loop utilisation of this engine's thread over the interval (0–1). */
  readonly elu: number;
  /** True for the last report of the phase. */
  readonly final: boolean;
  /** Milliseconds from the phase start to the end of its arrivals (final report only). */
  readonly arrivalMs?: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

// Virtual-user states.
const CONNECTING = 0;
const LOGIN = 1;
const HOLD = 2;
const RENEW = 3;
const LOGOUT = 4;
const CLOSING = 5;
const DONE = 6;

/** Most users started in one tick of the arrival loop (the rest start on the next, at once). */
const MAX_BURST = 2_000;
/** How often pending replies are checked against their deadline. */
const SWEEP_MS = 100;
/**
 * Closed model with a ramp (`--ramp-up`): most users of one engine between their start and their
 * login's answer; the ramp waits beyond it. Thousands of connects at once overflow a gateway's
 * accept queue (Node's default backlog is 511), and the kernel's SYN retries (1 s, 3 s, 7 s …)
 * would then be what the run measures.
 */
export const RAMP_MAX_PENDING_LOGINS = 256;

/** One virtual user: a connection and the login cycle over it. */
class VirtualUser implements RawWsHandler {
  readonly engine: LoadEngine;
  readonly spec: LoginSpec;
  readonly startedAt: number;
  private readonly conn: RawWsConnection;
  state = CONNECTING;
  /** When the pending step times out (Infinity while holding). */
  deadline: number;
  /** When the pending renew was sent. */
  private sentAt = 0;
  private nextId = 2;
  private pendingId = 1;
  private holdUntil = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(engine: LoadEngine, spec: LoginSpec, host: string, port: number, request: Buffer) {
    this.engine = engine;
    this.spec = spec;
    this.startedAt = performance.now();
    this.deadline = this.startedAt + engine.options.timeoutMs;
    this.conn = new RawWsConnection(host, port, request, this);
  }

  onOpen(): void {
    const now = performance.now();
    this.engine.record("connect", now - this.startedAt);
    this.state = LOGIN;
    this.conn.send(this.spec.frame);
  }

  onText(b: Buffer, start: number, end: number): void {
    if (this.state !== LOGIN && this.state !== RENEW && this.state !== LOGOUT) return;
    const reply = parseReply(b, start, end);
    if (reply === null || reply.id !== this.pendingId) return; // an event, or a stale reply
    const now = performance.now();
    const e = this.engine;
    switch (this.state) {
      case LOGIN: {
        e.record("login", now - this.startedAt);
        const kc = e.kindCounts(this.spec);
        const cc = e.cohortCounts(this.spec);
        const spec = this.spec;
        if (reply.ok) {
          e.tally.login.accepted++;
          kc.accepted++;
          if (cc !== null) cc.accepted++;
          if (spec.cohort >= 0) {
            if (spec.expect !== null) e.unexpected(`login accepted: expected ${spec.expect} (cohort ${e.cohortName(spec)})`, cc);
            else e.tally.loginsAsExpected++;
          } else if (spec.invalid) e.unexpected(`login accepted: invalid ${spec.kind} token`);
          else e.tally.loginsAsExpected++;
          e.sessions++;
          this.holdUntil = now + spec.holdMs;
          this.afterLogin(now);
        } else {
          refusal(e.tally.login, reply);
          kc.refused++;
          if (cc !== null) {
            cc.refused++;
            bump(cc.refusedBy, reply.reason ?? "unknown");
          }
          if (spec.cohort >= 0) {
            if (reply.reason !== spec.expect) e.unexpected(`login refused: ${reply.reason} (cohort ${e.cohortName(spec)}${spec.expect === null ? "" : `, expected ${spec.expect}`})`, cc);
            else e.tally.loginsAsExpected++;
          } else if (!spec.invalid) e.unexpected(`login refused: ${reply.reason} (${spec.kind})`);
          else if (reply.reason !== INVALID_TOKEN_REASON) e.unexpected(`login refused: ${reply.reason} (invalid ${spec.kind} token, expected ${INVALID_TOKEN_REASON})`);
          else e.tally.loginsAsExpected++;
          this.close();
        }
        return;
      }
      case RENEW: {
        e.record("renew", now - this.sentAt);
        const cc = e.cohortCounts(this.spec);
        if (reply.ok) e.tally.renew.accepted++;
        else {
          refusal(e.tally.renew, reply);
          if (cc !== null) cc.renewRefused++;
          e.unexpected(`renew refused: ${reply.reason}${cc === null ? "" : ` (cohort ${e.cohortName(this.spec)})`}`, cc);
        }
        this.afterLogin(now);
        return;
      }
      case LOGOUT:
        if (reply.ok) e.tally.logout.accepted++;
        else {
          refusal(e.tally.logout, reply);
          e.unexpected(`logout refused: ${reply.reason}`);
        }
        e.sessions--;
        this.close();
        return;
    }
  }

  onClose(code: number, byServer: boolean, failure: ConnectionFailure | null): void {
    const e = this.engine;
    bump(e.tally.closes, String(code));
    if (byServer) bump(e.tally.serverCloses, String(code));
    const state = this.state;
    this.state = DONE;
    this.clearTimer();
    if (state !== CLOSING) {
      // The connection ended before the cycle did.
      const kind = failure !== null ? `${failure.kind}:${failure.detail}` : `closed:${code}`;
      const cc = e.cohortCounts(this.spec);
      if (state === CONNECTING || state === LOGIN) {
        e.error("login", kind);
        e.kindCounts(this.spec).errors++;
        if (cc !== null) cc.errors++;
      } else {
        e.sessions--;
        if (byServer && cc !== null) bump(cc.ended, String(code));
        if (state === RENEW) e.error("renew", kind);
        else if (state === LOGOUT) e.error("logout", kind);
        else if (!(cc !== null && code === 4503 && this.spec.kind !== "appid" && this.spec.renewEveryMs === 0)) {
          e.unexpected(`session ended by the gateway: close ${code}${cc === null ? "" : ` (cohort ${e.cohortName(this.spec)})`}`, cc);
        }
      }
    }
    e.finished(this);
  }

  /** Sweeper: the pending step is overdue. */
  timeout(): void {
    const e = this.engine;
    switch (this.state) {
      case CONNECTING:
      case LOGIN: {
        e.error("login", this.state === CONNECTING ? "timeout:connect" : "timeout:login");
        e.kindCounts(this.spec).errors++;
        const cc = e.cohortCounts(this.spec);
        if (cc !== null) cc.errors++;
        break;
      }
      case RENEW:
        e.error("renew", "timeout:renew");
        e.sessions--;
        break;
      case LOGOUT:
        e.error("logout", "timeout:logout");
        e.sessions--;
        break;
      default:
        break; // CLOSING: the close echo never came; nothing more to count
    }
    this.state = CLOSING;
    this.conn.destroy("timeout");
  }

  /** The run is ending: a holding user logs out now. */
  cut(): void {
    if (this.state === HOLD) {
      this.clearTimer();
      this.logout();
    }
  }

  private afterLogin(now: number): void {
    const e = this.engine;
    if (e.ending || now >= this.holdUntil) return this.logout();
    this.state = HOLD;
    this.deadline = Number.POSITIVE_INFINITY;
    const renewAt = this.spec.kind === "appid" || this.spec.renewEveryMs <= 0 ? Number.POSITIVE_INFINITY : now + this.spec.renewEveryMs;
    const at = Math.min(renewAt, this.holdUntil);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state !== HOLD) return;
      if (at === renewAt) this.renew();
      else this.logout();
    }, at - now);
  }

  private renew(): void {
    const e = this.engine;
    const id = this.nextId++;
    this.pendingId = id;
    this.state = RENEW;
    this.deadline = performance.now() + e.options.timeoutMs;
    e.tally.renew.attempts++;
    const cc = e.cohortCounts(this.spec);
    if (cc !== null) cc.renewals++;
    const frame = e.credentials.renewFrame(this.spec, id);
    const send = (f: Buffer): void => {
      if (this.state !== RENEW || this.pendingId !== id) return;
      this.sentAt = performance.now();
      this.conn.send(f);
    };
    if (Buffer.isBuffer(frame)) send(frame);
    else
      frame.then(send, (err: unknown) => {
        if (this.state !== RENEW || this.pendingId !== id) return;
        e.error("renew", `mint:${(err as Error).message}`);
        this.afterLogin(performance.now());
      });
  }

  private logout(): void {
    const e = this.engine;
    const id = this.nextId++;
    this.pendingId = id;
    this.state = LOGOUT;
    this.deadline = performance.now() + e.options.timeoutMs;
    e.tally.logout.attempts++;
    this.conn.send(logoutFrame(id));
  }

  private close(): void {
    this.state = CLOSING;
    this.deadline = performance.now() + this.engine.options.timeoutMs;
    this.conn.close();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Masked logout frames by request id, built once each (a user sends one; ids are small). */
const LOGOUT_FRAMES = new Map<number, Buffer>();
function logoutFrame(id: number): Buffer {
  let f = LOGOUT_FRAMES.get(id);
  if (f === undefined) {
    f = maskedTextFrame(`{"id":${id},"op":"logout"}`);
    if (LOGOUT_FRAMES.size < 1_024) LOGOUT_FRAMES.set(id, f);
  }
  return f;
}

/** A reply reduced to what the tally needs. */
interface ParsedReply {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: number;
  readonly name?: string;
  readonly reason?: string;
}

const ID_PREFIX = Buffer.from('{"id":', "latin1");
const OK_TRUE = Buffer.from(',"ok":true', "latin1");

/**
 * The reply in `b[start, end)`, or null for an event. The gateway writes `{"id":N,"ok":…` first
 * (docs/protocol.md, "Replies"), so a success is recognised from its bytes; a refusal is parsed.
 */
function parseReply(b: Buffer, start: number, end: number): ParsedReply | null {
  if (end - start > ID_PREFIX.length && b.compare(ID_PREFIX, 0, ID_PREFIX.length, start, start + ID_PREFIX.length) === 0) {
    let i = start + ID_PREFIX.length;
    let id = 0;
    while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) id = id * 10 + (b[i++]! - 0x30);
    if (end - i >= OK_TRUE.length && b.compare(OK_TRUE, 0, OK_TRUE.length, i, i + OK_TRUE.length) === 0) return { id, ok: true };
  } else if (b[start] === 0x7b && b[start + 1] === 0x22 && b[start + 2] === 0x65) {
    return null; // {"e… — an event
  }
  let v: unknown;
  try {
    v = JSON.parse(b.toString("utf8", start, end));
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const r = v as { id?: unknown; ok?: unknown; error?: { code?: unknown; name?: unknown; reason?: unknown } | null };
  if (typeof r.id !== "number" || typeof r.ok !== "boolean") return null;
  if (r.ok) return { id: r.id, ok: true };
  const err = typeof r.error === "object" && r.error !== null ? r.error : {};
  return {
    id: r.id,
    ok: false,
    ...(typeof err.code === "number" ? { code: err.code } : {}),
    ...(typeof err.name === "string" ? { name: err.name } : {}),
    reason: typeof err.reason === "string" ? err.reason : "unknown",
  };
}

function refusal(c: OpCounts, r: ParsedReply): void {
  c.refused++;
  const reason = r.reason ?? "unknown";
  const byCode = (c.refusedBy[reason] ??= {});
  bump(byCode, `${r.code ?? "?"} ${r.name ?? "?"}`);
}

/** Runs phases of virtual users on this thread. */
export class LoadEngine {
  readonly options: EngineOptions;
  readonly credentials: CredentialSource;
  /** Counts since the last interval report. */
  tally: Tally = emptyTally();
  /** Logged-in users now. */
  sessions = 0;
  /** True once the current phase's arrivals ended (holding users log out). */
  ending = false;
  private readonly request: Buffer;
  private readonly alive = new Set<VirtualUser>();
  private histograms: Record<LatencyKind, Histogram> = { login: newHistogram(), renew: newHistogram(), connect: newHistogram(), lag: newHistogram() };
  private stopRequested: (() => void) | null = null;
  /** Users waiting for the admin API to mint their token. */
  private pendingMints = 0;
  /** Called whenever a user (or a pending mint) is gone; set while a phase runs. */
  private slotFreed: (() => void) | null = null;

  constructor(options: EngineOptions) {
    this.options = options;
    this.credentials = new CredentialSource(options);
    this.request = upgradeRequest(options.target);
  }

  /** Logins a phase will start (open model), to pre-build; closed model: an estimate. */
  static expectedLogins(phase: PhaseSpec): number {
    if (phase.model === "open") return Math.max(0, Math.ceil(((phase.durationMs - phase.offsetMs) / 1000) * phase.rate));
    return phase.concurrency * 20;
  }

  /** Builds the phase's logins ahead (at most `cap`); resolves with how many are ready. */
  async prepare(phase: PhaseSpec, cap: number): Promise<number> {
    await this.credentials.fill(Math.min(cap, LoadEngine.expectedLogins(phase)));
    return this.credentials.ready;
  }

  /** Ends the current phase's arrivals now (e.g. on SIGINT); the phase drains and resolves. */
  stop(): void {
    this.stopRequested?.();
  }

  /**
   * Runs `phase` from `startAt` (epoch ms, shared by every engine) and calls `report` after each
   * interval and once at the end (`final`). Resolves when every user has finished.
   */
  run(phase: PhaseSpec, startAt: number, report: (r: IntervalReport) => void): Promise<void> {
    const o = this.options;
    this.ending = false;
    return new Promise<void>((resolve) => {
      const t0 = performance.now() + Math.max(0, startAt - epochNow());
      const periodMs = phase.rate > 0 ? 1000 / phase.rate : Number.POSITIVE_INFINITY;
      const arrivals = phase.model === "open" ? LoadEngine.expectedLogins(phase) : Number.POSITIVE_INFINITY;
      let k = 0;
      let elu = performance.eventLoopUtilization();
      let arrivalTimer: NodeJS.Timeout | null = null;
      let intervalTimer: NodeJS.Timeout | null = null;
      let hardStop: NodeJS.Timeout | null = null;
      let arrivalMs = phase.durationMs;
      /** Open model: arrivals handled so far (started or skipped). */
      let issued = 0;
      let done = false;

      const emit = (final: boolean): void => {
        k++;
        const e = performance.eventLoopUtilization(elu);
        elu = performance.eventLoopUtilization();
        const h = this.histograms;
        const r: IntervalReport = {
          k,
          tally: this.tally,
          histograms: { login: encodeHistogram(h.login), renew: encodeHistogram(h.renew), connect: encodeHistogram(h.connect), lag: encodeHistogram(h.lag) },
          inFlight: this.alive.size + this.pendingMints,
          sessions: this.sessions,
          elu: e.utilization,
          final,
          ...(final ? { arrivalMs } : {}),
        };
        this.tally = emptyTally();
        for (const x of Object.values(h)) x.reset();
        report(r);
      };
      const scheduleInterval = (): void => {
        intervalTimer = setTimeout(
          () => {
            if (done) return;
            emit(false);
            scheduleInterval();
          },
          Math.max(0, t0 + (k + 1) * o.intervalMs - performance.now()),
        );
      };
      const sweeper = setInterval(() => {
        const now = performance.now();
        for (const u of this.alive) if (u.deadline < now) u.timeout();
      }, SWEEP_MS);

      const checkDrained = (): void => {
        if (done || !this.ending || this.alive.size > 0 || this.pendingMints > 0) return;
        done = true;
        this.slotFreed = null;
        this.stopRequested = null;
        clearInterval(sweeper);
        if (intervalTimer !== null) clearTimeout(intervalTimer);
        if (hardStop !== null) clearTimeout(hardStop);
        emit(true);
        resolve();
      };
      const endArrivals = (): void => {
        if (this.ending) return;
        this.ending = true;
        arrivalMs = Math.min(phase.durationMs, Math.max(0, performance.now() - t0));
        if (arrivalTimer !== null) clearTimeout(arrivalTimer);
        for (const u of [...this.alive]) u.cut();
        // Bounded drain: a logout reply and a close echo at most, then whatever is left is dropped.
        hardStop = setTimeout(
          () => {
            for (const u of [...this.alive]) u.timeout();
          },
          2 * o.timeoutMs + 1_000,
        );
        checkDrained();
      };

      const startUser = (): void => {
        let next: ReturnType<CredentialSource["next"]>;
        try {
          next = this.credentials.next();
        } catch (err) {
          this.tally.login.attempts++;
          this.error("login", `mint:${(err as Error).message}`);
          return;
        }
        if ("skipped" in next) {
          // Every uid of the drawn cohort is logged in: the population has no such client free.
          this.cohortCountsAt(next.skipped).skipped++;
          return;
        }
        this.tally.login.attempts++;
        if (!(next instanceof Promise)) {
          this.launch(next);
          return;
        }
        // Admin minting beyond the prepared pool: the user starts once its token is there.
        this.pendingMints++;
        next.then(
          (spec) => {
            this.pendingMints--;
            this.launch(spec);
          },
          (err: unknown) => {
            this.pendingMints--;
            this.error("login", `mint:${(err as Error).message}`);
            this.slotFreed?.();
          },
        );
      };

      const openTick = (): void => {
        arrivalTimer = null;
        if (this.ending) return;
        const now = performance.now();
        const elapsed = now - t0;
        const due = Math.min(arrivals, elapsed < phase.offsetMs ? 0 : Math.floor((elapsed - phase.offsetMs) / periodMs) + 1);
        let burst = 0;
        while (issued < due && burst < MAX_BURST) {
          recordMs(this.histograms.lag, Math.max(0, now - (t0 + phase.offsetMs + issued * periodMs)));
          issued++;
          burst++;
          if (this.alive.size + this.pendingMints >= o.maxSockets) this.tally.skipped++;
          else startUser();
        }
        if (issued >= arrivals || elapsed >= phase.durationMs) {
          endArrivals();
          return;
        }
        const nextAt = t0 + phase.offsetMs + issued * periodMs;
        arrivalTimer = setTimeout(openTick, burst >= MAX_BURST ? 0 : Math.max(0, nextAt - performance.now()));
      };

      this.stopRequested = endArrivals;
      this.slotFreed = () => {
        // Closed model: a finished user is replaced at once until the arrivals end.
        if (phase.model === "closed" && !this.ending) startUser();
        checkDrained();
      };
      setTimeout(
        () => {
          if (this.ending) return;
          scheduleInterval();
          if (phase.model === "open") openTick();
          else {
            const rampMs = phase.rampMs ?? 0;
            if (rampMs <= 0) for (let i = 0; i < phase.concurrency; i++) startUser();
            else {
              // The i-th user starts at i·ramp/concurrency at the earliest; a tick starts every user
              // due by then while fewer than RAMP_MAX_PENDING_LOGINS are still logging in (users
              // alive and not logged in: connecting, logging in, or closing).
              let started = 0;
              const rampTick = (): void => {
                if (this.ending) return;
                const due = Math.min(phase.concurrency, Math.floor(((performance.now() - t0) / rampMs) * phase.concurrency) + 1);
                while (started < due && this.alive.size + this.pendingMints - this.sessions < RAMP_MAX_PENDING_LOGINS) {
                  started++;
                  startUser();
                }
                if (started < phase.concurrency) setTimeout(rampTick, Math.max(1, rampMs / phase.concurrency));
              };
              rampTick();
            }
            arrivalTimer = setTimeout(endArrivals, phase.durationMs);
          }
        },
        Math.max(0, t0 - performance.now()),
      );
    });
  }

  private launch(spec: LoginSpec): void {
    const u = new VirtualUser(this, spec, this.options.target.host, this.options.target.port, this.request);
    this.alive.add(u);
    this.kindCounts(spec).attempts++;
    const cc = this.cohortCounts(spec);
    if (cc !== null) cc.attempts++;
  }

  /** Called by a user once its connection is over. */
  finished(u: VirtualUser): void {
    this.alive.delete(u);
    this.credentials.release(u.spec);
    this.slotFreed?.();
  }

  /** The name of `spec`'s cohort (population runs). */
  cohortName(spec: LoginSpec): string {
    return this.options.population?.cohorts[spec.cohort]?.name ?? "?";
  }

  /** The counts of `spec`'s cohort, or null outside a population run. */
  cohortCounts(spec: LoginSpec): CohortCounts | null {
    return spec.cohort < 0 ? null : this.cohortCountsAt(spec.cohort);
  }

  cohortCountsAt(cohort: number): CohortCounts {
    const name = this.options.population?.cohorts[cohort]?.name ?? "?";
    let c = this.tally.byCohort[name];
    if (c === undefined) this.tally.byCohort[name] = c = emptyCohortCounts();
    return c;
  }

  /** The per-kind login counts of `spec`'s kind. */
  kindCounts(spec: LoginSpec): KindCounts {
    // An invalid appid draw carries a (bad) 007 token: it is counted with the 007 ones.
    const key = spec.invalid ? `${spec.kind === "token006" ? "token006" : "token007"}:invalid` : spec.kind;
    let c = this.tally.byKind[key];
    if (c === undefined) this.tally.byKind[key] = c = { attempts: 0, accepted: 0, refused: 0, errors: 0 };
    return c;
  }

  record(kind: LatencyKind, ms: number): void {
    recordMs(this.histograms[kind], ms);
  }

  /** A request of `op` got no reply (`kind` says why). */
  error(op: LoadOp, kind: string): void {
    const c = this.tally[op];
    c.errors++;
    bump(c.errorsBy, kind);
    this.unexpected(`${op} error: ${kind}`);
  }

  unexpected(what: string, cohort: CohortCounts | null = null): void {
    this.tally.unexpected++;
    bump(this.tally.unexpectedBy, what);
    if (cohort !== null) cohort.unexpected++;
  }
}
