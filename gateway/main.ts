/**
 * The composition root: config → clock → store → sessions → server. The only place that builds
 * the infrastructure; everything else receives it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CertificateStore } from "../core/certificate/certificate-store.js";
import { MemoryCertificateStore } from "../core/certificate/certificate-store-memory.js";
import { RTM_PATH } from "../core/protocol/wire.js";
import { SimulatedClock } from "./clock/simulated-clock.js";
import { loadConfig, type GatewayConfig, type GatewayConfigInput } from "./config.js";
import { seedDevProjects } from "./dev-seed.js";
import { createLogger, type Logger } from "./logger.js";
import type { DecisionObserver } from "./sessions/decision.js";
import { SessionManager, type SessionEventObserver } from "./sessions/session-manager.js";
import { createGatewayServer } from "./ws/server.js";

export interface GatewayOptions {
  /** Raw configuration, validated here. */
  readonly config?: GatewayConfigInput;
  readonly clock?: SimulatedClock;
  readonly store?: CertificateStore;
  readonly logger?: Logger;
  readonly observers?: readonly DecisionObserver[];
  readonly sessionObservers?: readonly SessionEventObserver[];
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
  /** Closes every connection with 4002, then the server and the store. */
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Starts a gateway and resolves once it listens. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = loadConfig(options.config);
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? new SimulatedClock();
  const store = options.store ?? new MemoryCertificateStore();
  if (options.store === undefined && config.devSeed) await seedDevProjects(store, clock.nowSeconds());
  const sessions = new SessionManager({ config, clock, store, logger, observers: options.observers ?? [], sessionObservers: options.sessionObservers ?? [] });

  const http = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") return json(res, 200, { status: "ok" });
    if (path === RTM_PATH) return json(res, 426, { error: { code: "upgrade_required", message: "connect with a WebSocket" } });
    json(res, 404, { error: { code: "not_found", message: "no such route" } });
  };
  const { server, wss } = createGatewayServer({ config, sessions, logger, http });

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
    close: () => {
      closed ??= (async () => {
        sessions.shutdown();
        wss.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.close();
      })();
      return closed;
    },
  };
}
