/**
 * The population runner: drives a {@link Population} against a gateway over real WebSockets, one
 * step at a time, on a clock the caller moves (the migration rehearsal sets the gateway's
 * simulated clock, then calls {@link PopulationRunner.step} with the same time).
 *
 * A step at simulated time `now` does, in this order (docs/population.md, "The population runner"):
 *
 * 1. every client whose session the gateway ended since the last step logs in again
 *    (`reconnect: "next_step"`) or returns to its cohort's pool (`"never"`);
 * 2. every holding client whose hold is over (`now ≥ login time + holdSeconds`) logs out and
 *    closes; every other holding client whose renewal falls before the next step
 *    (`expiresAt − renewBeforeExpirySeconds ≤ next`) renews with a token minted at `now`;
 * 3. `logins` new clients are drawn by share (seeded), each an idle uid of its cohort's pool,
 *    and log in with a token minted at `now` (issue time = `now`, bugs applied: population.ts);
 *    a client with `holdSeconds: 0` logs out and closes at once, the others stay logged in.
 *
 * Every draw and every token is made before any I/O of the step, and clients return to their
 * pool after it in plan order, so one seed and one gateway behaviour give the same step results.
 * Requests run at most `concurrency` at a time; nothing waits on wall time except the bounded
 * reply timeout. Live sessions are bounded by the uid pools and by `maxLive`.
 */
import type { Profile } from "../../core/protocol/wire.js";
import { cohortUid, drawCohort, mintCohortToken, randomCertificate, type Cohort, type Population } from "./population.js";
import { RawWsConnection, type ClientSocket, type ConnectionFailure, type RawWsHandler } from "./raw-ws-connection.js";
import { seededRandom } from "./rng.js";
import { maskedTextFrame, upgradeRequest } from "./ws-frames.js";

/** Options of a {@link PopulationRunner}. */
export interface PopulationRunnerOptions {
  /** The gateway's WebSocket endpoint, `ws://HOST:PORT/PATH`. */
  readonly url: string;
  readonly appId: string;
  readonly profile: Profile;
  readonly population: Population;
  /**
   * The project's certificate (32 hex) for minting; may be null only when no cohort needs it
   * (App-ID and `wrong_certificate` cohorts only). Never logged, never in a result.
   */
  readonly certificate: string | null;
  /** The project's secondary certificate (32 hex), needed when a cohort signs with it (`certificate: "secondary"`). Never logged. */
  readonly secondaryCertificate?: string | null;
  /** Seeds the draws (cohort, uid, salts, the wrong certificate). */
  readonly seed: number;
  /** Clients doing I/O at once within a step (default 32, 1 … 1024). */
  readonly concurrency?: number;
  /** Longest wait for a connect, an upgrade or a reply, wall milliseconds (default 10000). */
  readonly timeoutMs?: number;
  /** Most clients logged in or in flight at once (default 10000, 1 … 100000); further draws are skipped. */
  readonly maxLive?: number;
  /**
   * How a client connects, instead of a socket to `url`: a {@link ClientSocket} reporting to the
   * given handler. The rehearsal's own gateway (docs/rehearsal.md) passes its in-process peer
   * (gateway/ws/in-process-peer.ts). Default: a WebSocket over TCP to `url`.
   */
  readonly connect?: (handler: RawWsHandler) => ClientSocket;
  /**
   * This runner's share of every cohort's uid pool: only uid indices `i` with `i % count === index`.
   * Several runners (one per gateway) with the same population and distinct shards never log in
   * the same uid. Default: the whole pool.
   */
  readonly uidShard?: { readonly index: number; readonly count: number };
}

