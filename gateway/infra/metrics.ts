/**
 * The gateway's Prometheus metrics, on an INJECTED prom-client Registry (no global default
 * registry; the composition root builds it). Names and closed label sets follow Prometheus'
 * naming guidance: `_total` counters, base units (seconds), one `_info` gauge. Labels never carry
 * an App ID, a uid, a token or a certificate (cardinality and privacy; docs/architecture.md, "Observers"):
 * every label value is drawn from a closed list, and anything else (or null) becomes "none".
 *
 * | metric | type | labels | from |
 * |---|---|---|---|
 * | rtm_auth_attempts_total | counter | op, result, reason, mode, credential, slot, profile | DecisionObserver (login, renewToken, logout) |
 * | rtm_auth_duration_seconds | histogram | op | DecisionObserver (deciding time, wall clock) |
 * | rtm_auth_active_sessions | gauge | — | `sessions()` at scrape time (when given) |
 * | rtm_auth_session_closes_total | counter | code | SessionEventObserver (logged-in sessions) |
 * | rtm_auth_token_expiry_warnings_total | counter | — | SessionEventObserver (will_expire pushes) |
 * | rtm_auth_token_expiries_total | counter | — | session_end decisions, reason session_token_expired |
 * | rtm_auth_certificate_cache_events_total | counter | event | store.onChange ("change"), reloads ("reload") |
 * | rtm_auth_shadow_decisions_total | counter | target, result, reason | DecisionObserver: logins and renews decided again against a shadow target (docs/migration.md) |
 * | rtm_auth_rollout_transitions_total | counter | cause, status | RolloutController: transitions of staged rollouts this gateway made (docs/rollouts.md) |
 * | rtm_auth_redis_up | gauge | — | `redisUp()` at scrape time (only when given) |
 * | rtm_auth_remote_login_messages_total | counter | direction | `remoteLogin()` at scrape time (only when given): remote-login messages sent to, and received from, another gateway (docs/redis.md, "Session ownership") |
 * | rtm_auth_session_owner_writes_total | counter | previous_owner | `remoteLogin()`: ownership records written at login, by what the record held (none, this_gateway, live_gateway, dead_gateway; newer_login: a newer login keeps the record) |
 * | rtm_auth_session_owner_write_failures_total | counter | — | `remoteLogin()`: ownership records that could not be written |
 * | rtm_auth_open_sockets | gauge | kind | `sockets()` at scrape time (when given): "websocket" (upgraded, until the descriptor is released), "other" |
 * | rtm_auth_backpressure_pauses_total | counter | reason | ServerObserver: a connection's reading paused (write_buffer, pending_requests, ping_budget) |
 * | rtm_auth_upgrades_refused_total | counter | reason | ServerObserver: an upgrade refused (draining, not_found, max_connections, per_ip_connections, per_ip_rate) |
 * | rtm_auth_build_info | gauge (= 1) | version, node | build |
 * | process_*, nodejs_* | | | prom-client default metrics |
 */
import { collectDefaultMetrics, Counter, Gauge, type Registry } from "prom-client";
import { AUTH_MODES } from "../../core/certificate/project.js";
import { REASONS } from "../../core/errors.js";
import { CLOSE, PROFILES } from "../../core/protocol/wire.js";
import type { ShadowOutcome } from "../../core/protocol/admin.js";
import type { LoginBroadcastStats } from "../../core/session/login-broadcast.js";
import { ROLLOUT_STATUSES, TRANSITION_CAUSES, type RolloutTransition } from "../../core/rollout/rollout.js";
import type { Decision, DecisionObserver } from "../sessions/decision.js";
import type { SessionEventObserver } from "../sessions/session-manager.js";
import { UPGRADE_REFUSALS, type ServerObserver } from "../ws/server.js";
import type { SocketCounts } from "../ws/socket-accounting.js";
import { PAUSE_REASONS } from "../ws/transport.js";
import { PendingCounter, SingleLabelHistogram } from "./fast-metrics.js";

