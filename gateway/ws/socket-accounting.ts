/**
 * Counts the gateway's TCP sockets from accept until their descriptor is released (the socket's
 * `close` event), so that `MAX_CONNECTIONS` and `MAX_CONNECTIONS_PER_IP` hold against peers that
 * never finish a closing handshake (docs/robustness.md, "connection accounting").
 *
 * - Every accepted socket counts in `total` (and per IP, when that limit is on). The HTTP server
 *   itself refuses sockets beyond `MAX_CONNECTIONS + HTTP_RESERVE_CONNECTIONS` at accept.
 * - A socket counts as a WebSocket from the moment its upgrade passes the guard clauses (a
 *   `connect` fault may still hold it) until its descriptor is released: open, logged in and
 *   closing alike. `MAX_CONNECTIONS` bounds those; the reserve above it stays for plain HTTP
 *   (`/healthz`, `/readyz`, `/metrics`, the admin API).
 * - Once `ws` owns an upgraded socket it listens to the socket's `close` itself, so the owner
 *   may {@link SocketAccounting.handOver} the socket and report its release from the WebSocket's
 *   `close` event ({@link SocketAccounting.released}), which `ws` emits once the socket closed
 *   and the frames it had read were handled: a second `close` listener on every socket would
 *   cost each idle connection an array of listeners (64 B).
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

const kIp = Symbol("rtm-auth.ip");

/** A socket, with its peer address once the per-IP limit is on (no property otherwise: memory per socket counts). */
type Tracked = Socket & { [kIp]?: string };

/** Why an upgrade is refused by the counts: the HTTP status it gets. */
export type UpgradeRefusal = { readonly status: 503; readonly reason: "max_connections" } | { readonly status: 429; readonly reason: "per_ip_connections" };

export interface SocketCounts {
  /** Accepted TCP sockets whose descriptor is not yet released. */
  readonly total: number;
  /** Of those, sockets upgraded (or upgrading) to WebSocket. */
  readonly websocket: number;
}

export class SocketAccounting {
  private total = 0;
  private websockets = 0;
  /** The WebSocket sockets themselves (bounded by MAX_CONNECTIONS): whether a socket is one, and what a drain destroys. */
  private readonly open = new Set<Socket>();
  private readonly perIp: Map<string, number> | null;
  private readonly maxWebSockets: number;
  private readonly maxPerIp: number;
  /** The `close` listener of every accepted socket (one function for all: no closure per socket). */
  private readonly onSocketClose: (this: Socket) => void;

  /** `maxPerIp` 0 = no per-IP limit (and no per-IP map). */
  constructor(maxWebSockets: number, maxPerIp: number) {
    this.maxWebSockets = maxWebSockets;
    this.maxPerIp = maxPerIp;
    this.perIp = maxPerIp > 0 ? new Map() : null;
    const accounting = this;
    this.onSocketClose = function onClose(this: Socket): void {
      accounting.released(this);
    };
  }

  /** Starts counting every socket `server` accepts; `reserve` sockets beyond the WebSocket limit stay for plain HTTP. */
  attach(server: Server, reserve: number): void {
    server.maxConnections = this.maxWebSockets + reserve;
    // `close` is emitted once, when the descriptor is released.
    server.on("connection", (socket: Socket) => {
      this.total++;
      if (this.perIp !== null) {
        const ip = socket.remoteAddress ?? "";
        (socket as Tracked)[kIp] = ip;
        this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
      }
      socket.on("close", this.onSocketClose);
    });
  }

  /** The counts now. */
  counts(): SocketCounts {
    return { total: this.total, websocket: this.websockets };
  }

  /**
   * Decides whether `socket` (an upgrade request) may become a WebSocket; when it may, it counts
   * as one from now until its descriptor is released.
   */
  admit(socket: Duplex): UpgradeRefusal | null {
    const s = socket as Tracked;
    if (this.websockets >= this.maxWebSockets) return { status: 503, reason: "max_connections" };
    if (this.perIp !== null && (this.perIp.get(s[kIp] ?? "") ?? 0) > this.maxPerIp) return { status: 429, reason: "per_ip_connections" };
    this.websockets++;
    this.open.add(s);
    return null;
  }

  /** Destroys every WebSocket socket still open (the end of a drain); returns how many. */
  destroyWebSockets(): number {
    const n = this.open.size;
    for (const s of this.open) s.destroy();
    return n;
  }

  /**
   * `socket`, an admitted WebSocket whose `ws` object now listens to its `close`, stops being
   * watched here: its owner must call {@link released} once, from that WebSocket's `close` event.
   */
  handOver(socket: Duplex): void {
    socket.removeListener("close", this.onSocketClose);
  }

  /** `socket`'s descriptor is released (its `close`; for a handed-over socket, its WebSocket's `close`). */
  released(socket: Duplex): void {
    const s = socket as Tracked;
    this.total--;
    if (this.open.delete(s)) this.websockets--;
    if (this.perIp !== null) {
      const ip = s[kIp] ?? "";
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    }
  }
}
