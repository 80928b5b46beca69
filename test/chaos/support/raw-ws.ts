/**
 * A minimal raw WebSocket client on a plain TCP socket for the chaos suite: upgrade, masked text
 * frames out, text frames in, and the close. The upgrade and the server-frame reader are the load
 * generator's (client/load/ws-frames.ts).
 *
 * NOTE: this file was overwritten by mistake by the frame-fuzz work and rebuilt from how
 * test/chaos/churn.test.ts uses it (`open` → {kind}, `send`, `until`, `socket`, `closed`); its
 * original author should check it against what they had.
 */
import { connect, type Socket } from "node:net";
import { maskedTextFrame, readServerFrame, readUpgradeResponse, upgradeRequest } from "../../../client/load/ws-frames.js";

/** How a connection ended: the status of the server's close frame (null: none), and whether it sent it first. */
export interface RawWsClosed {
  readonly code: number | null;
  readonly serverFirst: boolean;
}

/** The outcome of an upgrade attempt. */
export type RawWsOpen =
  | { readonly kind: "open"; readonly ws: RawWs }
  | { readonly kind: "refused"; readonly statusLine: string }
  | { readonly kind: "error"; readonly error: string };

type Waiter = { readonly match: (text: string) => boolean; readonly resolve: (text: string) => void; readonly reject: (err: Error) => void };

/** One open connection. */
export class RawWs {
  readonly socket: Socket;
  /** Every text frame received, in order. */
  readonly texts: string[] = [];
  /** Resolves once the socket has closed. */
  readonly closed: Promise<RawWsClosed>;
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  private closeCode: number | null = null;
  private sentClose = false;
  private serverFirst = false;

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${this.closeCode ?? "no close frame"}) before the awaited frame`));
        resolve({ code: this.closeCode, serverFirst: this.serverFirst });
      }),
    );
    socket.on("error", () => {
      /* the outcome is in `closed` */
    });
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    if (rest.length > 0) this.read(rest);
  }

  /** Connects to ws://host:port/rtm; never rejects. */
  static open(port: number, host = "127.0.0.1", timeoutMs = 10_000): Promise<RawWsOpen> {
    return new Promise((resolve) => {
      const socket = connect({ port, host, noDelay: true });
      let head = Buffer.alloc(0);
      let settled = false;
      const settle = (r: RawWsOpen): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off("data", onData);
        if (r.kind !== "open") socket.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => settle({ kind: "error", error: `no upgrade answer within ${timeoutMs} ms` }), timeoutMs);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const r = readUpgradeResponse(head);
        if (r.kind === "incomplete") return;
        if (r.kind === "refused") settle({ kind: "refused", statusLine: r.statusLine });
        else if (r.kind === "bad_accept") settle({ kind: "error", error: "bad Sec-WebSocket-Accept" });
        else {
          socket.off("data", onData);
          settle({ kind: "open", ws: new RawWs(socket, head.subarray(r.bodyAt)) });
        }
      };
      socket.on("data", onData);
      socket.once("error", (err) => settle({ kind: "error", error: err.message }));
      socket.once("close", () => settle({ kind: "error", error: "closed before the upgrade answer" }));
      socket.once("connect", () => socket.write(upgradeRequest({ host, port, path: "/rtm" })));
    });
  }

  /** Sends one masked text frame. */
  send(text: string): void {
    if (!this.socket.destroyed) this.socket.write(maskedTextFrame(text));
  }

  /** Resolves with the first text frame from now on that `match` accepts; rejects if the socket closes first. */
  until(match: (text: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => this.waiters.push({ match, resolve, reject }));
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let off = 0;
    for (;;) {
      let f: ReturnType<typeof readServerFrame>;
      try {
        f = readServerFrame(this.buffer, off);
      } catch {
        this.socket.destroy();
        return;
      }
      if (f === null) break;
      const payload = this.buffer.subarray(f.start, f.end);
      off = f.end;
      if (f.opcode === 0x1) {
        const text = payload.toString("utf8");
        this.texts.push(text);
        const i = this.waiters.findIndex((w) => w.match(text));
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(text);
      } else if (f.opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (!this.sentClose) {
          this.serverFirst = true;
          this.sentClose = true;
          // Echo the close (zero mask key), then FIN.
          this.socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, (this.closeCode === 1005 ? 1000 : this.closeCode) >> 8, (this.closeCode === 1005 ? 1000 : this.closeCode) & 0xff]));
        }
      } else if (f.opcode === 0x9) {
        // Pong with the same payload (zero mask key).
        const len = payload.length;
        if (!this.socket.destroyed) this.socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | len, 0, 0, 0, 0]), payload]));
      }
    }
    this.buffer = off === this.buffer.length ? Buffer.alloc(0) : Buffer.from(this.buffer.subarray(off));
  }
}