/** What one cohort did in one step (or, from {@link PopulationRunner.totals}, in all of them). */
export interface CohortStepResult {
  /** Logins sent: new clients and reconnects. */
  logins: number;
  /** Of `logins`, the clients logging in again after the gateway ended their session. */
  reconnects: number;
  accepted: number;
  /** Refused logins, reason → count. */
  refused: Record<string, number>;
  /** Refused logins, reason → `"code NAME"` of the profile → count (e.g. `"6 LOGIN_ERR_..."`). */
  refusedCodes: Record<string, Record<string, number>>;
  /** Draws of this cohort with no login: every uid of its pool was busy, or `maxLive` was reached. */
  skipped: number;
  /** renewToken requests sent. */
  renewals: number;
  /** Refused renewals, reason → count (a refused client does not retry; its session runs to its expiry). */
  renewRefused: Record<string, number>;
  /** Logouts the gateway accepted. */
  logouts: number;
  /**
   * Sessions the gateway ended, reason → count: `session_token_expired` (4503), `remote_login`
   * (4501), `banned` (4502), `shutting_down` (4002), `protocol_violation` (4500), `connection_lost`
   * (the socket ended without a close frame), `close_N` for any other code.
   */
  ended: Record<string, number>;
  /** Requests that got no answer, kind → count (e.g. `login timeout`, `login connect ECONNREFUSED`, `logout refused uid_mismatch`). */
  errors: Record<string, number>;
  /** Sessions held at the end of the step (totals: now). */
  live: number;
}

/** The result of one step. */
export interface PopulationStepResult {
  /** The step's simulated time, Unix seconds. */
  readonly at: number;
  /** Cohort name → what it did since the previous step (events the gateway caused in between included). */
  readonly cohorts: Record<string, CohortStepResult>;
  /** Wall milliseconds the step took. */
  readonly wallMs: number;
}

/** Options of one step. */
export interface StepOptions {
  /**
   * The simulated time of the next step, when the caller knows it: a holding client whose renewal
   * falls before it renews now. Default: now + the length of the last step (0 for the first).
   */
  readonly nextSeconds?: number;
}

/** An empty cohort result. */
export function emptyCohortStep(): CohortStepResult {
  return { logins: 0, reconnects: 0, accepted: 0, refused: {}, refusedCodes: {}, skipped: 0, renewals: 0, renewRefused: {}, logouts: 0, ended: {}, errors: {}, live: 0 };
}

const bump = (r: Record<string, number>, k: string, by = 1): void => {
  r[k] = (r[k] ?? 0) + by;
};

/** Adds `from` into `into` (live excepted: the caller sets it). */
function addCohortStep(into: CohortStepResult, from: CohortStepResult): void {
  into.logins += from.logins;
  into.reconnects += from.reconnects;
  into.accepted += from.accepted;
  into.skipped += from.skipped;
  into.renewals += from.renewals;
  into.logouts += from.logouts;
  for (const [k, n] of Object.entries(from.refused)) bump(into.refused, k, n);
  for (const [k, codes] of Object.entries(from.refusedCodes)) for (const [c, n] of Object.entries(codes)) bump((into.refusedCodes[k] ??= {}), c, n);
  for (const [k, n] of Object.entries(from.renewRefused)) bump(into.renewRefused, k, n);
  for (const [k, n] of Object.entries(from.ended)) bump(into.ended, k, n);
  for (const [k, n] of Object.entries(from.errors)) bump(into.errors, k, n);
}

/** The session-end reason of a close code. */
export function endReason(code: number): string {
  switch (code) {
    case 4501:
      return "remote_login";
    case 4502:
      return "banned";
    case 4503:
      return "session_token_expired";
    case 4002:
      return "shutting_down";
    case 4500:
      return "protocol_violation";
    case 1006:
      return "connection_lost";
    default:
      return `close_${code}`;
  }
}

/** A reply, reduced to what the runner reads. */
interface Reply {
  readonly kind: "reply";
  readonly ok: boolean;
  readonly reason: string;
  readonly code: string;
  readonly expiresAt: number | null;
}
/** No reply: the connection closed (by the server: `byServer`) or the wait timed out. */
interface NoReply {
  readonly kind: "closed" | "timeout";
  readonly code: number;
  readonly byServer: boolean;
  readonly failure: ConnectionFailure | null;
}

