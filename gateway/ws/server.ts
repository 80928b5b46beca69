/**
 * The HTTP server that carries the WebSocket endpoint (noServer mode) and the plain HTTP routes.
 * The upgrade never passes through an HTTP router: cheap guard clauses first (draining, path,
 * connection cap, per-IP sockets and rate), then the `connect` fault rules (only when any exist),
 * then `handleUpgrade` (ws's own pattern; no `verifyClient`).
 *
 * Limits that hold under abuse (docs/robustness.md): sockets count until their descriptor is
 * released (socket-accounting.ts); a closing socket whose peer does not finish the handshake is
 * destroyed after CLOSE_TIMEOUT_MS; requests (headers and bodies) must arrive within
 * HTTP_REQUEST_TIMEOUT_SECONDS; a connection whose unsent frames pass MAX_BUFFERED_BYTES is not
 * read until they drain.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from "ws";
import type { FiredFault } from "../../core/fault/fault-rule.js";
import { CLOSE, RTM_PATH } from "../../core/protocol/wire.js";
import type { GatewayConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { WIRE_CODES } from "../protocol/wire-codes.js";
import type { Connection } from "../sessions/connection.js";
import type { SessionManager } from "../sessions/session-manager.js";
import { GatewayWebSocket } from "./gateway-websocket.js";
import { addToBatch, beginBatch, discardBatch, endBatch, flushBatch, isBatching } from "./frame-batch.js";
import { SocketAccounting, type SocketCounts } from "./socket-accounting.js";
import type { PauseReason, Transport } from "./transport.js";

const kConnection = Symbol("rtm-auth.connection");
const kTransport = Symbol("rtm-auth.transport");
const TEXT_FRAME = { binary: false } as const;
/** Fragments allowed in one message; more close the socket with 1008 (docs/robustness.md). */
const MAX_FRAGMENTS = 128;
const PAUSE_BIT: Readonly<Record<PauseReason, number>> = { write_buffer: 1, pending_requests: 2, ping_budget: 4 };

function onSocketError(this: Duplex): void {
  this.destroy();
}

/** The socket drained what it had to send: read the peer again (unless another reason holds). */
function onSocketDrain(this: Socket): void {
  (this as unknown as Record<symbol, WsTransport | undefined>)[kTransport]?.resumeReading("write_buffer");
}

/** Why the server refused an upgrade (the `reason` label of `rtm_auth_upgrades_refused_total`). */
export const UPGRADE_REFUSALS = ["draining", "not_found", "max_connections", "per_ip_connections", "per_ip_rate"] as const;
export type UpgradeRefusalReason = (typeof UPGRADE_REFUSALS)[number];

/** Hears what the server does to protect itself (metrics); must be cheap and must not throw. */
export interface ServerObserver {
  backpressure(reason: PauseReason): void;
  upgradeRefused(reason: UpgradeRefusalReason): void;
}

/** What every WsTransport of one server shares (one object per server, not a field each). */
interface TransportHooks {
  readonly observer: ServerObserver | undefined;
  readonly accounting: SocketAccounting;
}

