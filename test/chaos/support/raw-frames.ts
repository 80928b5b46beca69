/**
 * A raw WebSocket client on a plain TCP socket, for the chaos suite: it sends any bytes (masked or
 * not, reserved opcodes and RSV bits, fragments, oversize and invalid UTF-8 frames, half frames),
 * pipelines a whole batch in one write, and records every text frame the server sends and the close
 * code it chose. The upgrade and the server-frame reader are the load generator's
 * (client/load/ws-frames.ts); the client frame builder here can also build what RFC 6455 forbids.
 */
import { connect, type Socket } from "node:net";
import { readServerFrame, readUpgradeResponse, upgradeRequest } from "../../../client/load/ws-frames.js";

/** RFC 6455 §5.2 opcodes. */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One client frame, as RFC 6455 §5.2 lays it out; every field may be set to something invalid. */
export interface FrameSpec {
  readonly opcode: number;
  readonly payload: Buffer;
  /** Default true. */
  readonly fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (default 0: no extension is negotiated). */
  readonly rsv?: number;
  /** Default true: a client must mask (§5.3); false sends an unmasked frame. */
  readonly masked?: boolean;
}

/** The bytes of one client frame. The masking key is fixed: masking protects proxies, not secrets. */
export function clientFrame(spec: FrameSpec): Buffer {
  const { payload } = spec;
  const masked = spec.masked ?? true;
  const len = payload.length;
  const hdr = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hdr + (masked ? 4 : 0) + len);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) & 7) << 4 | (spec.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  if (len < 126) out[1] = maskBit | len;
  else if (len < 65_536) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  if (!masked) {
    payload.copy(out, hdr);
    return out;
  }
  const key = [0x37, 0xfa, 0x21, 0x3d];
  for (let i = 0; i < 4; i++) out[hdr + i] = key[i]!;
  for (let i = 0; i < len; i++) out[hdr + 4 + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

/** A masked text frame. */
export const textFrame = (payload: Buffer | string): Buffer => clientFrame({ opcode: OPCODE.text, payload: typeof payload === "string" ? Buffer.from(payload, "utf8") : payload });

/** How a connection ended. */
export interface RawClose {
  /** The status code of the server's close frame; null when the socket ended without one. */
  readonly code: number | null;
  /** True when the server sent its close frame before ours. */
  readonly serverFirst: boolean;
}

/** One connection: upgrade, then raw frames out, parsed frames in. */
export class FuzzSocket {
  /** Every text frame the server sent, in order (decoded as UTF-8). */
  readonly texts: string[] = [];
  /** Binary frames the server sent (the protocol has none). */
  binaryFrames = 0;
  /** Server frames that broke RFC 6455 (masked, or unparseable). */
  badServerFrames = 0;
  /** Called after each text frame. */
  onText: ((text: string) => void) | undefined;
  readonly ended: Promise<RawClose>;
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private closeCode: number | null = null;
  private sentClose = false;
  private serverFirst = false;

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    this.ended = new Promise((resolve) => socket.once("close", () => resolve({ code: this.closeCode, serverFirst: this.serverFirst })));
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    if (rest.length > 0) this.read(rest);
  }

  /** Connects to ws://host:port/rtm and resolves once the upgrade has been answered 101. */
  static open(port: number, host = "127.0.0.1", timeoutMs = 5_000): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true });
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`no upgrade answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const r = readUpgradeResponse(head);
        if (r.kind === "incomplete") return;
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("error", fail);
        socket.on("error", () => {
          /* an RST after the server's close: the outcome is in `ended` */
        });
        if (r.kind !== "open") {
          socket.destroy();
          reject(new Error(`upgrade refused: ${r.kind === "refused" ? r.statusLine : "bad Sec-WebSocket-Accept"}`));
          return;
        }
        resolve(new FuzzSocket(socket, head.subarray(r.bodyAt)));
      };
      socket.on("data", onData);
      socket.once("error", fail);
      socket.once("connect", () => socket.write(upgradeRequest({ host, port, path: "/rtm" })));
    });
  }

  /** Writes raw bytes (one batch, one write). */
  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends a close frame (status `code`) unless one was sent; the server answers and ends. */
  close(code = 1000): void {
    if (this.sentClose) return;
    this.sentClose = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.write(clientFrame({ opcode: OPCODE.close, payload }));
  }

  /** Half-closes the TCP stream (FIN) without a close frame. */
  end(): void {
    this.socket.end();
  }

  /** Destroys the socket at once (RST-like, for the end of a test). */
  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let off = 0;
    for (;;) {
      let f: ReturnType<typeof readServerFrame>;
      try {
        f = readServerFrame(this.buffer, off);
      } catch {
        this.badServerFrames++;
        this.socket.destroy();
        return;
      }
      if (f === null) break;
      const payload = this.buffer.subarray(f.start, f.end);
      off = f.end;
      if (f.opcode === OPCODE.text) {
        const text = payload.toString("utf8");
        this.texts.push(text);
        this.onText?.(text);
      } else if (f.opcode === OPCODE.binary) this.binaryFrames++;
      else if (f.opcode === OPCODE.close) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (!this.sentClose) this.serverFirst = true;
        this.close(this.closeCode === 1005 ? 1000 : this.closeCode);
        this.socket.end();
      } else if (f.opcode === OPCODE.ping) this.write(clientFrame({ opcode: OPCODE.pong, payload: Buffer.from(payload) }));
    }
    this.buffer = off === this.buffer.length ? Buffer.alloc(0) : Buffer.from(this.buffer.subarray(off));
  }
}