/** The `target` label values of rtm_auth_shadow_decisions_total. */
const SHADOW_TARGETS = ["token_only", "delete_primary", "delete_secondary"] as const;

/** The value of a label outside its closed set. */
export const NONE = "none";

/** The closed set of every label's values (besides "none"). */
export const LABEL_VALUES = {
  op: ["connect", "login", "renewToken", "logout"],
  result: ["accepted", "refused", "unanswered", "dropped"],
  reason: REASONS,
  mode: AUTH_MODES,
  credential: ["appid", "token"],
  slot: ["primary", "secondary"],
  profile: PROFILES,
  /** WebSocket close codes worth a series; any other code is counted as "other". */
  code: ["1000", "1001", "1005", "1006", "1009", ...Object.values(CLOSE).filter((c) => c >= 4000).map(String)],
  event: ["change", "reload"],
  pause: PAUSE_REASONS,
  refusal: UPGRADE_REFUSALS,
} as const;

/** Sub-millisecond to 100 ms: a login decision is tens of microseconds. */
export const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] as const;

/** The metric table. */
export const METRICS = {
  attempts: {
    name: "rtm_auth_attempts_total",
    help: "Connects (when a fault decided them), logins, renewToken and logout requests decided, by operation, result (accepted, refused, unanswered or dropped by a fault), reason (docs/reasons.md), auth mode, credential, certificate slot and SDK profile.",
    labelNames: ["op", "result", "reason", "mode", "credential", "slot", "profile"],
  },
  duration: {
    name: "rtm_auth_duration_seconds",
    help: "Time spent deciding a request, seconds (wall clock).",
    labelNames: ["op"],
  },
  activeSessions: { name: "rtm_auth_active_sessions", help: "Logged-in sessions on this gateway.", labelNames: [] },
  sessionCloses: {
    name: "rtm_auth_session_closes_total",
    help: 'Logged-in sessions whose socket closed, by WebSocket close code ("other" for codes outside the known set).',
    labelNames: ["code"],
  },
  expiryWarnings: { name: "rtm_auth_token_expiry_warnings_total", help: "tokenPrivilegeWillExpire pushes sent.", labelNames: [] },
  expiries: { name: "rtm_auth_token_expiries_total", help: "Sessions ended because their token expired (close 4503).", labelNames: [] },
  cacheEvents: {
    name: "rtm_auth_certificate_cache_events_total",
    help: 'Certificate cache events: "change" (a project changed, locally or remotely), "reload" (full reload from the store).',
    labelNames: ["event"],
  },
  shadowDecisions: {
    name: "rtm_auth_shadow_decisions_total",
    help: "Logins and renews decided again against their project's shadow target (token_only, delete_primary, delete_secondary), by the shadow result and reason; the client saw only the real outcome.",
    labelNames: ["target", "result", "reason"],
  },
  openSockets: {
    name: "rtm_auth_open_sockets",
    help: 'TCP sockets open, counted until their descriptor is released: "websocket" (upgraded or upgrading, closing ones included; bounded by MAX_CONNECTIONS) and "other" (plain HTTP, or not yet a full request).',
    labelNames: ["kind"],
  },
  backpressurePauses: {
    name: "rtm_auth_backpressure_pauses_total",
    help: "Times the gateway stopped reading a connection: write_buffer (unsent frames over MAX_BUFFERED_BYTES), pending_requests (MAX_PENDING_REQUESTS waiting behind a delay), ping_budget (over PINGS_PER_SECOND).",
    labelNames: ["reason"],
  },
  upgradesRefused: {
    name: "rtm_auth_upgrades_refused_total",
    help: "WebSocket upgrades refused before the handshake, by reason: draining (503), not_found (404), max_connections (503), per_ip_connections (429), per_ip_rate (429).",
    labelNames: ["reason"],
  },
  rolloutTransitions: {
    name: "rtm_auth_rollout_transitions_total",
    help: "Transitions of staged rollouts made by this gateway, by cause (start, advance, auto_advance, guard, rollback, pause, resume, abort, complete, awaiting_confirmation, final_step_refused) and the status after it.",
    labelNames: ["cause", "status"],
  },
  redisUp: { name: "rtm_auth_redis_up", help: "1 while the Redis certificate store is reachable, else 0.", labelNames: [] },
  remoteLoginMessages: {
    name: "rtm_auth_remote_login_messages_total",
    help: 'Remote-login messages: "sent" to the one other gateway whose session a login here replaced, "received" from another gateway (docs/redis.md, "Session ownership").',
    labelNames: ["direction"],
  },
  ownerWrites: {
    name: "rtm_auth_session_owner_writes_total",
    help: "Session ownership records written at login, by their previous owner: none, this_gateway, live_gateway (a message was sent to it), dead_gateway (taken over without a message), or newer_login (the record names a newer login, which keeps it; the session here ended).",
    labelNames: ["previous_owner"],
  },
  ownerWriteFailures: {
    name: "rtm_auth_session_owner_write_failures_total",
    help: "Session ownership records that could not be written (Redis unreachable or refusing); the login itself succeeded.",
    labelNames: [],
  },
  buildInfo: { name: "rtm_auth_build_info", help: "Always 1; the labels name the gateway version and the Node.js version.", labelNames: ["version", "node"] },
} as const;