/** One client's connection, with promise-shaped requests (one at a time). */
class ClientConnection implements RawWsHandler {
  private readonly conn: ClientSocket;
  private readonly timeoutMs: number;
  private opened: ((ok: boolean) => void) | null = null;
  private pending: { id: number; resolve: (r: Reply | NoReply) => void; timer: NodeJS.Timeout } | null = null;
  private closedResolve: (() => void) | null = null;
  private readonly closedPromise: Promise<void>;
  closeInfo: NoReply | null = null;
  /** Called when the server ends the connection while no request waits. */
  onIdleClose: ((info: NoReply) => void) | null = null;
  private closingByUs = false;

  constructor(connect: (handler: RawWsHandler) => ClientSocket, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.closedPromise = new Promise<void>((r) => (this.closedResolve = r));
    this.conn = connect(this);
  }

  /** Resolves true once upgraded, false when the connection failed first (closeInfo says why). */
  open(): Promise<boolean> {
    if (this.closeInfo !== null) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.opened = null;
        this.conn.destroy("timeout");
        resolve(false);
      }, this.timeoutMs);
      this.opened = (ok) => {
        clearTimeout(timer);
        this.opened = null;
        resolve(ok);
      };
    });
  }

  /** Sends `frame` and resolves with the reply of request `id`, or why none came. */
  request(frame: Buffer, id: number): Promise<Reply | NoReply> {
    if (this.closeInfo !== null) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.closingByUs = true;
        this.conn.destroy("timeout");
        resolve({ kind: "timeout", code: 1006, byServer: false, failure: null });
      }, this.timeoutMs);
      this.pending = { id, resolve, timer };
      this.conn.send(frame);
    });
  }

  /** Starts the close handshake and resolves once the socket is gone (destroyed after the timeout). */
  close(): Promise<void> {
    if (this.closeInfo === null) {
      this.closingByUs = true;
      this.conn.close();
      const timer = setTimeout(() => this.conn.destroy("timeout"), this.timeoutMs);
      void this.closedPromise.then(() => clearTimeout(timer));
    }
    return this.closedPromise;
  }

  onOpen(): void {
    this.opened?.(true);
  }

  onText(b: Buffer, start: number, end: number): void {
    const p = this.pending;
    if (p === null) return;
    let v: unknown;
    try {
      v = JSON.parse(b.toString("utf8", start, end));
    } catch {
      return;
    }
    if (typeof v !== "object" || v === null) return;
    const r = v as { id?: unknown; ok?: unknown; result?: { expiresAt?: unknown } | null; error?: { code?: unknown; name?: unknown; reason?: unknown } | null };
    if (r.id !== p.id || typeof r.ok !== "boolean") return;
    clearTimeout(p.timer);
    this.pending = null;
    const err = typeof r.error === "object" && r.error !== null ? r.error : {};
    const expiresAt = r.ok && typeof r.result === "object" && r.result !== null && typeof r.result.expiresAt === "number" ? r.result.expiresAt : null;
    p.resolve({
      kind: "reply",
      ok: r.ok,
      reason: r.ok ? "ok" : typeof err.reason === "string" ? err.reason : "unknown",
      code: r.ok ? "" : `${typeof err.code === "number" ? err.code : "?"} ${typeof err.name === "string" ? err.name : "?"}`,
      expiresAt,
    });
  }

  onClose(code: number, byServer: boolean, failure: ConnectionFailure | null): void {
    const info: NoReply = { kind: "closed", code, byServer, failure };
    this.closeInfo = info;
    this.opened?.(false);
    const p = this.pending;
    this.pending = null;
    if (p !== null) {
      clearTimeout(p.timer);
      p.resolve(info);
    } else if (!this.closingByUs) this.onIdleClose?.(info);
    this.closedResolve?.();
  }
}

