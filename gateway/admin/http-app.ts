/**
 * The plain HTTP side of the gateway's port (docs/protocol.md, "Admin API"): `/admin` (the admin
 * router), `GET /metrics` (Prometheus text; no admin auth), `GET /healthz` (process alive),
 * `GET /readyz` (503 while the certificate store cannot be read; always the project count, and a
 * warning when Redis came back empty: docs/redis.md). `/console` (the browser console's static files: docs/console.md). WebSocket upgrades never get
 * here: the server handles them on its `upgrade` event (gateway/ws/server.ts).
 */
import express, { type Express, type Router } from "express";
import type { Registry } from "prom-client";
import { RTM_PATH } from "../../core/protocol/wire.js";
import type { Logger } from "../logger.js";
import { CONSOLE_PATH, createConsoleRouter } from "../console/console-routes.js";
import { sendError } from "./errors.js";

export interface HttpAppDeps {
  readonly admin: Router;
  readonly registry: Registry;
  /** True while the gateway can decide logins (the certificate store is readable). */
  readonly ready: () => boolean;
  /** What `/readyz` adds: the number of projects, and why it may surprise (Redis came back empty). */
  readonly readyDetail?: () => { readonly projects: number; readonly warning?: string | undefined };
  readonly logger: Logger;
}

/** The express app that answers every plain HTTP request of the gateway. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", (_req, res) => {
    let ready = false;
    let detail: { projects?: number; warning?: string } = {};
    try {
      ready = deps.ready();
      const d = deps.readyDetail?.();
      // A Redis that came back empty still lets the gateway decide logins (each unknown App ID
      // answered as such): ready, with the count and the warning to say what happened.
      if (d !== undefined) detail = d.warning === undefined ? { projects: d.projects } : { projects: d.projects, warning: d.warning };
    } catch (err) {
      deps.logger.warn({ err }, "readiness check failed");
    }
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not_ready", ...detail });
  });

  app.get("/metrics", async (_req, res) => {
    const text = await deps.registry.metrics();
    res.setHeader("content-type", deps.registry.contentType);
    res.send(text);
  });

  app.use("/admin", deps.admin);

  // The console's page and static files (no data; every figure comes from /admin with its auth): docs/console.md.
  app.use(CONSOLE_PATH, createConsoleRouter());

  app.all(RTM_PATH, (_req, res) => {
    res.status(426).json({ error: { code: "upgrade_required", message: "connect with a WebSocket" } });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: { code: "not_found", message: "no such route" } });
  });

  // Errors outside /admin (e.g. metrics collection): the same serialiser.
  app.use(((err, _req, res, next) => {
    if (res.headersSent) return next(err);
    sendError(res, err, deps.logger);
  }) as express.ErrorRequestHandler);

  return app;
}
