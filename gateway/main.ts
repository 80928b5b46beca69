/**
 * The composition root: config → clock → store → registry/metrics → sessions → admin + HTTP
 * app → server. The only place that builds the infrastructure; everything else receives it.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import type { CertificateStore } from "../core/certificate/certificate-store.js";
import { MemoryCertificateStore } from "../core/certificate/certificate-store-memory.js";
import { RTM_PATH } from "../core/protocol/wire.js";
import type { LoginBroadcast } from "../core/session/login-broadcast.js";
import { warnIfAdminOpen } from "./admin/admin-auth.js";
import { readDecisionCounts } from "./admin/decision-counts.js";
import { createHttpApp } from "./admin/http-app.js";
import { createAdminRouter } from "./admin/router.js";
import { SimulatedClock } from "./clock/simulated-clock.js";
import { loadConfig, type GatewayConfig, type GatewayConfigInput } from "./config.js";
import { seedDevProjects } from "./dev-seed.js";
import { Drain } from "./drain.js";
import { createMetrics, type Metrics } from "./infra/metrics.js";
import type { RemoteLoginTuning } from "./infra/login-broadcast-redis.js";
import { startRedisBackend } from "./infra/redis-backend.js";
import { createLogger, type Logger } from "./logger.js";
import type { DecisionObserver } from "./sessions/decision.js";
import { GatewayHintFacts } from "./sessions/hint-facts.js";
import { ReadinessTracker } from "./migration/readiness.js";
import { RedisReadinessShare, type RedisReadinessShareOptions } from "./infra/readiness-redis.js";
import { RolloutController } from "./migration/rollout-controller.js";
import { followSlotSwaps } from "./migration/slot-swaps.js";
import { MemoryRolloutCounters, RedisRolloutCounters } from "./migration/rollout-counters.js";
import { DecisionJournal } from "./sessions/journal.js";
import { SessionManager, type SessionEventObserver } from "./sessions/session-manager.js";
import { createGatewayServer } from "./ws/server.js";

export interface GatewayOptions {
  /** Raw configuration, validated here. */
  readonly config?: GatewayConfigInput;
  readonly clock?: SimulatedClock;
  readonly store?: CertificateStore;
  /** Remote login across gateways (default: this gateway alone). */
  readonly broadcast?: LoginBroadcast;
  readonly logger?: Logger;
  readonly observers?: readonly DecisionObserver[];
  readonly sessionObservers?: readonly SessionEventObserver[];
  /** The Prometheus registry the metrics go on (default: a new one per gateway). */
  readonly registry?: Registry;
  /**
   * True while the certificate store can be read (`GET /readyz`; 503 otherwise). Default: always
   * ready (the memory store). A Redis store passes its own.
   */
  readonly readiness?: () => boolean;
  /** Whether Redis is reachable now; adds the `rtm_auth_redis_up` gauge. Default: no Redis, no gauge. */
  readonly redisUp?: () => boolean;
  /**
   * With Redis: how the readiness figures are shared with the other gateways (docs/migration.md,
   * "Several gateways"); the defaults are a write every 1000 ms and a 5000 ms TTL.
   */
  readonly readinessShare?: Omit<RedisReadinessShareOptions, "logger" | "keyPrefix">;
  /**
   * With Redis: the session ownership's heartbeat, live window, record lifetime and write batch
   * window (docs/redis.md, "Session ownership"); the defaults are a heartbeat every 1000 ms, a
   * 5000 ms live window, 900 s and a 20 ms batch window.
   */
  readonly remoteLogin?: RemoteLoginTuning;
}

