/**
 * A raw WebSocket client on a `net.Socket` for the chaos suite's abuse cases: it can do what a
 * well-behaved client never does — stop reading, never answer a close frame, never send a FIN,
 * flood frames. The upgrade and the server-frame reader are the load generator's
 * (client/load/ws-frames.ts). Only ever used against 127.0.0.1.
 */
import { connect, type Socket } from "node:net";
import { maskedFrame, maskedTextFrame, readServerFrame, readUpgradeResponse, upgradeRequest } from "../../../client/load/ws-frames.js";

export { maskedFrame, maskedTextFrame };

/** The outcome of an upgrade attempt. */
export type Upgrade = { readonly kind: "open"; readonly ws: AbuseClient } | { readonly kind: "refused"; readonly statusLine: string } | { readonly kind: "failed"; readonly error: string };

/** A masked close frame with status 1000 (zero mask). */
export const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

export class AbuseClient {
  readonly socket: Socket;
  /** Text frames received and not yet taken by next()/until(), in order (only with `keepTexts`). */
  readonly texts: string[] = [];
  /** Text frames received in all. */
  textCount = 0;
  /** The status of the server's close frame, once received. */
  closeCode: number | null = null;
  /** Resolves when the TCP socket is fully closed (by either side). */
  readonly closed: Promise<void>;
  /** When the socket closed (performance.now() ms), or null. */
  closedAt: number | null = null;
  /**
   * Resolves when the server is done with us: its FIN arrived, or the socket closed. A half-open
   * client never ends its own side, so this, not {@link closed}, is when the server let go.
   */
  readonly released: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private readonly keepTexts: boolean;
  private onText: ((text: string) => void) | null = null;

  private constructor(socket: Socket, rest: Buffer, keepTexts: boolean) {
    this.socket = socket;
    this.keepTexts = keepTexts;
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.closedAt = performance.now();
        resolve();
      }),
    );
    this.released = new Promise((resolve) => {
      socket.once("end", resolve);
      socket.once("close", resolve);
    });
    socket.on("data", (chunk: Buffer) => this.feed(chunk));
    if (rest.length > 0) this.feed(rest);
  }

  /**
   * Connects and upgrades. The socket is half-open: the server's FIN does not end our side, and
   * nothing answers the server's close frame unless the test does. A FIN (or a close) before the
   * upgrade answer is final: `failed`, at once, and the socket is destroyed (a half-open socket
   * would otherwise wait for `timeoutMs` for an answer that cannot come).
   */
  static open(port: number, options: { host?: string; keepTexts?: boolean; timeoutMs?: number } = {}): Promise<Upgrade> {
    const host = options.host ?? "127.0.0.1";
    return new Promise((resolve) => {
      const socket = connect({ host, port, noDelay: true, allowHalfOpen: true });
      // The peer may reset us at any time; the tests read the outcome from the promises.
      socket.on("error", () => undefined);
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => {
        done({ kind: "failed", error: "timeout" });
        socket.destroy();
      }, options.timeoutMs ?? 10_000);
      const done = (u: Upgrade): void => {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("close", onClose);
        socket.off("end", onEnd);
        resolve(u);
      };
      const onClose = (): void => done({ kind: "failed", error: "closed before the upgrade answer" });
      // Every byte before the FIN has been through onData: no answer will follow.
      const onEnd = (): void => {
        done({ kind: "failed", error: "closed before the upgrade answer" });
        socket.destroy();
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const r = readUpgradeResponse(head);
        if (r.kind === "incomplete") return;
        if (r.kind === "open") done({ kind: "open", ws: new AbuseClient(socket, head.subarray(r.bodyAt), options.keepTexts ?? true) });
        else if (r.kind === "refused") done({ kind: "refused", statusLine: r.statusLine });
        else done({ kind: "failed", error: "bad accept" });
      };
      socket.on("data", onData);
      socket.on("close", onClose);
      socket.on("end", onEnd);
      socket.write(upgradeRequest({ host, port, path: "/rtm" }));
    });
  }

  /** Sends one text frame; false when the socket's buffer is full (wait for `drain`). */
  send(text: string): boolean {
    return this.socket.write(maskedTextFrame(text));
  }

  /** Resolves with the next text frame not taken yet (needs `keepTexts`). */
  next(timeoutMs = 5_000): Promise<string> {
    const queued = this.texts.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onText = null;
        reject(new Error(`no text frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.onText = (t) => {
        clearTimeout(timer);
        this.onText = null;
        resolve(t);
      };
    });
  }

  /** Resolves with the first text frame that `match`es (earlier ones are dropped). */
  async until(match: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const t = await this.next(Math.max(1, deadline - performance.now()));
      if (match(t)) return t;
    }
  }

  private feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    for (;;) {
      const f = readServerFrame(this.buf, off);
      if (f === null) break;
      off = f.end;
      if (f.opcode === 0x1) {
        const text = this.buf.toString("utf8", f.start, f.end);
        this.textCount++;
        if (this.onText !== null) this.onText(text);
        else if (this.keepTexts) this.texts.push(text);
      } else if (f.opcode === 0x8) {
        this.closeCode = f.end - f.start >= 2 ? this.buf.readUInt16BE(f.start) : 1005;
      }
    }
    this.buf = off >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }
}
