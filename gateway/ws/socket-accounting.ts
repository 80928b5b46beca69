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
 * - Once a session holds an upgraded socket (its `ws` object listens to the socket's `close`),
 *   the server {@link SocketAccounting.handOver hands it over}: from then on the WebSocket's
 *   `close` event, which `ws` emits once the socket closed and the frames it had read were
 *   handled, reports the release ({@link SocketAccounting.releasedWebSocket}), and the socket is
 *   in no collection here until the gateway closes its session
 *   ({@link SocketAccounting.closing}). An idle session so costs neither a second `close`
 *   listener (an array of listeners, 64 B) nor an entry in a table of sockets (~33 B at 10k):
 *   the session manager's table of connections already holds it.
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
  /**
   * The WebSocket sockets no session holds (bounded by MAX_CONNECTIONS): upgrading, held by a
   * `connect` fault, or closing after the gateway closed their session. What a drain destroys,
   * besides the sockets of the sessions still open.
   */
  private readonly unowned = new Set<Socket>();
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
      accounting.released(this, accounting.unowned.delete(this));
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
    this.unowned.add(s);
    return null;
  }

  /**
   * `socket`, an admitted WebSocket, is now held by a session, and its `ws` object listens to its
   * `close`: it leaves this accounting's listeners and collections. Its owner must call
   * {@link releasedWebSocket} once, from that WebSocket's `close` event, and {@link closing} if
   * the gateway closes the session first.
   */
  handOver(socket: Duplex): void {
    socket.removeListener("close", this.onSocketClose);
    this.unowned.delete(socket as Socket);
  }

  /** The gateway closed the session of handed-over `socket`: until released, a drain destroys it here. */
  closing(socket: Duplex): void {
    this.unowned.add(socket as Socket);
  }

  /** Handed-over `socket`'s descriptor is released (reported from its WebSocket's `close`). */
  releasedWebSocket(socket: Duplex): void {
    this.unowned.delete(socket as Socket);
    this.released(socket, true);
  }

  /**
   * Destroys every WebSocket socket still open (the end of a drain): those no session holds and
   * `held`, the sockets of the sessions still open; returns how many.
   */
  destroyWebSockets(held: Iterable<Duplex> = []): number {
    const all = new Set<Duplex>(this.unowned);
    for (const s of held) all.add(s);
    for (const s of all) s.destroy();
    return all.size;
  }

  private released(socket: Duplex, webSocket: boolean): void {
    const s = socket as Tracked;
    this.total--;
    if (webSocket) this.websockets--;
    if (this.perIp !== null) {
      const ip = s[kIp] ?? "";
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    }
  }
}
