/**
 * A lean WebSocket client on a raw `net.Socket`, for the gateway benchmark's load processes (the
 * frame primitives live in client/load/ws-frames.ts, shared with the load generator).
 *
 * The `ws` client library costs more CPU per connection than a `ws` server, so a load generator
 * built on it saturates before the server under test does. This client does the least RFC 6455
 * work a well-behaved client can do:
 *
 *  - a pre-serialised HTTP/1.1 upgrade request with a FIXED Sec-WebSocket-Key (the RFC's sample
 *    nonce), so the expected Sec-WebSocket-Accept is a constant checked with one `indexOf`;
 *  - one pre-masked text frame per connection, built before anything is timed;
 *  - a parser for unmasked server frames (7-, 16- and 64-bit lengths), which recognises the reply
 *    by the bytes it starts with (`{"id":1,`) and skips every other frame (the gateway's events);
 *  - a masked close frame (1000) and `end()` once the reply came, unless the socket is to be held.
 *
 * No emitter, no promises, one object per connection. Only ever used against 127.0.0.1.
 */
import { connect, type Socket } from "node:net";
import { CLOSE_FRAME, readUpgradeResponse, type WsTarget } from "../client/load/ws-frames.js";

export { CLOSE_FRAME, WS_ACCEPT, WS_KEY, maskedFrame, maskedTextFrame, upgradeRequest, type WsTarget } from "../client/load/ws-frames.js";

/** Every reply to request id 1 starts with these bytes (the gateway's replies and the bare server's). */
export const REPLY_PREFIX = Buffer.from('{"id":1,', "utf8");
/** A successful reply starts with these bytes. */
export const REPLY_OK_PREFIX = Buffer.from('{"id":1,"ok":true', "utf8");

/** Connection states. */
const CONNECTING = 0;
const OPEN = 1;
const DONE = 2;

/**
 * Called once per connection: `ok` is true when the reply to id 1 arrived and was a success;
 * `detail` says what went wrong otherwise. `replyNs` is the hrtime of the reply (or of the failure).
 */
export type ReplyListener = (conn: LeanWsConnection, ok: boolean, detail: string | null, replyNs: bigint) => void;

/**
 * One connection: connect, upgrade, send `frame`, wait for the reply with id 1, then close (or,
 * with `hold`, keep the socket open until {@link LeanWsConnection.close}).
 */
export class LeanWsConnection {
  readonly socket: Socket;
  /** hrtime at connect(). */
  readonly startNs: bigint;
  /** Free for the caller (e.g. the in-flight slot). */
  tag = 0;
  private state = CONNECTING;
  private pending: Buffer | null = null;
  private readonly frame: Buffer;
  private readonly hold: boolean;
  private readonly listener: ReplyListener;
  /** Set when a held socket was closed by the server or failed after its reply. */
  dropped = false;

  constructor(target: WsTarget, request: Buffer, frame: Buffer, hold: boolean, listener: ReplyListener) {
    this.frame = frame;
    this.hold = hold;
    this.listener = listener;
    this.startNs = process.hrtime.bigint();
    const socket = connect(target.port, target.host);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: Error) => this.fail(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    socket.on("close", () => this.fail("socket closed before the reply"));
  }

  /** True once the reply came (or the connection failed). */
  get finished(): boolean {
    return this.state === DONE;
  }

  /** Sends the close frame and ends the socket (for held connections). Idempotent. */
  close(): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(CLOSE_FRAME);
    this.socket.end();
  }

  /** Gives up on a connection (timeouts). */
  abort(detail: string): void {
    this.fail(detail);
    this.socket.destroy();
  }

  private fail(detail: string): void {
    if (this.state === DONE) {
      if (this.hold && !this.socket.writableEnded) this.dropped = true;
      return;
    }
    this.state = DONE;
    this.pending = null;
    this.socket.destroy();
    this.listener(this, false, detail, process.hrtime.bigint());
  }

  private onData(chunk: Buffer): void {
    if (this.state === DONE) return;
    let b = chunk;
    if (this.pending !== null) {
      b = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    if (this.state === CONNECTING) {
      const head = readUpgradeResponse(b);
      if (head.kind === "incomplete") {
        this.pending = b;
        return;
      }
      if (head.kind === "refused") return this.fail(`upgrade refused: ${head.statusLine}`);
      if (head.kind === "bad_accept") return this.fail("upgrade answered without the expected Sec-WebSocket-Accept");
      this.state = OPEN;
      off = head.bodyAt;
      this.socket.write(this.frame);
    }
    const n = b.length;
    while (n - off >= 2) {
      const b0 = b[off]!;
      const b1 = b[off + 1]!;
      if ((b1 & 0x80) !== 0) return this.fail("server frame is masked");
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (n - off < 4) break;
        len = b.readUInt16BE(off + 2);
        hdr = 4;
      } else if (len === 127) {
        if (n - off < 10) break;
        len = b.readUInt32BE(off + 2) * 2 ** 32 + b.readUInt32BE(off + 6);
        hdr = 10;
      }
      if (n - off < hdr + len) break;
      const p = off + hdr;
      off = p + len;
      const opcode = b0 & 0x0f;
      if (opcode === 0x1) {
        if (len >= REPLY_PREFIX.length && b.compare(REPLY_PREFIX, 0, REPLY_PREFIX.length, p, p + REPLY_PREFIX.length) === 0) {
          const ok = len >= REPLY_OK_PREFIX.length && b.compare(REPLY_OK_PREFIX, 0, REPLY_OK_PREFIX.length, p, p + REPLY_OK_PREFIX.length) === 0;
          const replyNs = process.hrtime.bigint();
          this.state = DONE;
          this.pending = null;
          if (!this.hold) this.close();
          this.listener(this, ok, ok ? null : `refused: ${b.toString("utf8", p, Math.min(off, p + 300))}`, replyNs);
          return;
        }
        // An event frame (no id): skipped.
      } else if (opcode === 0x8) {
        const code = len >= 2 ? b.readUInt16BE(p) : 1005;
        return this.fail(`server closed with ${code} ${b.toString("utf8", p + Math.min(2, len), off)}`);
      }
      // Pings, pongs and continuation frames do not occur in this exchange; skipped.
    }
    if (off < n) this.pending = b.subarray(off);
  }
}
