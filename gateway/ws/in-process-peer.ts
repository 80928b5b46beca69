/**
 * A client connection inside the gateway's own process: the client end is a {@link ClientSocket}
 * (what the population runner drives, client/load/raw-ws-connection.ts), the gateway end a
 * {@link Transport} on the session manager, and no socket in between. The migration rehearsal's own
 * gateway uses it (docs/rehearsal.md, "What a rehearsal does"): its decisions are the session
 * manager's, exactly as over TCP, while each login skips the connect, the upgrade, the frame
 * writes and reads, and the close handshake, which were most of a rehearsal's CPU time.
 *
 * What it keeps of a WebSocket, so the session logic sees what `ws` would show it:
 * - delivery is asynchronous and in order (one microtask per frame, first in first out), never
 *   inside the sender's call;
 * - the client may send only after `onOpen`, and nothing after its close; the gateway's frames
 *   reach the client until the closing handshake completes;
 * - every connection ends with exactly one `onClose` on each side: the session manager's
 *   `onClose(conn, code)` (what `ws`'s `close` event reports) and the handler's
 *   `onClose(code, byServer, null)`. A close the client starts ends with 1000, one the gateway
 *   starts with the gateway's code (`byServer`), a destroy on either side with 1006.
 *
 * What it leaves out: the upgrade's admission (connection limits, per-IP rate, connect faults) and
 * write-buffer backpressure, which belong to sockets; such a connection is not counted in
 * `rtm_auth_open_sockets`.
 */
import type { ClientSocket, RawWsHandler } from "../../client/load/raw-ws-connection.js";
import type { Connection } from "../sessions/connection.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { Transport } from "./transport.js";

/** The peer address an in-process connection reports (logs, per-IP figures). */
export const IN_PROCESS_ADDRESS = "in-process";

/**
 * The payload of one masked client text frame (RFC 6455, section 5.2: FIN set, opcode 0x1, the
 * mask bit set, a 7-, 16- or 64-bit length), or null for any other frame: fragments, binary and
 * control frames, unmasked or truncated frames.
 */
export function maskedTextPayload(frame: Buffer): string | null {
  if (frame.length < 6 || frame[0] !== 0x81 || ((frame[1] as number) & 0x80) === 0) return null;
  const len7 = (frame[1] as number) & 0x7f;
  const header = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
  if (frame.length < header + 4) return null;
  const length = len7 < 126 ? len7 : len7 === 126 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
  const body = header + 4;
  if (frame.length !== body + length) return null;
  const payload = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) payload[i] = (frame[body + i] as number) ^ (frame[header + (i & 3)] as number);
  return payload.toString("utf8");
}

const OPEN = 0;
/** The client sent its close; the gateway's frames queued before it still arrive. */
const CLOSING = 1;
const CLOSED = 2;

/**
 * Opens one in-process connection to `sessions` for `handler` (see the module comment). The
 * handler's `onOpen` follows in a microtask; frames the client sends before it are dropped, as a
 * {@link ClientSocket} drops frames before its upgrade.
 */
export function connectInProcess(sessions: SessionManager, handler: RawWsHandler): ClientSocket {
  let state = OPEN;
  let opened = false;
  /** The gateway closed or destroyed its end: it sends nothing more. */
  let gatewayDone = false;
  let conn: Connection | null = null;

  /** Ends the connection on both sides, once. */
  const finish = (code: number, byServer: boolean): void => {
    if (state === CLOSED) return;
    state = CLOSED;
    gatewayDone = true;
    if (conn !== null) sessions.onClose(conn, code);
    handler.onClose(code, byServer, null);
  };

  const transport: Transport = {
    remoteAddress: IN_PROCESS_ADDRESS,
    send(text: string | Buffer): void {
      if (gatewayDone) return;
      const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
      queueMicrotask(() => {
        if (state !== CLOSED) handler.onText(bytes, 0, bytes.length);
      });
    },
    close(code: number): void {
      if (gatewayDone) return;
      gatewayDone = true;
      queueMicrotask(() => finish(code, state === OPEN));
    },
    destroy(): void {
      if (state === CLOSED) return;
      gatewayDone = true;
      queueMicrotask(() => finish(1006, false));
    },
  };
  conn = sessions.open(transport);
  queueMicrotask(() => {
    if (state !== OPEN) return;
    opened = true;
    handler.onOpen();
  });

  return {
    send(frame: Buffer): void {
      if (state !== OPEN || !opened) return;
      const text = maskedTextPayload(frame);
      const c = conn as Connection;
      queueMicrotask(() => {
        if (state === CLOSED) return;
        if (text === null) sessions.onBinary(c);
        else sessions.onText(c, text);
      });
    },
    close(): void {
      if (state !== OPEN) return;
      state = CLOSING;
      queueMicrotask(() => finish(1000, false));
    },
    destroy(): void {
      if (state === CLOSED) return;
      state = CLOSING;
      queueMicrotask(() => finish(1006, false));
    },
  };
}
