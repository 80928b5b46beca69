/**
 * The HTTP server that carries the WebSocket endpoint (noServer mode) and the plain HTTP routes.
 * The upgrade never passes through an HTTP router: cheap guard clauses first (path, connection
 * cap, per-IP rate), then `handleUpgrade` (ws's own pattern; no `verifyClient`).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { RTM_PATH } from "../../core/protocol/wire.js";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { Transport } from "./transport.js";

/** Refuses an upgrade with a plain HTTP status. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}

/** New connections per IP in the current second, for the optional per-IP limit. */
class PerIpRate {
  private second = 0;
  private counts = new Map<string, number>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  allow(ip: string, nowMs: number): boolean {
    const s = Math.floor(nowMs / 1000);
    if (s !== this.second) {
      this.second = s;
      this.counts = new Map();
    }
    const n = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, n);
    return n <= this.limit;
  }
}

export interface GatewayServerDeps {
  readonly config: GatewayConfig;
  readonly sessions: SessionManager;
  readonly logger: Logger;
  /** Handles every plain HTTP request (health, admin, metrics). */
  readonly http: RequestListener;
}

/** Creates the HTTP server with the WebSocket endpoint attached. Not yet listening. */
export function createGatewayServer(deps: GatewayServerDeps): { server: Server; wss: WebSocketServer } {
  const { config, sessions, logger } = deps;
  const server = createServer(deps.http);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const perIp = config.perIpConnectionsPerSecond > 0 ? new PerIpRate(config.perIpConnectionsPerSecond) : null;

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q < 0 ? url : url.slice(0, q)) !== RTM_PATH) return refuse(socket, 404, "Not Found");
    if (sessions.connectionCount >= config.maxConnections) return refuse(socket, 503, "Service Unavailable");
    const ip = req.socket.remoteAddress ?? "";
    if (perIp !== null && !perIp.allow(ip, Date.now())) return refuse(socket, 429, "Too Many Requests");
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, ip));
  });

  function attach(ws: WebSocket, ip: string): void {
    const transport: Transport = {
      remoteAddress: ip,
      send: (text) => {
        if (ws.readyState === 1) ws.send(text);
      },
      close: (code, reason) => {
        if (ws.readyState === 0 || ws.readyState === 1) ws.close(code, reason);
      },
    };
    const conn = sessions.open(transport);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (isBinary) sessions.onBinary(conn);
      else sessions.onText(conn, data.toString());
    });
    ws.on("close", (code: number) => sessions.onClose(conn, code));
    // ws reports oversize frames (1009) and bad frames as errors and closes the socket itself.
    ws.on("error", (err) => logger.debug({ err: err.message }, "websocket error"));
  }

  return { server, wss };
}
