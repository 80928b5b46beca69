/**
 * The gateway's WebSocket class: `ws`'s own, with one change to its closing handshake and one to
 * what an idle connection keeps.
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
 *
 * **No closure per connection.** `ws` (8.23) gives every connection with `autoPong` on (its default,
 * which the gateway keeps: docs/robustness.md, "Every bound a client can push against") its own
 * `_autoPongComplete` arrow function, the write callback of each automatic pong, which lowers
 * `_pendingAutoPongs` again: a function and its context that every idle connection holds for a ping
 * it may never get. This class drops the function the constructor assigns
 * and makes an equivalent one each time `ws` reads it, that is once per ping frame answered
 * (docs/robustness.md, "Memory per session"). The same test file checks that the pending count
 * still rises and falls, so a later `ws` that renames either field fails there first.
 */
import type { Writable } from "node:stream";
import { WebSocket } from "ws";

interface WsInternals {
  _socket?: unknown;
  _receiver?: unknown;
  /** Automatic pongs queued but not yet written (the pinned `ws`; it destroys the socket at its limit). */
  _pendingAutoPongs?: number;
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

/** `ws`'s WebSocket whose closing handshake ends each stream once and that holds no closure of its own (see the module comment). */
export class GatewayWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    const internals = this as unknown as WsInternals;
    guard(internals._socket);
    guard(internals._receiver);
    super.close(code, data);
  }
}

/** One automatic pong written: what `ws`'s own callback does. */
function autoPongWritten(ws: WsInternals): void {
  (ws as { _pendingAutoPongs: number })._pendingAutoPongs--;
}

// An accessor on the prototype: `ws`'s constructor assigns `this._autoPongComplete = () => …`, and an
// assignment to a name the prototype chain has a setter for calls the setter instead of making an
// own property. The function it is given is dropped; each read makes the callback afresh.
Object.defineProperty(GatewayWebSocket.prototype, "_autoPongComplete", {
  configurable: true,
  get(this: WsInternals): () => void {
    return () => autoPongWritten(this);
  },
  set(_ignored: unknown): void {},
});