/** The Transport over one `ws` connection and its TCP socket (one small object, no closures). */
class WsTransport implements Transport {
  readonly ws: WebSocket;
  readonly socket: Socket;
  private readonly hooks: TransportHooks;
  /** Why reading is paused: a bit per PauseReason (0 = reading). */
  private paused = 0;
  private pauseTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ws: WebSocket, socket: Socket, hooks: TransportHooks) {
    this.ws = ws;
    this.socket = socket;
    this.hooks = hooks;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? "";
  }

  send(text: string | Buffer): void {
    if (this.ws.readyState !== 1) return;
    // During a request its frames leave together, in one write (frame-batch.ts).
    if (isBatching(this.socket)) addToBatch(text);
    // Buffers are sent as text frames: the gateway only ever sends UTF-8 JSON.
    else this.ws.send(text, TEXT_FRAME);
  }

  close(code: number, reason: string): void {
    // The frames already sent go out before the close frame.
    flushBatch(this.socket);
    const state = this.ws.readyState;
    if (state === 0 || state === 1) this.ws.close(code, reason);
    // The session is gone from the session manager; until the socket closes, a drain finds it
    // in the accounting (CLOSED: its close was reported already).
    if (state !== 3) this.hooks.accounting.closing(this.socket);
  }

  destroy(): void {
    discardBatch(this.socket);
    this.socket.destroy();
  }

  pauseReading(reason: PauseReason): void {
    const bit = PAUSE_BIT[reason];
    if ((this.paused & bit) !== 0) return;
    if (this.paused === 0) this.ws.pause();
    this.paused |= bit;
    this.hooks.observer?.backpressure(reason);
  }

  resumeReading(reason: PauseReason): void {
    const bit = PAUSE_BIT[reason];
    if ((this.paused & bit) === 0) return;
    this.paused &= ~bit;
    if (this.paused === 0) this.ws.resume();
  }

  pauseReadingFor(reason: PauseReason, ms: number): void {
    this.pauseReading(reason);
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(resumeAfterPause, ms, this, reason);
    this.pauseTimer.unref();
  }

  /** After a request: stop reading while more than `max` bytes wait to be sent; the socket's `drain` resumes. */
  limitWriteBuffer(max: number): void {
    if (this.ws.bufferedAmount <= max || (this.paused & PAUSE_BIT.write_buffer) !== 0) return;
    this.pauseReading("write_buffer");
    // bufferedAmount > max >= the socket's high-water mark, so the socket will emit 'drain'.
    (this.socket as unknown as Record<symbol, WsTransport>)[kTransport] = this;
    this.socket.once("drain", onSocketDrain);
  }

  /** The socket closed: no timer may keep it. */
  dispose(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
  }
}

function resumeAfterPause(t: WsTransport, reason: PauseReason): void {
  t.resumeReading(reason);
}

/** Refuses an upgrade with a plain HTTP status. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  // Released once the answer is written: a peer that never closes its side cannot hold it.
  socket.once("finish", destroyAfterFinish);
}

function destroyAfterFinish(this: Duplex): void {
  this.destroy();
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
  readonly observer?: ServerObserver;
}

/** What {@link createGatewayServer} returns. */
export interface GatewayServer {
  readonly server: Server;
  readonly wss: WebSocketServer;
  /** Destroys the upgrades a `connect` fault holds (never answered, or delayed); call before closing. */
  readonly dropHeldUpgrades: () => void;
  /** Open sockets, counted until their descriptor is released. */
  readonly sockets: () => SocketCounts;
  /** From now on every upgrade is refused with 503 (a drain has begun). */
  readonly stopUpgrades: () => void;
  /** Destroys every WebSocket socket still open (the end of a drain); returns how many. */
  readonly destroyWebSockets: () => number;
}