export interface MetricsOptions {
  /** The registry every metric is registered on. */
  readonly registry: Registry;
  /** Logged-in sessions now; registers rtm_auth_active_sessions when given. */
  readonly sessions?: () => number;
  /** Whether Redis is reachable now; registers rtm_auth_redis_up when given (no Redis, no gauge). */
  readonly redisUp?: () => boolean;
  /** The login broadcast's counters; registers the remote-login and ownership metrics when given (Redis only). */
  readonly remoteLogin?: () => LoginBroadcastStats;
  /** Open sockets now; registers rtm_auth_open_sockets when given. */
  readonly sockets?: () => SocketCounts;
  /** The gateway version for rtm_auth_build_info. Default "unknown". */
  readonly version?: string;
  /** Register prom-client's process and Node.js metrics. Default true. */
  readonly defaultMetrics?: boolean;
}

/** The metrics and the hooks that feed them. */
export interface Metrics {
  readonly registry: Registry;
  /** Pass to the SessionManager's `observers`. */
  readonly decisionObserver: DecisionObserver;
  /** Pass to the SessionManager's `sessionObservers`. */
  readonly sessionObserver: SessionEventObserver;
  /** Pass to `store.onChange` (the App ID is not recorded). */
  readonly onStoreChange: (appId: string) => void;
  /** Call after a full reload of the certificate cache. */
  readonly onCacheReload: () => void;
  /** Pass to the gateway server (backpressure pauses, refused upgrades). */
  readonly serverObserver: ServerObserver;
  /** Call after each rollout transition this gateway made. */
  readonly onRolloutTransition: (t: RolloutTransition) => void;
}

/** `value` if it belongs to `allowed`, else "none". */
function closed(value: string | null | undefined, allowed: readonly string[]): string {
  return value !== null && value !== undefined && allowed.includes(value) ? value : NONE;
}

