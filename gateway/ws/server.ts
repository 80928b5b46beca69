/**
 * The HTTP server that carries the WebSocket endpoint (noServer mode) and the plain HTTP routes.
 * The upgrade never passes through an HTTP router: cheap guard clauses first (path, connection
 * cap, per-IP rate), then the `connect` fault rules (only when any exist), then `handleUpgrade`
 * (ws's own pattern; no `verifyClient`).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { FiredFault } from "../../core/fault/fault-rule.js";
import { CLOSE, RTM_PATH } from "../../core/protocol/wire.js";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { WIRE_CODES } from "../protocol/wire-codes.js";
import type { Connection } from "../sessions/connection.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { Transport } from "./transport.js";

const kConnection = Symbol("rtm-auth.connection");
const TEXT_FRAME = { binary: false } as const;

function onSocketError(this: Duplex): void {
  this.destroy();
}

/** The Transport over one `ws` connection and its TCP socket (one small object, no closures). */
class WsTransport implements Transport {
  readonly ws: WebSocket;
  readonly socket: Socket;

  constructor(ws: WebSocket, socket: Socket) {
    this.ws = ws;
    this.socket = socket;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "";
  }

  send(text: string | Buffer): void {
    // Buffers are sent as text frames: the gateway only ever sends UTF-8 JSON.
    if (this.ws.readyState === 1) this.ws.send(text, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

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

/** What {@link createGatewayServer} returns. */
export interface GatewayServer {
  readonly server: Server;
  readonly wss: WebSocketServer;
  /** Destroys the upgrades a `connect` fault holds (never answered, or delayed); call before closing. */
  readonly dropHeldUpgrades: () => void;
}

/** Creates the HTTP server with the WebSocket endpoint attached. Not yet listening. */
export function createGatewayServer(deps: GatewayServerDeps): GatewayServer {
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
    socket.on("error", onSocketError);
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q < 0 ? url : url.slice(0, q)) !== RTM_PATH) return refuse(socket, 404, "Not Found");
    if (sessions.connectionCount >= config.maxConnections) return refuse(socket, 503, "Service Unavailable");
    // The peer address is read only when a limit needs it (it costs a system call).
    if (perIp !== null && !perIp.allow(req.socket.remoteAddress ?? "", Date.now())) return refuse(socket, 429, "Too Many Requests");
    if (sessions.faults.armed) {
      const fired = sessions.connectFault();
      if (fired !== undefined) return connectFault(fired, req, socket, head);
    }
    accept(req, socket, head);
  });

  function accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WsTransport(ws, socket as Socket);
      const conn = sessions.open(transport);
      (ws as unknown as Record<symbol, Connection>)[kConnection] = conn;
      // Shared listeners (they find the connection on the socket): no closures per connection.
      ws.on("message", onMessage);
      ws.on("close", onClose);
      // ws reports oversize frames (1009) and bad frames as errors and closes the socket itself.
      ws.on("error", onError);
    });
  }

  /** Upgrades a `connect` fault holds (never answered, or waiting out a delay). */
  const held = new Set<Duplex>();
  const holdUpgrade = (socket: Duplex): void => {
    held.add(socket);
    socket.once("close", () => held.delete(socket));
  };

  /** Applies a `connect` fault rule (gateway-protocol.md §3) to one upgrade. */
  function connectFault(fired: FiredFault, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const action = fired.action;
    switch (action.type) {
      case "delay":
        holdUpgrade(socket);
        sessions.faults.later(action.ms, () => {
          held.delete(socket);
          if (socket.destroyed) return;
          sessions.recordConnectFault(fired, "accepted", null);
          accept(req, socket, head);
        });
        return;
      case "fail": {
        // Refused before the WebSocket exists: the client sees a failed handshake.
        const status = WIRE_CODES[action.reason].http;
        sessions.recordConnectFault(fired, "refused", null);
        return refuse(socket, status, STATUS_CODES[status] ?? "Refused");
      }
      case "never_reply":
        sessions.recordConnectFault(fired, "unanswered", null);
        holdUpgrade(socket);
        return;
      case "drop":
        sessions.recordConnectFault(fired, "dropped", null);
        socket.destroy();
        return;
      case "kick":
        sessions.recordConnectFault(fired, "refused", CLOSE.banned);
        // The handshake completes, then the socket closes as banned; no session is opened.
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on("error", onError);
          ws.close(CLOSE.banned, "banned");
        });
        return;
    }
  }

  function dropHeldUpgrades(): void {
    for (const socket of held) socket.destroy();
    held.clear();
  }

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
    if (isBinary) return sessions.onBinary(conn);
    // Every frame a request causes (events, then the reply) leaves in one write.
    const socket = (conn.transport as WsTransport).socket;
    socket.cork();
    try {
      sessions.onText(conn, data.toString());
    } finally {
      socket.uncork();
    }
  }

  function onClose(this: WebSocket, code: number): void {
    sessions.onClose((this as unknown as Record<symbol, Connection>)[kConnection] as Connection, code);
  }

  function onError(this: WebSocket, err: Error): void {
    logger.debug({ err: err.message }, "websocket error");
  }

  return { server, wss, dropHeldUpgrades };
}