/** Creates the HTTP server with the WebSocket endpoint attached. Not yet listening. */
export function createGatewayServer(deps: GatewayServerDeps): GatewayServer {
  const { config, sessions, logger, observer } = deps;
  const requestTimeoutMs = config.httpRequestTimeoutSeconds * 1000;
  const server = createServer(
    {
      // Slow headers and slow bodies alike (slowloris): the whole request must arrive in time.
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // How often Node checks those timeouts (its default, 30 s, would let them overrun).
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
    },
    deps.http,
  );
  const accounting = new SocketAccounting(config.maxConnections, config.maxConnectionsPerIp);
  accounting.attach(server, config.httpReserveConnections);
  const hooks: TransportHooks = { observer, accounting };
  const wss = new WebSocketServer({
    noServer: true,
    // ws's class with a closing handshake that ends each stream once (gateway-websocket.ts).
    WebSocket: GatewayWebSocket,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // A closing handshake the peer never finishes ends here, not after ws's 30 s (ws ≥ 8.19
    // takes this option; @types/ws does not list it yet).
    closeTimeout: config.closeTimeoutMs,
    // A login frame is a few hundred bytes: no real client fragments it much (ws's default: 16384).
    maxFragments: MAX_FRAGMENTS,
  } as ServerOptions);
  const perIp = config.perIpConnectionsPerSecond > 0 ? new PerIpRate(config.perIpConnectionsPerSecond) : null;
  let draining = false;
  const refused = (socket: Duplex, reason: UpgradeRefusalReason, status: number): void => {
    observer?.upgradeRefused(reason);
    refuse(socket, status, STATUS_CODES[status] ?? "Refused");
  };

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", onSocketError);
    if (draining) return refused(socket, "draining", 503);
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q < 0 ? url : url.slice(0, q)) !== RTM_PATH) return refused(socket, "not_found", 404);
    // The peer address is read only when a limit needs it (it costs a system call).
    if (perIp !== null && !perIp.allow(req.socket.remoteAddress ?? "", Date.now())) return refused(socket, "per_ip_rate", 429);
    // From here the socket counts as a WebSocket until its descriptor is released.
    const refusal = accounting.admit(socket);
    if (refusal !== null) return refused(socket, refusal.reason, refusal.status);
    if (sessions.faults.armed) {
      const fired = sessions.connectFault();
      if (fired !== undefined) return connectFault(fired, req, socket, head);
    }
    accept(req, socket, head);
  });

  function accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WsTransport(ws, socket as Socket, hooks);
      const conn = sessions.open(transport);
      (ws as unknown as Record<symbol, Connection>)[kConnection] = conn;
      // Shared listeners (they find the connection on the socket): no closures per connection.
      ws.on("message", onMessage);
      ws.on("close", onClose);
      // ws reports oversize frames (1009) and bad frames as errors and closes the socket itself.
      ws.on("error", onError);
      // ws now listens to the socket's errors (it destroys the socket) and to its close (the
      // WebSocket's `close` follows, where onClose reports the release): the gateway's own
      // socket listeners go, so no idle connection keeps an array of two listeners per event,
      // and the session holds the socket (socket-accounting.ts).
      socket.removeListener("error", onSocketError);
      accounting.handOver(socket);
    });
  }

  /** Upgrades a `connect` fault holds (never answered, or waiting out a delay). */
  const held = new Set<Duplex>();
  const holdUpgrade = (socket: Duplex): void => {
    held.add(socket);
    socket.once("close", () => held.delete(socket));
  };

  /** Applies a `connect` fault rule (docs/protocol.md, "The endpoint") to one upgrade. */
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
    // Every frame a request causes (events, then the reply) leaves in one write (frame-batch.ts).
    const transport = conn.transport as WsTransport;
    const socket = transport.socket;
    if (beginBatch(socket)) {
      try {
        sessions.onText(conn, data.toString());
      } finally {
        endBatch(socket);
      }
    } else {
      // A request handled while another one's frames are collected (not expected): corked instead.
      socket.cork();
      try {
        sessions.onText(conn, data.toString());
      } finally {
        socket.uncork();
      }
    }
    transport.limitWriteBuffer(config.maxBufferedBytes);
  }

  function onClose(this: WebSocket, code: number): void {
    const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
    const transport = conn.transport as WsTransport;
    transport.dispose();
    // The socket is closed (ws emits `close` after the socket's): it stops counting.
    accounting.releasedWebSocket(transport.socket);
    sessions.onClose(conn, code);
  }

  /** The sockets of the connections the session manager holds. */
  function* sessionSockets(): Iterable<Socket> {
    // In-process connections (in-process-peer.ts) have no socket.
    for (const conn of sessions.openConnections()) if (conn.transport instanceof WsTransport) yield conn.transport.socket;
  }

  function onError(this: WebSocket, err: Error): void {
    logger.debug({ err: err.message }, "websocket error");
  }

  return {
    server,
    wss,
    dropHeldUpgrades,
    sockets: () => accounting.counts(),
    stopUpgrades: () => {
      draining = true;
    },
    destroyWebSockets: () => accounting.destroyWebSockets(sessionSockets()),
  };
}
