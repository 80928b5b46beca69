/**
 * The part of a WebSocket the client uses: the WHATWG event interface, which both the `ws` package
 * and the standard `WebSocket` (browsers, Node ≥ 22) implement.
 */
import { WebSocket } from "ws";

/** `readyState` values (identical in `ws` and the WHATWG API). */
export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** The close event's fields the client reads. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

/** A WebSocket as the client uses it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: CloseEventLike) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

/** A WebSocket constructor, e.g. `ws`' `WebSocket` or `globalThis.WebSocket`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Opens a socket to `url`: with `impl` when given, otherwise with `ws` and per-message deflate off
 * (the gateway's frames are small; compression only costs CPU).
 */
export function openWebSocket(url: string, impl?: WebSocketConstructor): WebSocketLike {
  if (impl !== undefined) return new impl(url);
  return new WebSocket(url, { perMessageDeflate: false });
}
