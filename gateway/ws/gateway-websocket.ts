/**
 * The gateway's WebSocket class: `ws`'s own, with one change to its closing handshake.
 *
 * When the peer starts the closing handshake (RFC 6455, section 7.1.2: its Close frame, then its
 * FIN), `ws` 8.x ends two streams twice each: the socket (once after our Close frame is written,
 * again when the peer's FIN arrives) and its frame receiver (once on the FIN, again when the
 * socket closes). Calling `end()` on a stream that has already finished is harmless, but Node
 * builds an `ERR_STREAM_ALREADY_FINISHED` error for it each time, stack trace included, and
 * drops it. In `bench:gateway --profile` those errors were a few per cent of the gateway's CPU per
 * login (docs/architecture.md, "The hot path").
 *
 * From the moment a close begins (ours or the peer's: `ws` calls {@link close} for both), the
 * socket's and the receiver's `end` skip a call on a stream already ending, and nothing else
 * changes: the first `end()` does exactly what it did. Idle connections pay nothing: the two
 * properties are added only to connections that are closing.
 *
 * This reads two private fields of `ws` (`_socket`, `_receiver`), checked at run time: when a
 * later `ws` renames them, the guard is skipped and behaviour is `ws`'s own
 * (test/unit/gateway/ws/gateway-websocket.test.ts fails first, on the pinned version).
 */
import type { Writable } from "node:stream";
import { WebSocket } from "ws";

interface WsInternals {
  _socket?: unknown;
  _receiver?: unknown;
}

/**
 * `end` for a stream that may be ended again: `end()` with no argument on a stream already ending,
 * with nothing corked, is a no-op (Node's own `end` would only build and drop an error). Any other
 * call (a chunk, a callback) is Node's own.
 */
function endOnce(this: Writable, ...args: unknown[]): Writable {
  if (args.length === 0 && this.writableEnded && this.writableCorked === 0) return this;
  return (Object.getPrototypeOf(this) as { end: (...a: unknown[]) => Writable }).end.apply(this, args);
}

function guard(stream: unknown): void {
  if (typeof stream !== "object" || stream === null) return;
  const s = stream as Writable;
  // A stream with an `end` of its own (instrumentation, or already guarded) is left as it is.
  if (Object.hasOwn(s, "end") || typeof s.end !== "function" || typeof s.writableEnded !== "boolean") return;
  s.end = endOnce as Writable["end"];
}

/** `ws`'s WebSocket whose closing handshake ends each stream once (see the module comment). */
export class GatewayWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    const internals = this as unknown as WsInternals;
    guard(internals._socket);
    guard(internals._receiver);
    super.close(code, data);
  }
}