/** Creates every metric on `options.registry` and returns the hooks that feed them. */
export function createMetrics(options: MetricsOptions): Metrics {
  const { registry } = options;
  const registers = [registry];
  const L = LABEL_VALUES;

  // The two metrics fed on every decision keep plain counts and reach prom-client at scrape time.
  const attempts = new Counter({
    ...METRICS.attempts,
    labelNames: [...METRICS.attempts.labelNames],
    registers,
    collect() {
      pendingAttempts.flush();
    },
  });
  const pendingAttempts = new PendingCounter<Record<(typeof METRICS.attempts.labelNames)[number], string>>(attempts);
  const duration = new SingleLabelHistogram({ ...METRICS.duration, labelName: "op", buckets: DURATION_BUCKETS, registers });
  // Closes of logged-in sessions: plain counts per close code (one array slot per code of the
  // closed set, the last one "other"), folded into prom-client at scrape time (no label hashing per close).
  const closeCodes: readonly string[] = [...L.code, "other"];
  const pendingCloses = new Float64Array(closeCodes.length);
  const sessionCloses = new Counter({
    ...METRICS.sessionCloses,
    labelNames: [...METRICS.sessionCloses.labelNames],
    registers,
    collect() {
      for (let i = 0; i < pendingCloses.length; i++) {
        const n = pendingCloses[i] as number;
        if (n === 0) continue;
        this.inc({ code: closeCodes[i] as string }, n);
        pendingCloses[i] = 0;
      }
    },
  });
  const expiryWarnings = new Counter({ ...METRICS.expiryWarnings, labelNames: [], registers });
  const expiries = new Counter({ ...METRICS.expiries, labelNames: [], registers });
  const cacheEvents = new Counter({ ...METRICS.cacheEvents, labelNames: [...METRICS.cacheEvents.labelNames], registers });
  const buildInfo = new Gauge({ ...METRICS.buildInfo, labelNames: [...METRICS.buildInfo.labelNames], registers });
  buildInfo.set({ version: options.version ?? "unknown", node: process.version }, 1);

  // Zero-initialise the small closed sets so rate() sees the first increment.
  for (const event of L.event) cacheEvents.inc({ event }, 0);
  for (const code of closeCodes) sessionCloses.inc({ code }, 0);
  // Shadow outcomes are interned objects (gateway/sessions/shadow.ts): counted by identity, no key built per login.
  const pendingShadow = new Map<ShadowOutcome, number>();
  new Counter({
    ...METRICS.shadowDecisions,
    labelNames: [...METRICS.shadowDecisions.labelNames],
    registers,
    collect() {
      for (const [o, n] of pendingShadow) {
        if (n === 0) continue;
        this.inc({ target: closed(o.target, SHADOW_TARGETS), result: closed(o.result, L.result), reason: closed(o.reason, L.reason) }, n);
        pendingShadow.set(o, 0);
      }
    },
  });
  const rolloutTransitions = new Counter({ ...METRICS.rolloutTransitions, labelNames: [...METRICS.rolloutTransitions.labelNames], registers });
  const pauses = new Counter({ ...METRICS.backpressurePauses, labelNames: [...METRICS.backpressurePauses.labelNames], registers });
  const refusals = new Counter({ ...METRICS.upgradesRefused, labelNames: [...METRICS.upgradesRefused.labelNames], registers });
  for (const reason of L.pause) pauses.inc({ reason }, 0);
  for (const reason of L.refusal) refusals.inc({ reason }, 0);
  const sockets = options.sockets;
  if (sockets !== undefined) {
    new Gauge({
      ...METRICS.openSockets,
      labelNames: [...METRICS.openSockets.labelNames],
      registers,
      collect() {
        const c = sockets();
        this.set({ kind: "websocket" }, c.websocket);
        this.set({ kind: "other" }, c.total - c.websocket);
      },
    });
  }

  const sessionCount = options.sessions;
  if (sessionCount !== undefined) {
    new Gauge({
      ...METRICS.activeSessions,
      labelNames: [],
      registers,
      collect() {
        this.set(sessionCount());
      },
    });
  }
  const redisUp = options.redisUp;
  if (redisUp !== undefined) {
    new Gauge({
      ...METRICS.redisUp,
      labelNames: [],
      registers,
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
  }
  const remoteLogin = options.remoteLogin;
  if (remoteLogin !== undefined) registerRemoteLogin(remoteLogin, registers);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // The label tuple of the previous decision and its pending count: a run of alike decisions (a
  // load test's logins) is counted without building or hashing a key.
  let last: Decision | null = null;
  let lastCount: { n: number } | null = null;
  const decisionObserver: DecisionObserver = (d: Decision) => {
    if (d.op === "session_end") {
      if (d.reason === "session_token_expired") expiries.inc();
      return;
    }
    if (
      last !== null &&
      lastCount !== null &&
      d.op === last.op &&
      d.result === last.result &&
      d.reason === last.reason &&
      d.mode === last.mode &&
      d.credential === last.credential &&
      d.slot === last.slot &&
      d.profile === last.profile
    ) {
      lastCount.n++;
    } else {
      lastCount = pendingAttempts.inc(`${d.op} ${d.result} ${d.reason} ${d.mode} ${d.credential} ${d.slot} ${d.profile}`, () => ({
        op: closed(d.op, L.op),
        result: closed(d.result, L.result),
        reason: closed(d.reason, L.reason),
        mode: closed(d.mode, L.mode),
        credential: closed(d.credential, L.credential),
        slot: closed(d.slot, L.slot),
        profile: closed(d.profile, L.profile),
      }));
      // Only the label fields are compared later; keep them, not the decision (it may carry a token).
      last = { op: d.op, result: d.result, reason: d.reason, mode: d.mode, credential: d.credential, slot: d.slot, profile: d.profile } as Decision;
    }
    if (Number.isFinite(d.latencyMs) && d.latencyMs >= 0) duration.observe(closed(d.op, L.op), d.latencyMs / 1000);
    const shadow = d.shadow;
    if (shadow !== undefined && shadow !== null) pendingShadow.set(shadow, (pendingShadow.get(shadow) ?? 0) + 1);
  };

  const closeCodeIndex = new Map<number, number>(L.code.map((c, i) => [Number(c), i]));
  const sessionObserver: SessionEventObserver = (e) => {
    if (e.type === "will_expire") expiryWarnings.inc();
    else if (e.loggedIn) {
      let i = closeCodeIndex.get(e.code);
      if (i === undefined) i = closeCodes.length - 1;
      pendingCloses[i] = (pendingCloses[i] as number) + 1;
    }
  };

  return {
    registry,
    decisionObserver,
    sessionObserver,
    onStoreChange: () => cacheEvents.inc({ event: "change" }),
    onCacheReload: () => cacheEvents.inc({ event: "reload" }),
    serverObserver: {
      backpressure: (reason) => pauses.inc({ reason }),
      upgradeRefused: (reason) => refusals.inc({ reason }),
    },
    onRolloutTransition: (t) => rolloutTransitions.inc({ cause: closed(t.cause, TRANSITION_CAUSES), status: closed(t.status, ROLLOUT_STATUSES) }),
  };
}

/**
 * The remote-login counters: the broadcast keeps plain totals (nothing on the login path touches
 * prom-client); each scrape adds what they grew by since the previous one.
 */
function registerRemoteLogin(read: () => LoginBroadcastStats, registers: Registry[]): void {
  const seen = { sent: 0, received: 0, none: 0, thisGateway: 0, liveGateway: 0, deadGateway: 0, newerLogin: 0, failures: 0 };
  const grow = (field: keyof typeof seen, now: number): number => {
    const d = now - seen[field];
    seen[field] = now;
    return d > 0 ? d : 0;
  };
  new Counter({
    ...METRICS.remoteLoginMessages,
    labelNames: [...METRICS.remoteLoginMessages.labelNames],
    registers,
    collect() {
      const s = read();
      this.inc({ direction: "sent" }, grow("sent", s.messagesSent));
      this.inc({ direction: "received" }, grow("received", s.messagesReceived));
    },
  });
  new Counter({
    ...METRICS.ownerWrites,
    labelNames: [...METRICS.ownerWrites.labelNames],
    registers,
    collect() {
      const w = read().ownerWrites;
      this.inc({ previous_owner: "none" }, grow("none", w.none));
      this.inc({ previous_owner: "this_gateway" }, grow("thisGateway", w.thisGateway));
      this.inc({ previous_owner: "live_gateway" }, grow("liveGateway", w.liveGateway));
      this.inc({ previous_owner: "dead_gateway" }, grow("deadGateway", w.deadGateway));
      this.inc({ previous_owner: "newer_login" }, grow("newerLogin", w.newerLogin));
    },
  });
  new Counter({
    ...METRICS.ownerWriteFailures,
    labelNames: [],
    registers,
    collect() {
      this.inc(grow("failures", read().ownerWriteFailures));
    },
  });
}