/** A running gateway. */
export interface Gateway {
  readonly config: GatewayConfig;
  /** The WebSocket endpoint, e.g. ws://127.0.0.1:8080/rtm. */
  readonly url: string;
  /** The HTTP base, e.g. http://127.0.0.1:8080. */
  readonly httpUrl: string;
  readonly port: number;
  readonly clock: SimulatedClock;
  readonly store: CertificateStore;
  readonly sessions: SessionManager;
  readonly logger: Logger;
  /** The Prometheus registry served at `GET /metrics`. */
  readonly registry: Registry;
  readonly metrics: Metrics;
  /** The decision journal, or null when `journalSize` is 0. */
  readonly journal: DecisionJournal | null;
  /** The staged rollouts of the gateway's projects (docs/rollouts.md). */
  readonly rollouts: RolloutController;
  /**
   * The graceful drain, then the server and the store (docs/robustness.md): `/readyz` 503 and
   * upgrades and new admin requests refused at once; admin requests in flight finish; every
   * session gets close 4002; sockets get up to DRAIN_SECONDS in all to close; the rest are
   * destroyed. Resolves when everything is released. Idempotent.
   */
  close(): Promise<void>;
  /** True once close() has begun. */
  readonly draining: boolean;
}

/** The package version, for rtm_auth_build_info (gateway/main.ts in the tree, dist/gateway/main.js when built). */
function packageVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "rtm-auth-gateway" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not there in this layout; try the next.
    }
  }
  return "unknown";
}

// What an embedding needs besides startGateway (client/testing.ts may import this file only).
export { SimulatedClock } from "./clock/simulated-clock.js";
export type { GatewayConfig, GatewayConfigInput } from "./config.js";