/** Client states (an idle client has no record: its index is in its cohort's pool). */
type ClientState = "busy" | "live" | "ended";

interface Client {
  readonly cohort: number;
  readonly index: number;
  readonly uid: string;
  state: ClientState;
  conn: ClientConnection | null;
  /** The expiry the gateway applies (its login or renew reply), null for App-ID sessions. */
  expiresAt: number | null;
  holdUntil: number;
  /** False once a renewal was refused: the client lets its session run out. */
  renews: boolean;
  /** Counted among its cohort's live sessions. */
  held: boolean;
  nextId: number;
  /** Set by an operation that leaves the client idle (back to the pool after the step). */
  release: boolean;
}

/** An operation of a step, planned (token included) before any I/O. */
type Operation =
  | { readonly op: "login"; readonly client: Client; readonly frame: Buffer; readonly reconnect: boolean }
  | { readonly op: "renew"; readonly client: Client; readonly frame: Buffer; readonly id: number }
  | { readonly op: "logout"; readonly client: Client };

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_LIVE = 10_000;

/** Drives a population against one project of a gateway, step by step. See the module comment. */
export class PopulationRunner {
  private readonly o: PopulationRunnerOptions;
  private readonly cohorts: readonly Cohort[];
  /** Opens one client connection: over TCP to `url`, or `options.connect`. */
  private readonly connect: (handler: RawWsHandler) => ClientSocket;
  private readonly random: () => number;
  private readonly wrongCertificate: string;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly maxLive: number;
  /** Per cohort: indices of idle clients ([0, idleCount) used); swap-remove picks. */
  private readonly idle: Int32Array[];
  private readonly idleCount: number[];
  /** Clients not idle, in the order they left their pool (the plan order of a step). */
  private readonly clients = new Map<string, Client>();
  private readonly liveBy: number[];
  /** Counts since the last step's result. */
  private acc: CohortStepResult[];
  private readonly total: CohortStepResult[];
  private lastNow: number | null = null;
  private lastLength = 0;
  private running = false;
  private closed = false;

