/**
 * One WebSocket to the gateway and the calls waiting for its replies. Frames sent before the socket
 * opens are queued and flushed on open. Replies are matched by id in {@link Connection.pending}.
 */
import type { Op } from "../core/protocol/wire.js";
import type { RtmError } from "./rtm-error.js";
import { READY_STATE, type WebSocketLike } from "./websocket-like.js";

/** How a socket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** A call waiting for its reply. */
export interface PendingCall {
  readonly op: Op;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: RtmError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** What the owner of a connection is told. */
export interface ConnectionHandlers {
  /** A message arrived (its `data`, not yet parsed). */
  readonly onMessage: (connection: Connection, data: unknown) => void;
  /** The socket closed; `pending` still holds the calls that got no reply. */
  readonly onClose: (connection: Connection, info: CloseInfo) => void;
}

/** One socket and its pending calls. */
export class Connection {
  /** Calls waiting for a reply, by request id. */
  readonly pending = new Map<number, PendingCall>();
  /** Resolves (never rejects) when the socket has closed. */
  readonly closed: Promise<CloseInfo>;
  /** Set by the owner when late events of this socket must no longer count (it gave up on it). */
  muted = false;

  private readonly socket: WebSocketLike;
  private queue: string[] = [];
  private closedByClient = false;
  private isClosed = false;

  constructor(socket: WebSocketLike, handlers: ConnectionHandlers) {
    this.socket = socket;
    let settle!: (info: CloseInfo) => void;
    this.closed = new Promise<CloseInfo>((resolve) => {
      settle = resolve;
    });
    socket.addEventListener("open", () => {
      const queued = this.queue;
      this.queue = [];
      for (const frame of queued) {
        if (!this.send(frame)) break;
      }
    });
    socket.addEventListener("message", (event) => {
      if (!this.isClosed) handlers.onMessage(this, event.data);
    });
    // Errors are always followed by a close event; the close is what the client acts on.
    socket.addEventListener("error", () => {});
    socket.addEventListener("close", (event) => {
      if (this.isClosed) return;
      this.isClosed = true;
      this.queue = [];
      const info: CloseInfo = { code: event.code, reason: event.reason };
      handlers.onClose(this, info);
      settle(info);
    });
  }

  /** True when the client closed (or is closing) this socket itself. */
  get clientClosed(): boolean {
    return this.closedByClient;
  }

  /** True while frames can still be sent (connecting or open, and not being closed). */
  get usable(): boolean {
    if (this.closedByClient || this.isClosed) return false;
    const state = this.socket.readyState;
    return state === READY_STATE.CONNECTING || state === READY_STATE.OPEN;
  }

  /** Sends `frame` now, or queues it until the socket opens; false when it cannot be sent. */
  send(frame: string): boolean {
    if (!this.usable) return false;
    if (this.socket.readyState === READY_STATE.CONNECTING) {
      this.queue.push(frame);
      return true;
    }
    try {
      this.socket.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the socket from the client side (idempotent). */
  close(code: number, reason: string): void {
    if (this.closedByClient || this.isClosed) return;
    this.closedByClient = true;
    this.queue = [];
    try {
      this.socket.close(code, reason);
    } catch {
      // A socket that cannot be closed is already closing; its close event still comes.
    }
  }

  /** Removes every pending call and returns them (to be rejected by the owner). */
  takePending(): PendingCall[] {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) clearTimeout(call.timer);
    return calls;
  }
}