/** Starts a gateway and resolves once it listens. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = loadConfig(options.config);
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? new SimulatedClock();
  // The store: given, or Redis when configured (shared by several gateways), or in memory.
  const redis = options.store === undefined && config.redisUrl !== undefined ? await startRedisBackend(config, logger, { nowSeconds: () => clock.nowSeconds(), ...(options.remoteLogin === undefined ? {} : { remoteLogin: options.remoteLogin }) }) : null;
  const store = options.store ?? redis?.store ?? new MemoryCertificateStore();
  const broadcast = options.broadcast ?? redis?.broadcast;
  const readiness = options.readiness ?? (redis === null ? undefined : () => redis.store.isReady());
  const redisUp = options.redisUp ?? (redis === null ? undefined : () => redis.store.status().connected);
  const remoteLogin = broadcast?.stats?.bind(broadcast);
  if (redis !== null) logger.info({ keyPrefix: config.redisKeyPrefix }, "certificate store: Redis");
  if (options.store === undefined && config.devSeed) await seedDevProjects(store, clock.nowSeconds());
  warnIfAdminOpen(config, logger);
  // Which behaviour the gateway emulates, visible at start (docs/fidelity.md).
  logger.info(
    { fidelity: config.fidelity, checkOrder: config.checkOrder, privilege006: config.privilege006, accept006RtcAsRtm: config.accept006RtcAsRtm, maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds },
    "fidelity",
  );

  const registry = options.registry ?? new Registry();
  const metrics = createMetrics({
    registry,
    // Read at scrape time, by when the session manager and the server below exist.
    sessions: () => sessions.sessionCount,
    sockets: () => gatewayServer.sockets(),
    ...(redisUp === undefined ? {} : { redisUp }),
    ...(remoteLogin === undefined ? {} : { remoteLogin }),
    version: packageVersion(),
  });
  const unsubscribeStore = store.onChange(metrics.onStoreChange);
  const unsubscribeReload = redis?.store.onReload(metrics.onCacheReload);
  // The journal reads the wall clock here, where the system time may be read (docs/architecture.md, "Time").
  const journal = config.journalSize === 0 ? null : new DecisionJournal(config.journalSize, Date.now);
  // Migration readiness per project, over a sliding window of the simulated clock (docs/migration.md).
  const migrationReadiness = new ReadinessTracker({ startedAt: clock.nowSeconds() });
  // What the diagnostic hints read (docs/hints.md); certificates are remembered by salted hash only.
  const hintFacts = new GatewayHintFacts({ store, journal, nowSeconds: () => clock.nowSeconds(), salt: randomBytes(32) });
  // Staged rollouts (docs/rollouts.md): cohort counts shared through Redis when there is one.
  const rollouts = new RolloutController({
    store,
    counters: redis === null ? new MemoryRolloutCounters() : new RedisRolloutCounters(redis.redis, { keyPrefix: config.redisKeyPrefix, logger }),
    now: () => clock.nowSeconds(),
    logger,
    tickMs: config.rolloutTickMs,
    onTransition: (appId, t) => {
      metrics.onRolloutTransition(t);
      journal?.recordRollout(appId, t, clock.nowSeconds());
    },
  });
  const unsubscribeRolloutClock = clock.onJump(() => void rollouts.tick());
  const sessions = new SessionManager({
    config,
    clock,
    store,
    ...(broadcast === undefined ? {} : { broadcast }),
    logger,
    observers: [metrics.decisionObserver, migrationReadiness.observer, rollouts.observer, ...(journal === null ? [] : [journal.observer]), ...(options.observers ?? [])],
    sessionObservers: [metrics.sessionObserver, ...(options.sessionObservers ?? [])],
    hintFacts,
  });

  // With Redis, every gateway's readiness figures are shared and merged (docs/migration.md, "Several gateways").
  const readinessShare =
    redis === null
      ? null
      : new RedisReadinessShare(
          { redis: redis.redis, tracker: migrationReadiness, sessions: () => sessions.list(), nowSeconds: () => clock.nowSeconds() },
          // One id per gateway in Redis: its ownership records' and its readiness snapshot's.
          { gatewayId: redis.gatewayId, ...options.readinessShare, keyPrefix: config.redisKeyPrefix, logger },
        );
  readinessShare?.start();

  // "Set as primary" moves what is kept by slot along with the certificates (docs/migration.md, "Readiness").
  const unsubscribeSwaps = followSlotSwaps(store, (appId) => {
    migrationReadiness.swapSlots(appId);
    sessions.swapSlots(appId);
  });
  const admin = createAdminRouter({
    config,
    store,
    clock,
    sessions,
    logger,
    journal,
    readiness: migrationReadiness,
    rollouts,
    // The console's live chart reads what the metrics already count (docs/console.md).
    decisionCounts: () => readDecisionCounts(registry),
  });
  const drain = new Drain();
  const storeReady = readiness ?? (() => true);
  const app = createHttpApp({
    admin,
    registry,
    ready: () => !drain.active && storeReady(),
    readyDetail: () => ({ projects: store.list().length, warning: redis?.store.readinessWarning() }),
    logger,
  });
  // Plain HTTP requests go to express; WebSocket upgrades never do (server.on("upgrade")).
  const gatewayServer = createGatewayServer({ config, sessions, logger, http: drain.wrap((req, res) => app(req, res)), observer: metrics.serverObserver });
  const { server, wss, dropHeldUpgrades } = gatewayServer;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;

  let closed: Promise<void> | null = null;
  return {
    config,
    url: `ws://${host}:${port}${RTM_PATH}`,
    httpUrl: `http://${host}:${port}`,
    port,
    clock,
    store,
    sessions,
    logger,
    registry,
    metrics,
    journal,
    rollouts,
    get draining() {
      return drain.active;
    },
    close: () => {
      closed ??= (async () => {
        const deadline = performance.now() + config.drainSeconds * 1000;
        drain.active = true;
        gatewayServer.stopUpgrades();
        logger.info({ sessions: sessions.sessionCount, adminInFlight: drain.inFlight }, "draining");
        // Admin requests already running finish (they may be writing to the store).
        await Drain.until(() => drain.inFlight === 0, deadline);
        sessions.shutdown();
        unsubscribeRolloutClock();
        unsubscribeSwaps();
        await rollouts.close();
        dropHeldUpgrades();
        unsubscribeStore();
        hintFacts.close();
        unsubscribeReload?.();
        wss.close();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Sessions got 4002; their sockets close as peers answer (or the close timeout ends them).
        const clean = await Drain.until(() => gatewayServer.sockets().websocket === 0, deadline);
        const destroyed = clean ? 0 : gatewayServer.destroyWebSockets();
        server.closeAllConnections();
        if (destroyed > 0) logger.warn({ destroyed }, "drain time over: sockets destroyed");
        await serverClosed;
        await readinessShare?.close();
        await broadcast?.close();
        await store.close();
        redis?.detachWarnings();
      })();
      return closed;
    },
  };
}