  constructor(options: PopulationRunnerOptions) {
    this.o = options;
    this.cohorts = options.population.cohorts;
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`url ${JSON.stringify(options.url)} is not a URL`);
    }
    if (url.protocol !== "ws:") throw new TypeError("url must be ws://HOST:PORT/PATH");
    if (options.connect !== undefined) this.connect = options.connect;
    else {
      const host = url.hostname.replace(/^\[|\]$/g, "");
      const port = url.port === "" ? 80 : Number(url.port);
      const request = upgradeRequest({ host, port, path: `${url.pathname}${url.search}`, hostHeader: url.host });
      this.connect = (handler) => new RawWsConnection(host, port, request, handler);
    }
    const needsCertificate = this.cohorts.some((c) => c.credential === "token" && c.bug !== "wrong_certificate");
    if (needsCertificate && (options.certificate === null || !/^[0-9a-fA-F]{32}$/.test(options.certificate))) throw new TypeError("certificate must be 32 hex characters: a token cohort mints with it");
    const needsSecondary = this.cohorts.some((c) => c.certificate === "secondary" && c.bug !== "wrong_certificate");
    if (needsSecondary && (options.secondaryCertificate === undefined || options.secondaryCertificate === null || !/^[0-9a-fA-F]{32}$/.test(options.secondaryCertificate))) {
      throw new TypeError("secondaryCertificate must be 32 hex characters: a cohort signs with the secondary certificate");
    }
    const int = (v: number | undefined, name: string, fallback: number, min: number, max: number): number => {
      const x = v ?? fallback;
      if (!Number.isInteger(x) || x < min || x > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}]`);
      return x;
    };
    this.concurrency = int(options.concurrency, "concurrency", DEFAULT_CONCURRENCY, 1, 1024);
    this.timeoutMs = int(options.timeoutMs, "timeoutMs", DEFAULT_TIMEOUT_MS, 1, 600_000);
    this.maxLive = int(options.maxLive, "maxLive", DEFAULT_MAX_LIVE, 1, 100_000);
    this.random = seededRandom(options.seed);
    this.wrongCertificate = randomCertificate(this.random, options.certificate);
    const shard = options.uidShard ?? { index: 0, count: 1 };
    if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
      throw new RangeError("uidShard must have an integer count ≥ 1 and an index in [0, count)");
    }
    this.idle = this.cohorts.map((c) => Int32Array.from({ length: Math.max(0, Math.ceil((c.uids - shard.index) / shard.count)) }, (_, k) => shard.index + k * shard.count));
    this.idleCount = this.idle.map((pool) => pool.length);
    this.liveBy = this.cohorts.map(() => 0);
    this.acc = this.cohorts.map(() => emptyCohortStep());
    this.total = this.cohorts.map(() => emptyCohortStep());
  }

  /** Sessions held now, over every cohort. */
  get live(): number {
    return this.liveBy.reduce((s, n) => s + n, 0);
  }

  /**
   * Runs one step at simulated time `nowSeconds` (Unix seconds; the gateway's clock must read the
   * same) with `logins` new clients. Resolves when every request of the step was answered (or
   * timed out).
   *
   * @throws RangeError when `nowSeconds` is not an integer or is before the previous step's, or
   *   `logins` is not an integer in [0, 1000000]; Error when a step is still running or the runner is closed.
   */
  async step(nowSeconds: number, logins: number, options: StepOptions = {}): Promise<PopulationStepResult> {
    if (this.closed) throw new Error("the population runner is closed");
    if (this.running) throw new Error("a step is still running: await it first");
    if (!Number.isInteger(nowSeconds) || nowSeconds < 0) throw new RangeError("nowSeconds must be a whole number of Unix seconds");
    if (this.lastNow !== null && nowSeconds < this.lastNow) throw new RangeError(`nowSeconds ${nowSeconds} is before the previous step's ${this.lastNow}`);
    if (!Number.isInteger(logins) || logins < 0 || logins > 1_000_000) throw new RangeError("logins must be an integer in [0, 1000000]");
    if (options.nextSeconds !== undefined && !(Number.isFinite(options.nextSeconds) && options.nextSeconds >= nowSeconds)) throw new RangeError("nextSeconds must be at or after nowSeconds");
    this.running = true;
    const started = performance.now();
    try {
      // Let closes the gateway already sent (an advance of its clock) arrive before the plan.
      await new Promise<void>((r) => setImmediate(r));
      if (this.lastNow !== null) this.lastLength = nowSeconds - this.lastNow;
      this.lastNow = nowSeconds;
      const horizon = options.nextSeconds ?? nowSeconds + this.lastLength;
      const plan = this.plan(nowSeconds, logins, horizon);
      await this.execute(plan, nowSeconds);
      for (const { client } of plan) if (client.release) this.releaseClient(client);
      const cohorts: Record<string, CohortStepResult> = {};
      this.cohorts.forEach((c, i) => {
        const r = this.acc[i]!;
        r.live = this.liveBy[i]!;
        addCohortStep(this.total[i]!, r);
        cohorts[c.name] = r;
      });
      this.acc = this.cohorts.map(() => emptyCohortStep());
      return { at: nowSeconds, cohorts, wallMs: performance.now() - started };
    } finally {
      this.running = false;
    }
  }

  /**
   * Cumulative counts of every step so far (`live`: sessions held now). Events the gateway caused
   * since the last step (sessions it ended) are in the next step's result, and here already.
   */
  totals(): { readonly at: number | null; readonly cohorts: Record<string, CohortStepResult> } {
    const cohorts: Record<string, CohortStepResult> = {};
    this.cohorts.forEach((c, i) => {
      const r = emptyCohortStep();
      addCohortStep(r, this.total[i]!);
      addCohortStep(r, this.acc[i]!);
      r.live = this.liveBy[i]!;
      cohorts[c.name] = r;
    });
    return { at: this.lastNow, cohorts };
  }

  /** Closes every connection (no logout: the sessions end with the sockets). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const c of this.clients.values()) {
      if (c.conn !== null) {
        c.conn.onIdleClose = null;
        closing.push(c.conn.close());
      }
    }
    await Promise.all(closing);
  }

  private plan(now: number, logins: number, horizon: number): Operation[] {
    const plan: Operation[] = [];
    const ended: Client[] = [];
    for (const c of this.clients.values()) {
      if (c.state === "ended") ended.push(c);
      else if (c.state === "live") {
        const cohort = this.cohorts[c.cohort]!;
        if (now >= c.holdUntil) {
          c.state = "busy";
          plan.push({ op: "logout", client: c });
        } else if (c.renews && c.expiresAt !== null && cohort.renewBeforeExpirySeconds !== null && c.expiresAt - cohort.renewBeforeExpirySeconds <= horizon) {
          c.state = "busy";
          const id = c.nextId++;
          const token = this.mint(cohort, c.uid, now);
          plan.push({ op: "renew", client: c, id, frame: maskedTextFrame(`{"id":${id},"op":"renewToken","token":${JSON.stringify(token)}}`) });
        }
      }
    }
    for (const c of ended) {
      if (this.cohorts[c.cohort]!.reconnect === "never") {
        this.releaseClient(c);
        continue;
      }
      // Logged in again under the same uid: a new connection.
      c.state = "busy";
      plan.push({ op: "login", client: c, frame: this.loginFrame(c, now), reconnect: true });
    }
    for (let k = 0; k < logins; k++) {
      const ci = drawCohort(this.o.population, this.random());
      if (this.idleCount[ci] === 0 || this.clients.size >= this.maxLive) {
        this.acc[ci]!.skipped++;
        continue;
      }
      const pool = this.idle[ci]!;
      const n = this.idleCount[ci]!;
      const pick = Math.floor(this.random() * n);
      const index = pool[pick]!;
      pool[pick] = pool[n - 1]!;
      this.idleCount[ci] = n - 1;
      const uid = cohortUid(this.cohorts[ci]!, index);
      const c: Client = { cohort: ci, index, uid, state: "busy", conn: null, expiresAt: null, holdUntil: now, renews: true, held: false, nextId: 2, release: false };
      this.clients.set(uid, c);
      plan.push({ op: "login", client: c, frame: this.loginFrame(c, now), reconnect: false });
    }
    return plan;
  }

  private mint(cohort: Cohort, uid: string, now: number): string | null {
    return mintCohortToken(cohort, {
      appId: this.o.appId,
      certificate: this.o.certificate ?? this.wrongCertificate,
      secondaryCertificate: this.o.secondaryCertificate ?? null,
      wrongCertificate: this.wrongCertificate,
      uid,
      nowSeconds: now,
      salt: 1 + Math.floor(this.random() * (2 ** 32 - 2)),
    });
  }

  private loginFrame(c: Client, now: number): Buffer {
    const token = this.mint(this.cohorts[c.cohort]!, c.uid, now);
    return maskedTextFrame(
      `{"id":1,"op":"login","appId":${JSON.stringify(this.o.appId)},"uid":${JSON.stringify(c.uid)},"token":${token === null ? "null" : JSON.stringify(token)},"profile":"${this.o.profile}"}`,
    );
  }

  private async execute(plan: readonly Operation[], now: number): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < plan.length) {
        const op = plan[next++]!;
        if (op.op === "login") await this.login(op.client, op.frame, op.reconnect, now);
        else if (op.op === "renew") await this.renew(op.client, op.frame, op.id);
        else await this.logout(op.client);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, plan.length) }, lane));
  }

  private async login(c: Client, frame: Buffer, reconnect: boolean, now: number): Promise<void> {
    const cohort = this.cohorts[c.cohort]!;
    const a = this.acc[c.cohort]!;
    a.logins++;
    if (reconnect) a.reconnects++;
    c.renews = true;
    c.nextId = 2;
    const conn = new ClientConnection(this.connect, this.timeoutMs);
    c.conn = conn;
    if (!(await conn.open())) {
      const f = conn.closeInfo?.failure;
      bump(a.errors, f === null || f === undefined ? "login timeout" : `login ${f.kind} ${f.detail}`);
      await conn.close();
      return this.toIdle(c);
    }
    const reply = await conn.request(frame, 1);
    if (reply.kind !== "reply") {
      bump(a.errors, reply.kind === "timeout" ? "login timeout" : `login closed ${reply.code}`);
      await conn.close();
      return this.toIdle(c);
    }
    if (!reply.ok) {
      bump(a.refused, reply.reason);
      bump((a.refusedCodes[reply.reason] ??= {}), reply.code);
      await conn.close();
      return this.toIdle(c);
    }
    a.accepted++;
    c.expiresAt = reply.expiresAt;
    c.holdUntil = now + cohort.holdSeconds;
    if (cohort.holdSeconds === 0) return this.logout(c);
    c.state = "live";
    this.hold(c, true);
    conn.onIdleClose = (info) => this.endedByGateway(c, info);
  }

  private async renew(c: Client, frame: Buffer, id: number): Promise<void> {
    const a = this.acc[c.cohort]!;
    const conn = c.conn!;
    a.renewals++;
    const reply = await conn.request(frame, id);
    if (reply.kind !== "reply") return this.lost(c, reply, "renew");
    if (reply.ok) {
      if (reply.expiresAt !== null) c.expiresAt = reply.expiresAt;
    } else {
      bump(a.renewRefused, reply.reason);
      c.renews = false;
    }
    c.state = "live";
  }

  private async logout(c: Client): Promise<void> {
    const a = this.acc[c.cohort]!;
    const conn = c.conn!;
    const id = c.nextId++;
    const reply = await conn.request(maskedTextFrame(`{"id":${id},"op":"logout"}`), id);
    if (reply.kind !== "reply") return this.lost(c, reply, "logout");
    if (reply.ok) a.logouts++;
    else bump(a.errors, `logout refused ${reply.reason}`);
    this.hold(c, false);
    conn.onIdleClose = null;
    await conn.close();
    this.toIdle(c);
  }

  /** Counts `c` in (or out of) its cohort's live sessions. */
  private hold(c: Client, held: boolean): void {
    if (c.held === held) return;
    c.held = held;
    this.liveBy[c.cohort]! += held ? 1 : -1;
  }

  /** A renew or logout got no reply: the gateway ended the session, or the wait timed out. */
  private async lost(c: Client, reply: NoReply, op: "renew" | "logout"): Promise<void> {
    const a = this.acc[c.cohort]!;
    this.hold(c, false);
    c.conn!.onIdleClose = null;
    if (reply.kind === "closed" && reply.byServer) {
      bump(a.ended, endReason(reply.code));
      c.state = "ended";
      return;
    }
    bump(a.errors, reply.kind === "timeout" ? `${op} timeout` : `${op} closed ${reply.code}`);
    await c.conn!.close();
    this.toIdle(c);
  }

  /** The gateway closed a holding client's connection between requests. */
  private endedByGateway(c: Client, info: NoReply): void {
    if (c.state !== "live") return;
    this.hold(c, false);
    c.conn!.onIdleClose = null;
    bump(this.acc[c.cohort]!.ended, info.failure === null ? endReason(info.code) : "connection_lost");
    c.state = "ended";
  }

  private toIdle(c: Client): void {
    c.conn = null;
    c.release = true;
  }

  private releaseClient(c: Client): void {
    this.clients.delete(c.uid);
    c.conn = null;
    c.release = false;
    const n = this.idleCount[c.cohort]!;
    this.idle[c.cohort]![n] = c.index;
    this.idleCount[c.cohort] = n + 1;
  }
}
