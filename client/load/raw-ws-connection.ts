/**
 * One WebSocket connection of the load generator on a raw `net.Socket` (the frame primitives of
 * ws-frames.ts): connect, upgrade, then text frames both ways until either side closes. It keeps
 * no buffers beyond a partial frame, parses no JSON and allocates one object per connection; the
 * owner (a virtual user) gets every text payload and exactly one close callback.
 */
import { connect, type Socket } from "node:net";
import { CLOSE_FRAME, maskedFrame, readServerFrame, readUpgradeResponse, type FrameHeader } from "./ws-frames.js";

/** What the owner of a {@link RawWsConnection} hears. */
export interface RawWsHandler {
  /** The upgrade succeeded; frames may be sent. */
  onOpen(): void;
  /** A complete text message: `payload[start, end)` (valid only during the call). */
  onText(payload: Buffer, start: number, end: number): void;
  /**
   * The connection is over (called once). `code` is the status of the server's close frame (an
   * echo of ours when we closed first), 1006 when the socket ended without one. `byServer`: the
   * server closed first. `failure`: why the connection failed before or without a close
   * handshake (`connect`, `upgrade` or `protocol`), with a detail for the report; null otherwise.
   */
  onClose(code: number, byServer: boolean, failure: ConnectionFailure | null): void;
}

/**
 * The client end of one connection, as its owner drives it: a {@link RawWsConnection} over a socket,
 * or a peer inside the gateway's own process (the rehearsal's gateway, docs/rehearsal.md). Either
 * reports to a {@link RawWsHandler}: `onOpen` once, then texts, then exactly one `onClose`.
 */
export interface ClientSocket {
  /** Sends one pre-masked client frame (ignored unless open). */
  send(frame: Buffer): void;
  /** Starts the close handshake (status 1000). */
  close(): void;
  /** Drops the connection at once (timeouts). */
  destroy(detail: string): void;
}

/** Why a connection failed: it never connected, the upgrade was refused, or the server broke RFC 6455. */
export interface ConnectionFailure {
  readonly kind: "connect" | "upgrade" | "protocol";
  readonly detail: string;
}

const CONNECTING = 0;
const OPEN = 1;
/** We sent our close frame and wait for the echo. */
const CLOSING = 2;
const CLOSED = 3;

const PONG_EMPTY = maskedFrame(0xa, Buffer.alloc(0));

/** A client connection driven by a {@link RawWsHandler}. */
export class RawWsConnection implements ClientSocket {
  private readonly socket: Socket;
  private readonly handler: RawWsHandler;
  private readonly request: Buffer;
  private state = CONNECTING;
  private pending: Buffer | null = null;
  /** Payloads of a fragmented message so far (the gateway never fragments; handled anyway). */
  private fragments: Buffer[] | null = null;
  private closeCode = 1006;
  private byServer = false;
  private failure: ConnectionFailure | null = null;

  constructor(host: string, port: number, request: Buffer, handler: RawWsHandler) {
    this.handler = handler;
    this.request = request;
    const socket = connect(port, host);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => socket.write(this.request));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (this.state === CONNECTING) this.failure ??= { kind: "connect", detail: err.code ?? err.message };
    });
    socket.on("close", () => this.finish());
  }

  /** True once the upgrade succeeded and until a close frame was sent or received. */
  get open(): boolean {
    return this.state === OPEN;
  }

  /** Sends one pre-masked frame (ignored unless open). */
  send(frame: Buffer): void {
    if (this.state === OPEN) this.socket.write(frame);
  }

  /** Starts the close handshake (status 1000); the socket ends once the server echoes it. */
  close(): void {
    if (this.state === OPEN) {
      this.state = CLOSING;
      this.socket.write(CLOSE_FRAME);
    } else if (this.state === CONNECTING) {
      this.socket.destroy();
    }
  }

  /** Drops the connection at once (timeouts). */
  destroy(detail: string): void {
    if (this.state === CONNECTING) this.failure ??= { kind: "connect", detail };
    this.socket.destroy();
  }

  private finish(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.pending = null;
    this.fragments = null;
    this.handler.onClose(this.closeCode, this.byServer, this.failure);
  }

  private fail(kind: ConnectionFailure["kind"], detail: string): void {
    this.failure ??= { kind, detail };
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === CLOSED) return;
    let b = chunk;
    if (this.pending !== null) {
      b = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    if (this.state === CONNECTING) {
      const head = readUpgradeResponse(b);
      if (head.kind === "incomplete") {
        if (b.length > 16_384) return this.fail("upgrade", "response head over 16 KiB");
        this.pending = b;
        return;
      }
      if (head.kind === "refused") return this.fail("upgrade", head.statusLine);
      if (head.kind === "bad_accept") return this.fail("upgrade", "no matching Sec-WebSocket-Accept");
      this.state = OPEN;
      off = head.bodyAt;
      this.handler.onOpen();
    }
    while (off < b.length && this.state !== CLOSED) {
      let h: FrameHeader | null;
      try {
        h = readServerFrame(b, off);
      } catch (err) {
        return this.fail("protocol", (err as Error).message);
      }
      if (h === null) break;
      off = h.end;
      this.onFrame(b, h);
    }
    if (off < b.length && this.state !== CLOSED) this.pending = b.subarray(off);
  }

  private onFrame(b: Buffer, h: FrameHeader): void {
    switch (h.opcode) {
      case 0x1:
        if (h.fin) {
          if (this.state === OPEN || this.state === CLOSING) this.handler.onText(b, h.start, h.end);
        } else this.fragments = [Buffer.from(b.subarray(h.start, h.end))];
        return;
      case 0x0:
        if (this.fragments === null) return this.fail("protocol", "continuation frame without a message");
        this.fragments.push(Buffer.from(b.subarray(h.start, h.end)));
        if (h.fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          this.handler.onText(whole, 0, whole.length);
        }
        return;
      case 0x8: {
        this.closeCode = h.end - h.start >= 2 ? b.readUInt16BE(h.start) : 1005;
        if (this.state === OPEN) {
          // The server closed first: echo (RFC 6455 §5.5.1) and end our side.
          this.byServer = true;
          this.socket.write(CLOSE_FRAME);
        }
        this.state = CLOSING;
        this.socket.end();
        return;
      }
      case 0x9:
        if (this.state === OPEN) this.socket.write(h.end === h.start ? PONG_EMPTY : maskedFrame(0xa, Buffer.from(b.subarray(h.start, h.end))));
        return;
      default:
        // Pongs and binary frames: nothing the auth exchange uses.
        return;
    }
  }
}
